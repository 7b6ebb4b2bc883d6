"""Diffusion in a few functions, on the toy text-to-video model and the ``diffusers`` schedulers it uses.

Notebook 04, section 2, opens up what ``ToyTextToVideoPipeline.__call__`` does in one loop:

- **forward noising** (Ho et al. 2020): a clean latent video x0 and Gaussian noise eps are mixed as
  ``x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps``, where ``ab_t`` (alpha-bar, ``scheduler.alphas_cumprod``)
  falls from 1 at t = 0 to almost 0 at t = 999 (``forward_noise``, ``plot_noising``);
- **the v target** (Salimans and Ho 2022, *Progressive Distillation for Fast Sampling of Diffusion
  Models*, ICLR, section 4): the denoiser predicts ``v = sqrt(ab_t) eps - sqrt(1 - ab_t) x0``, from which
  x0 and eps both come back without dividing by a vanishing number (``v_target``, ``recover``,
  ``x0_error_gain``);
- **DDIM** (Song et al. 2021, *Denoising Diffusion Implicit Models*, ICLR): a deterministic sampler that,
  at each step, predicts the clean video x̂0 and moves to the next noise level along the predicted noise
  (``ddim_step``, ``ddim_trace``, ``plot_trace``);
- **classifier-free guidance** (Ho and Salimans 2022, *Classifier-Free Diffusion Guidance*): the
  prediction with the caption is pushed away from the one without it, ``v = v_uncond + w (v_cond -
  v_uncond)``; ``guidance_sweep`` measures what the weight w does to prompt adherence and to physics
  (``plot_guidance``).

Every function takes what it works on as arguments (the pipeline, the scheduler, the prompts, the
judge); nothing runs at import, and torch, diffusers and matplotlib are imported where they are used.
Tensors are the pipeline's latents, (B, T, C, h, w), in the denoiser's scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from wmlib.plots import as_frames

if TYPE_CHECKING:
    import torch

__all__ = [
    "DDIMTrace",
    "GuidanceSweep",
    "alpha_bar",
    "compare_shares",
    "ddim_alphas",
    "ddim_step",
    "ddim_trace",
    "encode",
    "forward_noise",
    "guidance_sweep",
    "plot_guidance",
    "plot_noising",
    "plot_trace",
    "recover",
    "v_target",
    "x0_error_gain",
]


def _timestep(scheduler, t) -> int:
    """``t`` as an int in 0..num_train_timesteps-1, or a ValueError that says the range."""
    import operator

    n = scheduler.config.num_train_timesteps
    try:
        value = operator.index(t) if not isinstance(t, bool) else None
    except TypeError:
        value = int(t) if hasattr(t, "item") and float(t) == int(t) else None  # a 0-d tensor from scheduler.timesteps
    if value is None or not 0 <= value < n:
        raise ValueError(f"a timestep must be a whole number in 0..{n - 1}; got {t!r}")
    return value


def alpha_bar(scheduler, t: int) -> float:
    """ab_t, the share of the clean signal's variance left at timestep ``t`` (``alphas_cumprod[t]``)."""
    return float(scheduler.alphas_cumprod[_timestep(scheduler, t)])


# --- forward noising ---------------------------------------------------------------------------------


def encode(pipe, videos: np.ndarray) -> "torch.Tensor":
    """Frames (B, T, H, W, 3) in [0, 1] to latents (B, T, C, h, w) in the denoiser's scale: the
    pipeline's autoencoder, frame by frame, times its ``latent_scale`` (the inverse of ``pipe.decode``)."""
    import torch

    videos = as_frames(videos, "BTHWC")
    B, T = videos.shape[:2]
    x = torch.from_numpy(np.ascontiguousarray(videos)).flatten(0, 1).permute(0, 3, 1, 2)
    with torch.no_grad():
        z = pipe.autoencoder.encode(x)
    return z.reshape(B, T, *z.shape[1:]) * pipe.latent_scale


def forward_noise(x0: "torch.Tensor", timesteps: Sequence[int], scheduler, seed: int = 0) -> "torch.Tensor":
    """``x0`` noised to each of ``timesteps`` with one and the same noise draw (so that the only thing
    that changes along the result's first axis is t): (len(timesteps), *x0.shape), by
    ``scheduler.add_noise``, which computes sqrt(ab_t) x0 + sqrt(1 - ab_t) eps."""
    import torch

    ts = [_timestep(scheduler, t) for t in timesteps]
    if not ts:
        raise ValueError("give at least one timestep")
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    return torch.stack([scheduler.add_noise(x0, noise, torch.tensor([t])) for t in ts])


def _frame_grid(rows: list[list], row_labels: list[str], col_titles: list[str], title: str, cell: float = 1.45):
    """Frames in a grid with a label left of each row and a title over each column; ``rows`` hold
    (H, W, 3) images or None (an empty cell). Laid out by hand, so that long labels do not shrink the
    frames: each cell is ``cell`` inches (about 100 pixels at 72 dpi)."""
    import matplotlib.pyplot as plt

    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    label_w, title_h, gap = 1.5, 0.35 + 0.2 * (title.count("\n") + 1), 0.08
    width = label_w + n_cols * (cell + gap) + 0.1
    height = title_h + n_rows * (cell + gap) + 0.1
    fig = plt.figure(figsize=(width, height))
    for r, row in enumerate(rows):
        bottom = height - title_h - (r + 1) * (cell + gap) + gap
        for c, img in enumerate(row):
            if img is None:
                continue
            ax = fig.add_axes([(label_w + c * (cell + gap)) / width, bottom / height, cell / width, cell / height])
            ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 or (c < len(col_titles) and rows[r - 1][c] is None):
                ax.set_title(col_titles[c] if c < len(col_titles) else "", fontsize=8.5)
        fig.text(
            (label_w - 0.1) / width, (bottom + cell / 2) / height, row_labels[r], ha="right", va="center", fontsize=8.5
        )
    fig.text(0.5, 1 - 0.2 / height, title, ha="center", va="top", fontsize=10)
    return fig


def plot_noising(
    frames: np.ndarray,
    timesteps: Sequence[int],
    alpha_bars: Sequence[float],
    frame_indices: Sequence[int] = (0, 5, 10, 15),
):
    """A grid of decoded frames: one row per timestep (labelled with ab_t and the signal-to-noise ratio
    ab_t / (1 - ab_t)), one column per frame of ``frame_indices``. ``frames``: (len(timesteps), T, H, W, 3)."""
    frames = np.asarray(frames)
    if frames.ndim != 5 or len(frames) != len(timesteps) or len(alpha_bars) != len(timesteps):
        raise ValueError(
            f"frames must be (len(timesteps), T, H, W, 3) with one ab_t per timestep; got "
            f"{frames.shape}, {len(timesteps)} timesteps and {len(alpha_bars)} values of ab_t"
        )
    if not all(0 <= f < frames.shape[1] for f in frame_indices):
        raise ValueError(f"frame_indices must lie in 0..{frames.shape[1] - 1}; got {tuple(frame_indices)}")
    labels = []
    for t, ab in zip(timesteps, alpha_bars):
        snr = ab / (1 - ab) if ab < 1 else float("inf")
        labels.append(f"t = {t}\nᾱ = {ab:.3g}\nSNR = {snr:.2g}")
    rows = [[frames[r, f] for f in frame_indices] for r in range(len(timesteps))]
    return _frame_grid(
        rows,
        labels,
        [f"frame {f}" for f in frame_indices],
        "forward noising, decoded: x_t = √ᾱ·x0 + √(1−ᾱ)·ε\n(the same ε in every row)",
    )


# --- the v target --------------------------------------------------------------------------------------


def v_target(x0: "torch.Tensor", noise: "torch.Tensor", alpha_bar_t: float) -> "torch.Tensor":
    """The v-prediction target (Salimans and Ho 2022): v = sqrt(ab_t) eps - sqrt(1 - ab_t) x0.

    It equals ``scheduler.get_velocity(x0, noise, t)`` with ``alpha_bar_t = scheduler.alphas_cumprod[t]``."""
    a, s = alpha_bar_t**0.5, (1 - alpha_bar_t) ** 0.5
    return a * noise - s * x0


def recover(x_t: "torch.Tensor", v: "torch.Tensor", alpha_bar_t: float) -> tuple["torch.Tensor", "torch.Tensor"]:
    """(x0, eps) back from the noisy sample and v: x0 = sqrt(ab) x_t - sqrt(1 - ab) v and
    eps = sqrt(1 - ab) x_t + sqrt(ab) v. (x_t and v are a rotation of (x0, eps) by the same angle, so
    the way back is the rotation the other way: no division anywhere.)"""
    a, s = alpha_bar_t**0.5, (1 - alpha_bar_t) ** 0.5
    return a * x_t - s * v, s * x_t + a * v


def x0_error_gain(scheduler) -> dict[str, np.ndarray]:
    """How much an error of size 1 in the network's output becomes in the predicted clean video x̂0, at
    every timestep, for the two ways of parametrising the denoiser:

    - predicting eps: x̂0 = (x_t - sqrt(1 - ab) eps) / sqrt(ab), so the gain is sqrt((1 - ab) / ab),
      which explodes as ab -> 0 at the noisiest steps, where sampling starts;
    - predicting v: x̂0 = sqrt(ab) x_t - sqrt(1 - ab) v, so the gain is sqrt(1 - ab), never above 1.

    Returns ``timesteps``, ``alpha_bar``, ``eps`` and ``v`` (arrays over all training timesteps)."""
    ab = scheduler.alphas_cumprod.double().numpy()
    return {"timesteps": np.arange(len(ab)), "alpha_bar": ab, "eps": np.sqrt((1 - ab) / ab), "v": np.sqrt(1 - ab)}


# --- DDIM ------------------------------------------------------------------------------------------------


def ddim_alphas(scheduler, t: int) -> tuple[float, float]:
    """(ab_t, ab_prev) for a DDIM step from timestep ``t``, as ``DDIMScheduler.step`` picks them after
    ``set_timesteps``: the previous timestep is t - num_train_timesteps // num_inference_steps, and past
    the first one, ``final_alpha_cumprod``."""
    if getattr(scheduler, "num_inference_steps", None) is None:
        raise ValueError("call scheduler.set_timesteps(num_inference_steps) first: the step size depends on it")
    t = _timestep(scheduler, t)
    prev = t - scheduler.config.num_train_timesteps // scheduler.num_inference_steps
    ab_prev = scheduler.alphas_cumprod[prev] if prev >= 0 else scheduler.final_alpha_cumprod
    return float(scheduler.alphas_cumprod[t]), float(ab_prev)


def ddim_step(x_t: "torch.Tensor", v: "torch.Tensor", alpha_bar_t: float, alpha_bar_prev: float) -> "torch.Tensor":
    """One deterministic DDIM update (eta = 0) for a v-prediction model: recover x̂0 and the noise ε̂ from
    (x_t, v), then put them back together at the lower noise level:
    x_prev = sqrt(ab_prev) x̂0 + sqrt(1 - ab_prev) ε̂. Equals ``DDIMScheduler.step(v, t, x_t).prev_sample``."""
    x0, eps = recover(x_t, v, alpha_bar_t)
    return alpha_bar_prev**0.5 * x0 + (1 - alpha_bar_prev) ** 0.5 * eps


@dataclass
class DDIMTrace:
    """What ``ddim_trace`` kept: the scheduler's ``timesteps``, the ``steps`` kept (indices into them),
    at each kept step the sample ``x_t`` it started from and the clean video ``x0_hat`` it predicted
    (``pred_original_sample``), each (len(steps), B, T, C, h, w), and the ``final`` latents."""

    timesteps: list[int]
    steps: list[int]
    x_t: "torch.Tensor"
    x0_hat: "torch.Tensor"
    final: "torch.Tensor"
    prompts: list[str] = field(default_factory=list)


def ddim_trace(
    pipe,
    prompt: str | list[str],
    keep: Sequence[int],
    num_inference_steps: int = 25,
    guidance_scale: float = 4.0,
    seed: int = 0,
) -> DDIMTrace:
    """Sample from ``pipe`` exactly as ``pipe(prompt, num_inference_steps, guidance_scale, seed)`` does (its
    own loop, ``pipe.sample``), and keep, at the steps ``keep`` (indices 0..num_inference_steps-1; negative
    ones count from the end), the noisy sample x_t and the scheduler step's ``pred_original_sample``: the
    clean video the model predicts from there."""
    import torch

    prompts = [prompt] if isinstance(prompt, str) else list(prompt)
    pipe.check_settings(prompts, num_inference_steps, guidance_scale)
    keep = list(keep)
    if not keep or not all(
        isinstance(k, (int, np.integer)) and -num_inference_steps <= k < num_inference_steps for k in keep
    ):
        raise ValueError(
            f"keep must hold step indices in -{num_inference_steps}..{num_inference_steps - 1}; got {tuple(keep)}"
        )
    kept = sorted({int(k) % num_inference_steps for k in keep})
    timesteps, xs, x0s = [], [], []

    def record(i, t, x, step):
        timesteps.append(t)
        if i in kept:
            xs.append(x.cpu().clone())
            x0s.append(step.pred_original_sample.cpu().clone())

    final = pipe.sample(
        pipe.tokens(prompts),
        pipe.condition(None, len(prompts)),
        num_inference_steps,
        guidance_scale,
        seed,
        callback=record,
    ).cpu()
    return DDIMTrace(timesteps, kept, torch.stack(xs), torch.stack(x0s), final, prompts)


def plot_trace(trace: DDIMTrace, pipe, video: int = 0, frame_indices: Sequence[int] = (0, 7, 15)):
    """For each kept step (a row): the noisy sample x_t the step starts from and the clean video x̂0 it
    predicts, both decoded by ``pipe``, at ``frame_indices``; the last row is the final video."""
    x_t = pipe.decode(trace.x_t[:, video])  # (K, T, H, W, 3): each kept step's sample, decoded
    x0 = pipe.decode(trace.x0_hat[:, video])
    final = pipe.decode(trace.final[video : video + 1])[0]
    rows, labels = [], []
    for r, step in enumerate(trace.steps):
        rows.append([x_t[r, f] for f in frame_indices] + [x0[r, f] for f in frame_indices])
        labels.append(f"step {step + 1} of {len(trace.timesteps)}\nt = {trace.timesteps[step]}")
    rows.append([None] * len(frame_indices) + [final[f] for f in frame_indices])
    labels.append("the final video")
    titles = [f"x_t, frame {f}" for f in frame_indices] + [f"x̂0, frame {f}" for f in frame_indices]
    title = (
        f"DDIM, {len(trace.timesteps)} steps: the sample x_t each step starts from, and the clean video x̂0 it predicts"
    )
    if trace.prompts:
        title += f"\n“{trace.prompts[video]}”"
    return _frame_grid(rows, labels, titles, title, cell=1.35)


# --- classifier-free guidance ---------------------------------------------------------------------------


@dataclass
class GuidanceSweep:
    """What ``guidance_sweep`` measured: for each guidance ``scale``, the output of
    ``wmlib.video.physics.evaluate`` (``results[scale]``: per-video arrays and ``share_*`` figures) and
    the generated ``videos[scale]`` (B, T, H, W, 3); ``prompts`` in order, the same at every scale."""

    scales: list[float]
    results: dict[float, dict]
    videos: dict[float, np.ndarray]
    prompts: list[str]

    def shares(self, key: str) -> list[float]:
        """``share_<key>`` at each scale, in order (``key`` such as "prompt_ok" or "gravity_ok")."""
        return [float(self.results[s][f"share_{key}"]) for s in self.scales]


def guidance_sweep(
    pipe,
    prompts: list[str],
    attributes: dict[str, np.ndarray],
    judge,
    scales: Sequence[float] = (1.0, 4.0, 8.0),
    num_inference_steps: int = 25,
    seed: int = 0,
    batch: int = 64,
) -> GuidanceSweep:
    """Generate one video per prompt at each guidance scale and measure them with
    ``wmlib.video.physics.evaluate`` against the ``attributes`` the prompts ask for (colour, shape, size
    indices, one per prompt) with ``judge``. The same seed at every scale: each prompt starts from the
    same noise, so the scales are compared on paired videos and only the guidance differs."""
    from wmlib.video.physics import evaluate
    from wmlib.video.train import generate

    prompts = list(prompts)
    if not prompts:
        raise ValueError("give at least one prompt")
    for k, v in attributes.items():
        if len(v) != len(prompts):
            raise ValueError(f"attributes[{k!r}] has {len(v)} values for {len(prompts)} prompts")
    scales = [float(s) for s in scales]
    if not scales or any(not s >= 1 for s in scales):
        raise ValueError(f"guidance scales must be >= 1 (1 means no guidance); got {scales}")
    results, videos = {}, {}
    for s in scales:
        videos[s] = generate(
            pipe, prompts, batch=batch, seed=seed, guidance_scale=s, num_inference_steps=num_inference_steps
        )
        results[s] = evaluate(videos[s], attributes, judge)
    return GuidanceSweep(scales, results, videos, prompts)


def compare_shares(before: np.ndarray, after: np.ndarray) -> tuple[float, float, str]:
    """Did a share change between two runs on the same prompts? ``before`` and ``after`` are per-prompt
    flags (True: the video did it), paired by prompt. Returns the difference of the shares (after minus
    before), its standard error (the spread of the per-prompt differences over sqrt(n)), and a verdict,
    "lower", "about the same" or "higher": a change counts only when it exceeds twice its standard error."""
    before, after = np.asarray(before, bool), np.asarray(after, bool)
    if before.shape != after.shape or before.ndim != 1 or len(before) < 2:
        raise ValueError(
            f"give two equally long 1-D sets of per-prompt flags (at least 2); got shapes "
            f"{before.shape} and {after.shape}"
        )
    d = after.astype(float) - before.astype(float)
    diff, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
    if abs(diff) <= 2 * se or diff == 0:
        return diff, se, "about the same"
    return diff, se, "higher" if diff > 0 else "lower"


# (key in physics.evaluate, label, colour, panel): what plot_guidance draws
_ADHERENCE = (
    ("prompt_ok", "prompt followed (colour and shape)", "black"),
    ("colour_ok", "colour", "tab:red"),
    ("shape_ok", "shape", "tab:blue"),
    ("size_ok", "size", "tab:purple"),
)
_PHYSICS = (("gravity_ok", "gravity within 20%", "tab:green"), ("found_all", "object in every frame", "tab:olive"))


def _interval(flags: np.ndarray) -> tuple[float, float]:
    """A 95% Wilson interval for a share of True among ``flags`` (scipy's binomial test)."""
    from scipy.stats import binomtest

    flags = np.asarray(flags, bool)
    ci = binomtest(int(flags.sum()), len(flags)).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def plot_guidance(sweep: GuidanceSweep):
    """Left: each share against the guidance scale, with 95% intervals (Wilson, over prompts). Right:
    the trade-off, prompt adherence against gravity, one point per scale."""
    import matplotlib.pyplot as plt

    n = len(sweep.prompts)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    x = np.arange(len(sweep.scales))
    for k, (key, label, colour) in enumerate(_ADHERENCE + _PHYSICS):
        shares = sweep.shares(key)
        ci = np.array([_interval(sweep.results[s][key]) for s in sweep.scales])
        offset = (k - 2.5) * 0.04  # spread the error bars so they do not hide each other
        style = "--" if (key, label, colour) in _PHYSICS else "-"
        left.errorbar(
            x + offset,
            shares,
            yerr=[np.subtract(shares, ci[:, 0]), ci[:, 1] - shares],
            fmt="o" + style,
            color=colour,
            label=label,
            capsize=3,
            lw=2 if key in ("prompt_ok", "gravity_ok") else 1.2,
        )
    left.set_xticks(x, [f"{s:g}" for s in sweep.scales])
    left.set_xlabel("guidance scale w (1 = no guidance)")
    left.set_ylabel(f"share of {n} videos")
    left.set_ylim(-0.03, 1.03)
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    left.set_title("prompt adherence (solid) and physics (dashed), 95% intervals", fontsize=10)

    adherence, gravity = sweep.shares("prompt_ok"), sweep.shares("gravity_ok")
    ax_ci = np.array([_interval(sweep.results[s]["prompt_ok"]) for s in sweep.scales])
    g_ci = np.array([_interval(sweep.results[s]["gravity_ok"]) for s in sweep.scales])
    right.plot(adherence, gravity, "-", color="0.6", zorder=1)
    for i, s in enumerate(sweep.scales):
        right.errorbar(
            adherence[i],
            gravity[i],
            xerr=[[adherence[i] - ax_ci[i, 0]], [ax_ci[i, 1] - adherence[i]]],
            yerr=[[gravity[i] - g_ci[i, 0]], [g_ci[i, 1] - gravity[i]]],
            fmt="o",
            ms=8,
            capsize=3,
            color=plt.get_cmap("viridis")(i / max(1, len(sweep.scales) - 1)),
            label=f"w = {s:g}",
            zorder=2,
        )
    right.set_xlabel("prompt followed (colour and shape)")
    right.set_ylabel("gravity within 20%")
    right.set_xlim(-0.03, 1.03)
    right.set_ylim(-0.03, 1.03)
    right.legend(fontsize=8, title="guidance", title_fontsize=8)
    right.set_title("the trade-off: one point per guidance scale", fontsize=10)
    fig.tight_layout()
    return fig
