"""Has the model learned the world's physics, or the training clips? Continue videos and measure.

Kang et al. (2024, *How Far is Video Generation from World Model: A Physical Law Perspective*) train
video diffusion models on simulated balls and give them the first frames of a clip: in the training
distribution the continuation follows the physics almost perfectly, but with speeds outside the
training range the error is an order of magnitude higher, and more data or a larger model does not
close the gap. This module runs that test in the toy world:

- ``continue_clips``: the model's videos of held-out clips, given their caption and first c frames;
- ``track_error`` and ``velocity_error``: how far the tracked object is from the true continuation,
  at the last frame, and in its frame-to-frame velocity;
- ``wmlib.video.benchmark.conditioned`` puts them together for c = 0, 1 and 3, in and out of the training
  distribution.
"""

from __future__ import annotations

import numpy as np

from wmlib.video.clips import Clips, render_clips, true_track
from wmlib.world.studio import SIZE, background


def continue_clips(
    pipe, clips: Clips, c: int, truth: np.ndarray | None = None, seed: int = 0, batch: int = 64, **kwargs
) -> np.ndarray:
    """Videos (B, T, H, W, 3) that ``pipe`` makes for ``clips``: from each caption and the clip's first
    ``c`` true frames (``truth``: the rendered clips, rendered here if not given). Each batch of
    ``batch`` clips has its own seed."""
    if truth is None:
        truth = render_clips(clips)
    out = []
    for i in range(0, len(clips), batch):
        given = truth[i : i + batch, :c] if c else None
        out.append(pipe(clips.captions[i : i + batch], seed=seed + i, first_frames=given, **kwargs))
    return np.concatenate(out)


def tracks(videos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tracked object in every frame of every video: (B, T, 2) pixel positions and (B, T) found."""
    from wmlib.world.tracker import track

    bg = background()
    pairs = [track(v, bg) for v in np.asarray(videos, np.float32)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


LOST = float(np.hypot(SIZE, SIZE))  # px: the error of a video that lost the object, the frame's diagonal


def track_error(xy: np.ndarray, found: np.ndarray, clips: Clips) -> np.ndarray:
    """(B,) distance in pixels between the tracked object and its true place at the last frame; ``LOST``
    (the frame's diagonal) where the object was lost in any frame: a video that loses the object has not
    continued the clip, and a finite worst case keeps medians and their intervals defined."""
    error = np.linalg.norm(xy[:, -1] - true_track(clips)[:, -1], axis=-1)
    return np.where(found.all(1), error, LOST)


def velocity_error(xy: np.ndarray, found: np.ndarray, clips: Clips, c: int) -> np.ndarray:
    """(B,) mean over the made frames of |v - v_true| (pixels per frame), where v is the tracked object's
    step from one frame to the next; ``LOST`` where the object was lost in any frame. The first step
    counted is the one into frame max(c, 1): from the last given frame to the first made one."""
    first = max(c, 1)
    v = np.diff(xy, axis=1)[:, first - 1 :]
    v_true = np.diff(true_track(clips), axis=1)[:, first - 1 :]
    error = np.linalg.norm(v - v_true, axis=-1).mean(1)
    return np.where(found.all(1), error, LOST)
