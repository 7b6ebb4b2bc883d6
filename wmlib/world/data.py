"""Data from the toy world: Z as a factor table, the kernel of Z, and torch datasets of its projections.

The datasets render everything up front, in batches, and keep images as uint8, so that ten thousand
64x64 images take about 120 MB and any item is returned at once.
"""

from __future__ import annotations

import numpy as np

from wmlib.world.scene import MAX_OBJECTS, Scene, sample_scenes


def factor_table(scene: Scene) -> dict[str, np.ndarray]:
    """Z as columns, one row per scene: ``n_objects``, ``light_x/y/z``, the world constants, and for every
    object slot k the factors ``shape_k``, ``colour_k``, ``size_k`` (-1 if empty) and ``x_k`` ... ``vz_k``
    (NaN if empty). For one-object scenes, the ``_0`` columns are the object."""
    present = scene.present
    table: dict[str, np.ndarray] = {"n_objects": scene.n_objects.astype(np.int64)}
    for a, axis in enumerate("xyz"):
        table[f"light_{axis}"] = scene.light[:, a].astype(np.float32)
    table["gravity"], table["restitution"], table["friction"] = scene.gravity, scene.restitution, scene.friction
    for k in range(MAX_OBJECTS):
        for name in ("shape", "colour", "size"):
            table[f"{name}_{k}"] = np.where(present[:, k], getattr(scene, name)[:, k], -1).astype(np.int64)
        for a, axis in enumerate("xyz"):
            table[f"{axis}_{k}"] = np.where(present[:, k], scene.position[:, k, a], np.nan).astype(np.float32)
            table[f"v{axis}_{k}"] = np.where(present[:, k], scene.velocity[:, k, a], np.nan).astype(np.float32)
    return table


def z_kernel(a: Scene, b: Scene | None = None, sigma: float = 0.5, chunk: int = 512) -> np.ndarray:
    """The kernel of Z: how similar two scenes are in their true state, (len(a), len(b)) in [0, 1].

    Objects are compared factor by factor: same shape, same colour, same size (1 or 0 each) and nearness
    of position (a Gaussian of width ``sigma`` metres), averaged. Scenes are sets of objects, so the
    kernel sums over all pairs of objects and normalises to 1 on the diagonal (a normalised mean-map set
    kernel). Sums and products of kernels are kernels, so the matrix is positive semi-definite, as CKA
    expects, and independent of the order of objects.

    >>> from wmlib.world.scene import make_scene
    >>> ball = make_scene([dict(shape="sphere", colour="red", size="small", position=(0, 1.5))])
    >>> cube = make_scene([dict(shape="cube", colour="red", size="small", position=(0, 1.5))])
    >>> z_kernel(ball, ball).item(), z_kernel(ball, cube).item()  # all four factors agree; then three of four
    (1.0, 0.75)
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be positive (metres), got {sigma!r}")
    b = a if b is None else b
    diag_a = _set_similarity(a, a, sigma, pairwise=False)
    diag_b = diag_a if b is a else _set_similarity(b, b, sigma, pairwise=False)
    out = np.empty((len(a), len(b)), np.float32)
    for i in range(0, len(a), chunk):  # bounded memory: (chunk, len(b), K, K) at a time
        out[i : i + chunk] = _set_similarity(a[i : i + chunk], b, sigma) / np.sqrt(
            np.outer(diag_a[i : i + chunk], diag_b)
        )
    return out


def _set_similarity(x: Scene, y: Scene, sigma: float, pairwise: bool = True) -> np.ndarray:
    """Sum of object similarities over all pairs of objects: (len(x), len(y)), or (len(x),) for each
    scene with itself when ``pairwise`` is False."""
    if pairwise:  # axes: scene of x, scene of y, object of x, object of y
        ex = lambda arr: arr[:, None, :, None]  # noqa: E731
        ey = lambda arr: arr[None, :, None, :]  # noqa: E731
    else:  # axes: scene, object, object
        ex = lambda arr: arr[:, :, None]  # noqa: E731
        ey = lambda arr: arr[:, None, :]  # noqa: E731
    k = sum((ex(getattr(x, f)) == ey(getattr(y, f))).astype(np.float32) for f in ("shape", "colour", "size"))
    d2 = sum((ex(x.position[..., i]) - ey(y.position[..., i])) ** 2 for i in range(3))
    k = (k + np.exp(-d2 / (2 * sigma**2))) / 4
    k = np.where(ex(x.present) & ey(y.present), k, 0)
    return k.sum(axis=(-2, -1))


def _store(frames: np.ndarray, projection: str) -> np.ndarray:
    """Compact storage: colour and shadow as uint8 (they live in [0, 1]), depth as float16 metres."""
    if projection == "depth":
        return frames.astype(np.float16)
    return (np.clip(frames, 0, 1) * 255).round().astype(np.uint8)


def _load(stored: np.ndarray):
    import torch

    x = torch.from_numpy(np.asarray(stored).astype(np.float32))
    return x / 255 if stored.dtype == np.uint8 else x


def _z_row(table: dict[str, np.ndarray], i: int) -> dict:
    import torch

    return {k: torch.as_tensor(v[i]) for k, v in table.items()}


class ImageCaptionDataset:
    """(image, caption, z) triples of the toy world: a map-style torch dataset, the same for the same seed.

    ``image`` is a float tensor (C, H, W) in [0, 1] (C = 3 for the camera, 1 for the shadow and for depth,
    which is in metres); ``caption`` a string; ``z`` a dict of the scene's factors (see ``factor_table``).
    Everything is rendered when the dataset is built, ``chunk`` scenes at a time.
    """

    def __init__(
        self,
        n: int,
        seed: int = 0,
        projection: str = "camera",
        size=64,
        n_objects: int | tuple[int, int] = (1, MAX_OBJECTS),
        chunk: int = 1024,
        progress: bool = False,
        **camera,
    ):
        from wmlib.world.captions import captions
        from wmlib.world.video import project

        self.scene = sample_scenes(n, seed, n_objects=n_objects)
        self.projection = projection
        self.captions = captions(self.scene, seed)
        self.factors = factor_table(self.scene)
        starts = range(0, n, chunk)
        if progress:
            from wmlib.progress import progress as bar

            starts = bar(starts, desc=f"rendering {n} {projection} images", unit="chunk")
        self.images = np.concatenate(
            [_store(project(self.scene[i : i + chunk], projection, size, **camera), projection) for i in starts]
        )

    def __len__(self) -> int:
        return len(self.scene)

    def __getitem__(self, i: int):
        image = _load(self.images[i])
        image = image.permute(2, 0, 1) if image.ndim == 3 else image[None]
        return image, self.captions[i], _z_row(self.factors, i)


class VideoCaptionDataset:
    """(video, caption, z) triples: thrown objects simulated for ``n_frames`` frames and rendered in an
    image projection. ``video`` is a float tensor (T, C, H, W); ``caption`` describes the motion
    ("the small red ball is thrown to the right and bounces twice"); ``z`` holds the factors of the
    first frame. A map-style torch dataset, the same for the same seed."""

    def __init__(
        self,
        n: int,
        seed: int = 0,
        n_frames: int = 16,
        fps: float = 12.0,
        projection: str = "camera",
        size=32,
        n_objects: int | tuple[int, int] = 1,
        chunk: int = 256,
        progress: bool = False,
        **camera,
    ):
        from wmlib.world.captions import motion_captions
        from wmlib.world.physics import simulate
        from wmlib.world.video import render_video

        self.scene = sample_scenes(n, seed, n_objects=n_objects, moving=True)
        self.trajectory = simulate(self.scene, n_frames=n_frames, fps=fps)
        self.captions = motion_captions(self.scene, self.trajectory, seed)
        self.factors = factor_table(self.scene)
        self.fps = fps
        starts = range(0, n, chunk)
        if progress:
            from wmlib.progress import progress as bar

            starts = bar(starts, desc=f"rendering {n} videos", unit="chunk")
        self.videos = np.concatenate(
            [
                _store(
                    render_video(
                        self.scene[i : i + chunk],
                        self.trajectory.clips(slice(i, i + chunk)),
                        projection,
                        size,
                        **camera,
                    ),
                    projection,
                )
                for i in starts
            ]
        )

    def __len__(self) -> int:
        return len(self.scene)

    def __getitem__(self, i: int):
        video = _load(self.videos[i])
        video = video.permute(0, 3, 1, 2) if video.ndim == 4 else video[:, None]
        return video, self.captions[i], _z_row(self.factors, i)


__all__ = ["ImageCaptionDataset", "VideoCaptionDataset", "factor_table", "z_kernel"]
