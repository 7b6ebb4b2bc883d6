"""The tracker: where an object is in each frame of a studio video (``wmlib.world.studio``).

An object is the largest blob of pixels that differ from the empty background by more than ``THRESHOLD``
(summed over RGB); its centre is the blob's centroid weighted by how much each pixel differs. A bare
centroid of bright pixels breaks on a generated video's faint noise; the largest blob does not.
Lesson 04 measures gravity from these tracks, 05 reads edits back with them, 06 its dreams.

>>> from wmlib.world.studio import SIZE, background
>>> frame = background().copy()
>>> frame[10:13, 20:23] = 1.0  # a 3x3 white square
>>> xy, found = track(frame[None])
>>> xy[0].round(3).tolist(), bool(found[0])  # its centre: column 21, row 11
([21.0, 11.0], True)
"""

from __future__ import annotations

import numpy as np

from wmlib.plots import as_frames

THRESHOLD = 0.25  # summed RGB difference from the background that counts as "object"
MIN_PIXELS = 3  # a smaller blob is noise


def largest_blob(mask: np.ndarray, weight: np.ndarray) -> np.ndarray | None:
    """The (column, row) centre of the largest connected blob of ``mask`` (H, W), weighted by ``weight``;
    None when there is no blob of ``MIN_PIXELS`` or more."""
    from scipy.ndimage import label

    blobs, n = label(mask)
    if n == 0:
        return None
    sizes = np.bincount(blobs.ravel())[1:]
    k = int(np.argmax(sizes)) + 1
    if sizes[k - 1] < MIN_PIXELS:
        return None
    w = np.where(blobs == k, weight, 0.0)
    rows, cols = np.mgrid[: mask.shape[0], : mask.shape[1]]
    return np.array([(w * cols).sum() / w.sum(), (w * rows).sum() / w.sum()])


def difference(frames: np.ndarray, bg: np.ndarray | None = None) -> np.ndarray:
    """(..., H, W): how much each pixel differs from the empty background (summed over RGB)."""
    from wmlib.world.studio import background

    bg = background() if bg is None else bg
    return np.abs(frames - bg).sum(-1)


def track(video, bg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The object's centre in each frame of ``video`` (T, H, W, 3): (T, 2) (column, row) in pixels, NaN
    where nothing was found, and (T,) bool ``found``."""
    video = as_frames(video, "THWC")
    diff = difference(video, bg)
    xy = np.full((len(video), 2), np.nan)
    found = np.zeros(len(video), bool)
    for t, d in enumerate(diff):
        centre = largest_blob(d > THRESHOLD, d)
        if centre is not None:
            xy[t], found[t] = centre, True
    return xy, found
