"""Has a video model learned the world's physics? Measure its videos the way one measures a real one.

- ``track`` (from ``wmlib.world.tracker``): where the object is in every frame, the largest blob that
  differs from the empty background.
- ``fit_gravity``: find the bounces (the height's second difference jumps up) and fit
  ``y = y0 + v t - g t²/2`` on the first bounce-free stretch of at least 5 frames.
- ``Judge``: a small CNN that names the object's colour, shape and size in a frame, looking at a window
  around it; trained on true content only, as rendered and as it comes back from the toy-t2v frame
  autoencoder (``round_trip``), so that it does not count that autoencoder's blur against a model. A
  video's answer is the most likely over its frames together.
- the controls: ``round_trip`` (true videos through the frame autoencoder: the best a model drawing
  through it can show) and ``shuffle_frames`` (true pictures without the motion: must fail).
- ``evaluate``: all of it for a batch of videos against what their prompts asked for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from wmlib.checkpoints import write_manifest
from wmlib.plots import as_frames
from wmlib.world.scene import CLASSES, RESTITUTION
from wmlib.world.studio import SIZE, background, gravity_px
from wmlib.world.tracker import THRESHOLD, track

BOUNCE_KICK = 1.0  # px/frame²: a jump of the height's second difference above this is a bounce
MIN_SEGMENT = 5  # frames: the shortest bounce-free stretch to fit a parabola on
TOLERANCE = 0.2  # "gravity right" means within 20% of the truth


def bounce_frames(height: np.ndarray, kick: float = BOUNCE_KICK) -> np.ndarray:
    """Frames where the height (pixels, up positive) turns sharply upward: the bounces."""
    second = height[2:] - 2 * height[1:-1] + height[:-2]
    return np.flatnonzero(second > kick) + 1


def free_stretch(height: np.ndarray, min_segment: int = MIN_SEGMENT) -> np.ndarray | None:
    """The frames of the first bounce-free stretch of ``min_segment`` or more frames, or None."""
    cuts = [0, *bounce_frames(height).tolist(), len(height)]
    for a, b in zip(cuts[:-1], cuts[1:]):
        frames = np.arange(a + 1 if a > 0 else 0, b)  # the bounce frame itself is on neither parabola
        if len(frames) >= min_segment:
            return frames
    return None


def fit_gravity(xy: np.ndarray, found: np.ndarray, min_segment: int = MIN_SEGMENT) -> float:
    """Gravity in pixels/frame² fitted on the first bounce-free stretch of ``min_segment`` or more
    frames; NaN when the object is missing in any frame or no stretch is long enough."""
    if not found.all():
        return float("nan")
    height = -xy[:, 1]
    frames = free_stretch(height, min_segment)
    return float("nan") if frames is None else float(-2 * np.polyfit(frames, height[frames], 2)[0])


def fit_restitution(xy: np.ndarray, found: np.ndarray, min_after: int = 3) -> float:
    """The restitution of the first bounce: fit a parabola to the frames before it and one to the
    ``min_after`` or more frames after it, find the instant between two frames where they meet (the
    contact), and divide the speed going up by the speed coming down there. NaN when there is no
    bounce with enough frames on both sides, or the object is missing in a frame."""
    if not found.all():
        return float("nan")
    height = -xy[:, 1]
    cuts = [0, *bounce_frames(height).tolist(), len(height)]
    if len(cuts) < 3:
        return float("nan")
    before = np.arange(0, cuts[1])
    after = np.arange(cuts[1], cuts[2])
    if len(before) < 3 or len(after) < min_after:
        return float("nan")
    p1, p2 = np.polyfit(before, height[before], 2), np.polyfit(after, height[after], 2)
    roots = np.roots(p1 - p2)
    roots = roots[np.isreal(roots)].real
    roots = roots[(roots >= before[-1] - 0.01) & (roots <= after[0] + 0.01)]
    if len(roots) == 0:
        return float("nan")
    t = roots[0]
    down, up = np.polyval(np.polyder(p1), t), np.polyval(np.polyder(p2), t)
    return float(-up / down) if down < 0 else float("nan")


# --- the judge of colour, shape and size -------------------------------------------------------

FACTORS = CLASSES  # what the judge names, and how many values each takes
CROP = 16  # px: the judge looks at a window this size around the object (the largest object is about 10 px)


class Judge(nn.Module):
    """Frames (N, 3, 32, 32) to logits for colour (8), shape (3) and size (2).

    It finds the object first (where the frame differs most from the empty ``background``, kept with
    the weights) and looks only at a ``CROP`` x ``CROP`` window around it, the frame and its difference
    from the background: an object's shape, after an autoencoder's blur, is in the layout of a few
    pixels (a cube's corners, a cylinder's rounded top), which a network that pools the whole frame
    loses."""

    def __init__(self):
        super().__init__()
        self.register_buffer("background", torch.zeros(3, SIZE, SIZE))
        self.net = nn.Sequential(
            nn.Conv2d(6, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * (CROP // 4) ** 2, 128),
            nn.ReLU(),
            nn.Linear(128, sum(FACTORS.values())),
        )

    def crop(self, x):
        """(N, 6, CROP, CROP): the frame and its difference from the background around the object: the
        weighted centre of the pixels that differ, within 5 px of the densest 5x5 patch of them."""
        import torch.nn.functional as F

        diff = x - self.background
        w = diff.abs().sum(1)
        w = torch.where(w > THRESHOLD, w, torch.zeros_like(w))
        n, height, width = w.shape
        peak = F.avg_pool2d(w[:, None], 5, 1, 2)[:, 0].flatten(1).argmax(1)
        rows, cols = torch.arange(height), torch.arange(width)
        near = ((rows[None, :, None] - (peak // width)[:, None, None]).abs() <= 5) & (
            (cols[None, None, :] - (peak % width)[:, None, None]).abs() <= 5
        )
        w = w * near
        total = w.sum((1, 2)).clamp_min(1e-6)
        r = ((w.sum(2) * rows).sum(1) / total).round().long()
        c = ((w.sum(1) * cols).sum(1) / total).round().long()
        half = CROP // 2
        padded = F.pad(torch.cat([x, diff], 1), (half, half, half, half)).permute(0, 2, 3, 1)
        window = torch.arange(CROP)
        out = padded[
            torch.arange(n)[:, None, None], (r[:, None] + window)[:, :, None], (c[:, None] + window)[:, None, :]
        ]
        return out.permute(0, 3, 1, 2)

    def forward(self, x):
        out, start = {}, 0
        logits = self.net(self.crop(x))
        for name, k in FACTORS.items():
            out[name] = logits[:, start : start + k]
            start += k
        return out


def new_judge(seed: int = 0):
    """An untrained judge with seeded weights and the toy camera's empty background."""
    torch.manual_seed(seed)
    judge = Judge()
    judge.background.copy_(torch.from_numpy(background()).permute(2, 0, 1))
    return judge


def round_trip(autoencoder, videos: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """``videos`` (..., H, W, 3) in [0, 1] sent through a frame ``autoencoder`` and back, clamped to [0, 1]
    as the pipeline's ``decode`` does: the best any model that draws through it can show.

    (The pipeline scales latents by ``latent_scale`` before the denoiser and back before decoding, so a
    round trip needs no scale.)"""
    videos = as_frames(videos, "...HWC")
    frames = torch.from_numpy(np.ascontiguousarray(videos.reshape(-1, *videos.shape[-3:]))).permute(0, 3, 1, 2)
    out = []
    with torch.no_grad():
        for i in range(0, len(frames), chunk):
            out.append(autoencoder.decode(autoencoder.encode(frames[i : i + chunk])).clamp(0, 1))
    return torch.cat(out).permute(0, 2, 3, 1).reshape(videos.shape).numpy()


def shuffle_frames(videos: np.ndarray, seed: int = 0) -> np.ndarray:
    """``videos`` (B, T, H, W, 3) with frames 1 to T-1 of each put in a random order (its own order per
    video, the same for the same seed): the same pictures without the motion, which must fail the
    physics."""
    videos = as_frames(videos, "BTHWC")
    rng = np.random.default_rng(seed)
    order = np.stack([np.r_[0, 1 + rng.permutation(videos.shape[1] - 1)] for _ in range(len(videos))])
    return np.take_along_axis(videos, order[:, :, None, None, None], axis=1)


def train_judge(
    n_clips: int = 3000, steps: int = 6000, seed: int = 0, autoencoder=None, lr: float = 2e-3, progress: bool = True
):
    """Train the judge on true frames of ``n_clips`` fresh clips (every other frame); returns it.

    With an ``autoencoder``, it also trains on those frames' round trips through it (``round_trip``),
    with the same labels: still only true content, but also seen through the blur that every video of a
    model drawing through that autoencoder has, so that the judge does not blame the generator for what
    the autoencoder loses. Adam, batch 64, the learning rate decaying to 0 along a cosine."""
    import torch.nn.functional as F

    from wmlib.progress import progress as bar
    from wmlib.training import set_learning_rate, warmup_cosine
    from wmlib.video.clips import render_clips, sample_clips

    clips = sample_clips(n_clips, seed=seed + 1000)
    true = render_clips(clips)[:, ::2]
    views = [true] if autoencoder is None else [true, round_trip(autoencoder, true)]
    frames = torch.from_numpy(np.concatenate([v.reshape(-1, *v.shape[2:]) for v in views])).permute(0, 3, 1, 2)
    frames = frames.contiguous()
    per_clip, n_views = true.shape[1], len(views)
    del true, views
    labels = {k: torch.from_numpy(np.tile(np.repeat(v, per_clip), n_views)) for k, v in clips.attributes().items()}
    judge = new_judge(seed)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(judge.parameters(), lr=lr)
    judge.train()
    for step in bar(range(steps), desc="judge", show=progress):
        set_learning_rate(opt, warmup_cosine(step, steps, 1, lr))
        i = torch.randint(0, len(frames), (64,), generator=g)
        out = judge(frames[i])
        loss = sum(F.cross_entropy(out[k], labels[k][i]) for k in FACTORS)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return judge.eval()


def judge_videos(judge, videos: np.ndarray) -> dict[str, np.ndarray]:
    """Each video's colour, shape and size: for each factor, the value most likely over all its frames
    together (the sum of the per-frame log-probabilities, so that frames the judge is sure of weigh
    more than a vote each): {factor: (B,) int}."""
    B, T = videos.shape[:2]
    x = torch.from_numpy(np.ascontiguousarray(videos, np.float32)).flatten(0, 1).permute(0, 3, 1, 2)
    with torch.no_grad():
        out = judge(x)
    return {k: out[k].log_softmax(1).view(B, T, -1).sum(1).argmax(1).numpy() for k in FACTORS}


def judge_accuracy(judge, videos: np.ndarray, attributes: dict[str, np.ndarray]) -> dict[str, float]:
    """The share of ``videos`` whose colour, shape and size the judge names as in ``attributes``."""
    votes = judge_videos(judge, videos)
    return {k: float(np.mean(votes[k] == np.asarray(attributes[k]))) for k in FACTORS}


def save_judge(judge, folder: Path, command: str, seed: int, scores: dict, seconds: float, **extra) -> dict:
    """Save the judge's weights and a manifest (command, seed, scores, sha256 and size of the file, and
    any ``extra`` fields)."""
    from wmlib.checkpoints import file_records, save_weights

    folder = Path(folder)
    save_weights(folder, judge.state_dict())
    manifest = {
        "name": folder.name,
        "description": "the judge: a CNN trained on true frames of the toy videos and "
        "their round trips through the toy-t2v frame autoencoder, to name the object's colour, shape and size",
        "command": command,
        "seed": seed,
        "scores": scores,
        "train_seconds": round(seconds, 1),
        **extra,
        "files": file_records(folder),
    }
    write_manifest(folder, manifest)
    return manifest


def load_judge(folder: Path | None = None):
    """The shipped judge, ``data/models/toy-video-judge`` (checked against its manifest's sha256)."""
    from wmlib.checkpoints import load_weights, verify_checkpoint
    from wmlib.registry import data_dir

    folder = data_dir() / "models" / "toy-video-judge" if folder is None else Path(folder)
    verify_checkpoint(folder)
    judge = Judge()
    judge.load_state_dict(load_weights(folder))  # the background comes with the weights
    return judge.eval()


def plot_tracks(videos: np.ndarray, titles: list[str] | None = None, ncols: int = 4):
    """The tracked height of the object in each video (dots) and the parabola fitted on its first
    bounce-free stretch (line), with the fitted gravity against the world's."""
    import matplotlib.pyplot as plt

    bg, g_true = background(), gravity_px()
    n = len(videos)
    rows = -(-n // ncols)
    fig, axes = plt.subplots(rows, ncols, figsize=(3.1 * ncols, 2.3 * rows), squeeze=False)
    for ax, i in zip(axes.flat, range(n)):
        xy, found = track(videos[i], bg)
        height = SIZE - 1 - xy[:, 1]  # pixels above the bottom row
        t = np.arange(len(height))
        ax.plot(t, height, "o", ms=3, color="0.3")
        g = fit_gravity(xy, found)
        if np.isfinite(g):
            seg = free_stretch(height)
            fit = np.polyval(np.polyfit(seg, height[seg], 2), seg)
            ok = abs(g - g_true) <= TOLERANCE * g_true
            ax.plot(seg, fit, "-", color="tab:green" if ok else "tab:red", lw=2)
            label = f"g = {g:.2f} ({'ok' if ok else 'off'})"
        else:
            label = "no fit"
        ax.set_title((titles[i] + "\n" if titles else "") + label, fontsize=8)
        ax.set_ylim(0, SIZE)
        ax.set_xlabel("frame", fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(f"tracked height (px) and the fitted parabola; the world's g is {g_true:.2f} px/frame²", fontsize=9)
    fig.tight_layout()
    return fig


# --- all of it ---------------------------------------------------------------------------------


def evaluate(videos: np.ndarray, attributes: dict[str, np.ndarray], judge=None) -> dict:
    """Measure a batch of videos (B, T, H, W, 3) against the colour, shape and size their prompts asked for.

    Returns per-video arrays (``gravity``, ``gravity_ok``, ``restitution``, ``restitution_ok``,
    ``found_all``, ``colour_ok``, ``shape_ok``, ``size_ok``, ``prompt_ok``), their shares (``share_*``),
    medians of the fitted constants, and the true ones (``true_gravity`` in px/frame²)."""
    videos = as_frames(videos, "BTHWC", SIZE)
    bg = background()
    g_true = gravity_px()
    gravity, restitution, found_all = [], [], []
    for v in videos:
        xy, found = track(v, bg)
        gravity.append(fit_gravity(xy, found))
        restitution.append(fit_restitution(xy, found))
        found_all.append(found.all())
    gravity, restitution = np.array(gravity), np.array(restitution)
    out = {
        "true_gravity": g_true,
        "gravity": gravity,
        "found_all": np.array(found_all),
        "gravity_ok": np.abs(gravity - g_true) <= TOLERANCE * g_true,
        "restitution": restitution,
        "true_restitution": RESTITUTION,
        "restitution_ok": np.abs(restitution - RESTITUTION) <= TOLERANCE * RESTITUTION,
    }
    if judge is not None:
        votes = judge_videos(judge, videos)
        for k in FACTORS:
            out[f"{k}_ok"] = votes[k] == np.asarray(attributes[k])
        out["prompt_ok"] = out["colour_ok"] & out["shape_ok"]
    for k in list(out):
        if k.endswith("_ok") or k == "found_all":
            out[f"share_{k}"] = float(np.mean(out[k]))
    # A bounce with enough frames on both sides is not in every clip: restitution is judged where it is.
    measured = np.isfinite(restitution)
    out["share_restitution_measured"] = float(measured.mean())
    out["share_restitution_ok"] = float(out["restitution_ok"][measured].mean()) if measured.any() else float("nan")
    for name, values in (("gravity", gravity), ("restitution", restitution)):
        out[f"median_{name}"] = float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")
    return out
