"""Has a video model learned the world's physics? Measure its videos the way one measures a real one.

- ``track``: where the object is in every frame (the largest blob that differs from the empty
  background, its centroid weighted by how much it differs; a bare centroid of bright pixels breaks on
  a generated video's faint noise, see ``video_feasibility.md``).
- ``fit_gravity``: find the bounces (the height's second difference jumps up) and fit
  ``y = y0 + v t - g t²/2`` on the first bounce-free stretch of at least 5 frames.
- ``Judge``: a small CNN trained on true frames only, which names the object's colour, shape and size in
  a frame; a video's answer is the majority over its frames.
- ``evaluate``: all of it for a batch of videos against what their prompts asked for.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from wmlib.video.clips import SIZE, background, gravity_px
from wmlib.world.scene import RESTITUTION

THRESHOLD = 0.25   # summed RGB difference from the background that counts as "object"
MIN_PIXELS = 3     # a smaller blob is noise
BOUNCE_KICK = 1.0  # px/frame²: a jump of the height's second difference above this is a bounce
MIN_SEGMENT = 5    # frames: the shortest bounce-free stretch to fit a parabola on
TOLERANCE = 0.2    # "gravity right" means within 20% of the truth


def track(video: np.ndarray, bg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The object's centre in each frame of ``video`` (T, H, W, 3): (T, 2) (column, row) in pixels, NaN
    where nothing was found, and (T,) bool ``found``."""
    from scipy.ndimage import label

    video = np.asarray(video, np.float32)
    if video.ndim != 4 or video.shape[-1] != 3:
        raise ValueError(f"a video must have shape (T, H, W, 3), got {video.shape}")
    bg = background() if bg is None else bg
    diff = np.abs(video - bg).sum(-1)
    rows, cols = np.mgrid[:video.shape[1], :video.shape[2]]
    xy = np.full((len(video), 2), np.nan)
    found = np.zeros(len(video), bool)
    for t, d in enumerate(diff):
        blobs, n = label(d > THRESHOLD)
        if n == 0:
            continue
        sizes = np.bincount(blobs.ravel())[1:]
        k = int(np.argmax(sizes)) + 1
        if sizes[k - 1] < MIN_PIXELS:
            continue
        w = np.where(blobs == k, d, 0.0)
        xy[t] = [(w * cols).sum() / w.sum(), (w * rows).sum() / w.sum()]
        found[t] = True
    return xy, found


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

FACTORS = {"colour": 8, "shape": 3, "size": 2}


@lru_cache(maxsize=None)
def _judge_class():
    import torch.nn as nn

    class Judge(nn.Module):
        """A small CNN: frame (N, 3, 32, 32) to logits for colour (8), shape (3) and size (2)."""

        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(),
                nn.Linear(64, sum(FACTORS.values())))

        def forward(self, x):
            out, start = {}, 0
            logits = self.net(x)
            for name, k in FACTORS.items():
                out[name] = logits[:, start:start + k]
                start += k
            return out

    return Judge


def train_judge(n_clips: int = 3000, steps: int = 3000, seed: int = 0, progress: bool = True):
    """Train the judge on true frames of ``n_clips`` fresh clips (every other frame); returns it."""
    import torch
    import torch.nn.functional as F

    from wmlib.plots import progress as bar
    from wmlib.video.clips import render_clips, sample_clips

    clips = sample_clips(n_clips, seed=seed + 1000)
    frames = torch.from_numpy(render_clips(clips)[:, ::2]).flatten(0, 1).permute(0, 3, 1, 2).contiguous()
    per_clip = frames.shape[0] // n_clips
    labels = {k: torch.from_numpy(np.repeat(v, per_clip)) for k, v in clips.attributes().items()}
    torch.manual_seed(seed)
    judge = _judge_class()()
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(judge.parameters(), lr=2e-3)
    for _ in bar(range(steps), desc="judge", show=progress):
        i = torch.randint(0, len(frames), (64,), generator=g)
        out = judge(frames[i])
        loss = sum(F.cross_entropy(out[k], labels[k][i]) for k in FACTORS)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return judge.eval()


def judge_videos(judge, videos: np.ndarray) -> dict[str, np.ndarray]:
    """Each video's colour, shape and size by majority vote over its frames: {factor: (B,) int}."""
    import torch

    B, T = videos.shape[:2]
    x = torch.from_numpy(np.ascontiguousarray(videos, np.float32)).flatten(0, 1).permute(0, 3, 1, 2)
    with torch.no_grad():
        out = judge(x)
    votes = {}
    for k, n in FACTORS.items():
        per_frame = out[k].argmax(1).view(B, T).numpy()
        votes[k] = np.array([np.bincount(row, minlength=n).argmax() for row in per_frame])
    return votes


def save_judge(judge, folder: Path, command: str, seed: int, scores: dict, seconds: float) -> dict:
    """Save the judge's weights and a manifest (command, seed, scores, sha256 and size of the file)."""
    from safetensors.torch import save_file

    from wmlib.loading import file_records

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in judge.state_dict().items()}, str(folder / "model.safetensors"))
    manifest = {"name": folder.name, "description": "the judge: a CNN trained on true frames of the toy videos to "
                "name the object's colour, shape and size", "command": command, "seed": seed, "scores": scores,
                "train_seconds": round(seconds, 1), "files": file_records(folder)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def load_judge(folder: Path | None = None):
    """The shipped judge, ``data/models/toy-video-judge`` (checked against its manifest's sha256)."""
    from safetensors.torch import load_file

    from wmlib.loading import verify_checkpoint

    from wmlib.registry import data_dir

    folder = data_dir() / "models" / "toy-video-judge" if folder is None else Path(folder)
    verify_checkpoint(folder)
    judge = _judge_class()()
    judge.load_state_dict(load_file(str(folder / "model.safetensors")))
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
    videos = np.asarray(videos, np.float32)
    if videos.ndim != 5 or videos.shape[-1] != 3 or videos.shape[2:4] != (SIZE, SIZE):
        raise ValueError(f"videos must have shape (B, T, {SIZE}, {SIZE}, 3), got {videos.shape}")
    bg = background()
    g_true = gravity_px()
    gravity, restitution, found_all = [], [], []
    for v in videos:
        xy, found = track(v, bg)
        gravity.append(fit_gravity(xy, found))
        restitution.append(fit_restitution(xy, found))
        found_all.append(found.all())
    gravity, restitution = np.array(gravity), np.array(restitution)
    out = {"true_gravity": g_true, "gravity": gravity, "found_all": np.array(found_all),
           "gravity_ok": np.abs(gravity - g_true) <= TOLERANCE * g_true,
           "restitution": restitution, "true_restitution": RESTITUTION,
           "restitution_ok": np.abs(restitution - RESTITUTION) <= TOLERANCE * RESTITUTION}
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
