"""Read the objects back out of a frame: where each one is, in metres, so that an edit can be checked.

A generated frame has no true state behind it. But the toy camera is orthographic and every object
moves in one plane (z = 1.5 m), so a pixel position gives back a position in the world. ``locate``
finds each object by its colour: the pixels that differ from the empty background, each given to the
scene's object whose colour it is closest to in hue (the angle between RGB vectors: shading changes a
colour's brightness, not its direction), the largest blob per object, its weighted centroid.
``to_metres`` turns that into (x, height); ``Probe`` bundles both for one source scene.
"""

from __future__ import annotations

import numpy as np

from wmlib.plots import as_frames
from wmlib.world.scene import COLOUR_RGB, SIZE_RADIUS
from wmlib.world.studio import CAMERA, DEPTH, SIZE
from wmlib.world.tracker import THRESHOLD, difference, largest_blob


def _check_frames(frames) -> np.ndarray:
    frames = np.asarray(frames, np.float32)
    return as_frames(frames[None] if frames.ndim == 3 else frames, "THWC")


def locate(frames, colours: list[int], bg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each object's centre in each frame: ((T, K, 2) (column, row) in pixels, NaN where not found,
    (T, K) bool found). ``colours``: the colour index of each of the K objects to look for."""
    frames = _check_frames(frames)
    colours = list(colours)
    if not colours:
        raise ValueError("give the colour of at least one object to look for")
    rgb = COLOUR_RGB[colours]
    rgb = rgb / np.linalg.norm(rgb, axis=1, keepdims=True)
    diff = difference(frames, bg)
    norm = np.linalg.norm(frames, axis=-1, keepdims=True) + 1e-6
    owner = np.argmax((frames / norm) @ rgb.T, axis=-1)  # (T, H, W): the closest colour by angle
    xy = np.full((len(frames), len(colours), 2), np.nan)
    found = np.zeros((len(frames), len(colours)), bool)
    for t in range(len(frames)):
        moving = diff[t] > THRESHOLD
        for k in range(len(colours)):
            centre = largest_blob(moving & (owner[t] == k), diff[t])
            if centre is not None:
                xy[t, k], found[t, k] = centre, True
    return xy, found


def to_metres(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres (..., 2) to (x, height) in metres, (...) each: ``CAMERA`` inverted for objects in
    the plane z = DEPTH. On true frames the blob's centroid lands within about 1.5 cm (one standard
    deviation; ``calibrate``) of the object's centre, a fifth of a pixel."""
    right, up, _ = CAMERA.basis()
    px_per_m = SIZE / CAMERA.ortho_height
    a = (xy[..., 0] - (SIZE / 2 - 0.5)) / px_per_m  # = rel . right
    b = ((SIZE / 2 - 0.5) - xy[..., 1]) / px_per_m  # = rel . up
    cam = np.asarray(CAMERA.position, np.float64)
    # rel = (x, y, DEPTH) - cam; right has no y or z part; solve up . rel = b for y
    x = cam[0] + (a - right[2] * (DEPTH - cam[2])) / right[0]
    y = cam[1] + (b - up[0] * (x - cam[0]) - up[2] * (DEPTH - cam[2])) / up[1]
    return x, y


def calibrate(n: int = 200, seed: int = 1) -> dict:
    """Compare what ``locate`` + ``to_metres`` read on true frames with the simulator's state: the mean
    height error per size and the spread of the x and height errors, in metres."""
    from wmlib.frame2frame.edits import sample_edits
    from wmlib.video.clips import render_clips

    clips = sample_edits(n, seed=seed)
    frames = render_clips(clips)
    dx, dy, size_of = [], [], []
    for b in range(n):
        present = np.flatnonzero(clips.scene.shape[b] >= 0)
        xy, found = locate(frames[b], clips.scene.colour[b, present])
        x, y = to_metres(xy)
        true = clips.trajectory.position[b][:, present]
        dx.append((x - true[..., 0])[found])
        dy.append((y - true[..., 1])[found])
        size_of.append(np.broadcast_to(clips.scene.size[b, present], found.shape)[found])
    dx, dy, size_of = map(np.concatenate, (dx, dy, size_of))
    return {
        "height_error_by_size": {s: float(np.mean(dy[size_of == s])) for s in (0, 1)},
        "x_error_sd": float(dx.std()),
        "height_error_sd": float(dy.std()),
        "x_error_max": float(np.abs(dx).max()),
        "height_error_max": float(np.abs(dy).max()),
    }


class Probe:
    """The state of one source scene's objects read from frames: ``read(frames)`` gives (x, height,
    found), each (T, K) over the scene's object slots (missing slots stay NaN / not found)."""

    def __init__(self, scene, i: int = 0):
        self.present = np.flatnonzero(scene.shape[i] >= 0)
        self.colours = scene.colour[i, self.present].astype(int)
        self.sizes = scene.size[i, self.present].astype(int)
        self.radius = np.zeros(scene.shape.shape[1], np.float64)
        self.radius[self.present] = SIZE_RADIUS[self.sizes]
        self.slots = scene.shape.shape[1]

    def read(self, frames) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        frames = _check_frames(frames)
        xy, found = locate(frames, self.colours)
        x_k, y_k = to_metres(xy)
        x = np.full((len(frames), self.slots), np.nan)
        y = np.full((len(frames), self.slots), np.nan)
        f = np.zeros((len(frames), self.slots), bool)
        x[:, self.present], y[:, self.present], f[:, self.present] = x_k, y_k, found
        return x, y, f
