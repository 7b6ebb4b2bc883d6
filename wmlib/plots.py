"""Figures and media for the notebooks. Every function returns what it draws (a matplotlib Figure, or
an IPython display object), so that tests can check it and notebooks can show it.

Arrays may be numpy arrays or torch tensors (on any device, with or without grad). Nothing is drawn or
imported at import time: matplotlib, IPython, imageio and tqdm are imported by the functions that use them."""

from __future__ import annotations

import base64
import io
import os
import textwrap

import numpy as np


def _to_numpy(x) -> np.ndarray:
    """A numpy view of ``x``; a torch tensor is detached and moved to the CPU first. torch itself is never
    imported here: a tensor is recognised by its methods, so plotting numpy data stays torch-free."""
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):
        x = x.detach().cpu()
        if str(x.dtype) == "torch.bfloat16":  # numpy has no bfloat16
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def _channels_last(frames: np.ndarray) -> np.ndarray:
    """(T, C, H, W) with C = 1 or 3, as torch stores images, becomes (T, H, W, C); a single channel is dropped."""
    if frames.ndim == 4 and frames.shape[1] in (1, 3) and frames.shape[-1] not in (1, 3, 4):
        frames = frames.transpose(0, 2, 3, 1)
    if frames.ndim == 4 and frames.shape[-1] == 1:
        frames = frames[..., 0]
    return frames


def _to_uint8(frames: np.ndarray) -> np.ndarray:
    frames = _channels_last(_to_numpy(frames))
    if frames.dtype != np.uint8:
        frames = (np.clip(frames, 0, 1) * 255).round().astype(np.uint8)
    if frames.ndim == 3:  # (T, H, W) greyscale
        frames = np.repeat(frames[..., None], 3, axis=-1)
    return frames


def show_projections(scene, i: int = 0, size: int = 64, caption: str | None = None):
    """One scene in all its projections side by side: camera, wall shadow, depth, occupancy, LiDAR."""
    import matplotlib.pyplot as plt

    from wmlib.world import render as R
    from wmlib.world.scene import MAX_OBJECTS

    one = scene[i]
    image, depth, _ = R.render(one, size)
    wall = R.shadow(one, size)
    grid = R.occupancy(one)[0]
    ranges, points = R.lidar(one)
    fig, axes = plt.subplots(1, 6, figsize=(15, 2.9))
    axes[0].imshow(image[0])
    axes[0].set_title("camera image")
    axes[1].imshow(wall[0], cmap="gray", vmin=0, vmax=1, extent=(R.WALL_WINDOW[0], R.WALL_WINDOW[1], R.WALL_WINDOW[2], R.WALL_WINDOW[3]))
    axes[1].set_title("shadow on the wall")
    finite = np.where(np.isfinite(depth[0]), depth[0], np.nan)
    axes[2].imshow(finite, cmap="magma_r")
    axes[2].set_title("depth")
    # Occupancy seen from above: the highest occupied voxel of each column, coloured by object.
    top = np.zeros(grid.shape[::2], int)
    for y in range(grid.shape[1]):
        top = np.where(grid[:, y, :] > 0, grid[:, y, :], top)
    # Grey levels tell the objects apart: occupancy knows where things are, not what colour they are.
    axes[3].imshow(np.where(top > 0, top, np.nan).T, origin="lower", cmap="Greys", vmin=-1, vmax=MAX_OBJECTS,
                   extent=(*R.OCCUPANCY_BOUNDS[0], *R.OCCUPANCY_BOUNDS[2]))
    axes[3].set_title("occupancy (from above)")
    axes[3].set_xlabel("x")
    axes[3].set_ylabel("z")
    axes[4].imshow(np.where(ranges[0] > 0, ranges[0], np.nan), cmap="viridis", aspect="auto")
    axes[4].set_title("LiDAR range image")
    pts = points[0][~np.isnan(points[0][:, 0])]
    axes[5].scatter(pts[:, 0], pts[:, 2], s=2, c=pts[:, 1], cmap="viridis", vmin=0, vmax=1)
    axes[5].set_xlim(-4, 4)
    axes[5].set_ylim(-3, 5)
    axes[5].set_aspect("equal")
    axes[5].set_title("LiDAR points (from above)")
    for ax in axes[[0, 1, 2, 4]]:
        ax.set_xticks([])
        ax.set_yticks([])
    if caption:
        fig.suptitle(f"\u201c{caption}\u201d", y=1.02)
    fig.tight_layout()
    return fig


def draw_cave(scene, i: int = 0, ax=None):
    """The cave as a 3D sketch: ground, wall, fire, the objects, and rays from the fire past each object
    to its shadow on the wall."""
    import matplotlib.pyplot as plt

    from wmlib.world.render import WALL_WINDOW, shadow
    from wmlib.world.scene import COLOUR_RGB, SHAPES, WALL_Z

    if ax is None:
        fig = plt.figure(figsize=(7, 5))
        ax = fig.add_subplot(projection="3d")
    fig = ax.figure
    one = scene[i]
    light = one.light[0]
    # The ground and the wall (y is up in the world, z up in matplotlib's 3D axes, so we plot (x, z, y)).
    gx, gz = np.meshgrid([-2.5, 2.5], [-2.0, WALL_Z])
    ax.plot_surface(gx, gz, np.zeros_like(gx), color="#9e8466", alpha=0.25)
    # The wall, painted with the shadows the fire really casts on it.
    x0, x1, y0, y1 = WALL_WINDOW
    wall = shadow(one, 40)[0]
    wx, wy = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y1, y0, 41))
    ax.plot_surface(wx, np.full_like(wx, WALL_Z), wy, facecolors=plt.cm.gray(wall), shade=False,
                    rstride=1, cstride=1, linewidth=0, antialiased=False)
    ax.scatter(*light[[0, 2, 1]], color="#ff8c1a", s=160, marker="*", label="fire")
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 24), np.linspace(0, np.pi, 12))
    for k in np.flatnonzero(one.present[0]):
        c, r = one.position[0, k], one.radius[0, k]
        colour = COLOUR_RGB[one.colour[0, k]]
        shape = SHAPES[one.shape[0, k]]
        if shape == "sphere":
            x, y, z = c[0] + r * np.cos(u) * np.sin(v), c[1] + r * np.cos(v), c[2] + r * np.sin(u) * np.sin(v)
        elif shape == "cylinder":
            t, h = np.meshgrid(np.linspace(0, 2 * np.pi, 24), [-r, r])
            x, y, z = c[0] + r * np.cos(t), c[1] + h, c[2] + r * np.sin(t)
        else:
            t, h = np.meshgrid(np.linspace(-1, 1, 2), [-r, r])
            for sx, sz in ((1, 0), (-1, 0), (0, 1), (0, -1)):  # four sides of the cube
                xs = c[0] + (sx * r if sx else t * r)
                zs = c[2] + (sz * r if sz else t * r)
                ax.plot_surface(np.broadcast_to(xs, h.shape), np.broadcast_to(zs, h.shape), c[1] + h, color=colour)
            continue
        ax.plot_surface(x, z, y, color=colour, linewidth=0)
        # The central ray from the fire through the object's centre to the centre of its shadow.
    for k in np.flatnonzero(one.present[0]):
        c = one.position[0, k]
        s = (WALL_Z - light[2]) / (c[2] - light[2])
        hit = light + s * (c - light)
        if hit[1] > 0:
            ax.plot(*np.stack([light, hit])[:, [0, 2, 1]].T, color="#ff8c1a", lw=0.8, ls="--")
            ax.scatter(*hit[[0, 2, 1]], color="k", s=20)
    ax.set_xlabel("x")
    ax.set_ylabel("z (toward the wall)")
    ax.set_zlabel("y (up)")
    ax.set_xlim(x0, x1)
    ax.set_ylim(-2, WALL_Z)
    ax.set_zlim(y0, y1)
    ax.view_init(elev=18, azim=-60)
    ax.set_title("the cave: the fire, the objects, and where their shadows fall")
    return fig


def video_grid(videos, ncols: int = 8, gap: int = 1, fill: float = 1.0) -> np.ndarray:
    """Several videos (B, T, H, W, 3) tiled into one video (T, rows*(H+gap)-gap, cols*(W+gap)-gap, 3), so
    that they play side by side, in step; ``gap`` pixels of ``fill`` (white) between them."""
    videos = np.asarray(videos, dtype=np.float32)
    if videos.ndim != 5 or videos.shape[-1] != 3:
        raise ValueError(f"videos must have shape (B, T, H, W, 3), got {videos.shape}")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    b, t, h, w, _ = videos.shape
    cols = min(ncols, b)
    rows = -(-b // cols)
    out = np.full((t, rows * (h + gap) - gap, cols * (w + gap) - gap, 3), fill, np.float32)
    for i in range(b):
        r, c = divmod(i, cols)
        out[:, r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = videos[i]
    return out


def frame_strip(video: np.ndarray, n: int = 8, title: str | None = None):
    """``n`` evenly spaced frames of a video (T, H, W[, 3]) side by side."""
    import matplotlib.pyplot as plt

    frames = _to_uint8(video)
    picks = np.linspace(0, len(frames) - 1, min(n, len(frames))).round().astype(int)
    fig, axes = plt.subplots(1, len(picks), figsize=(1.6 * len(picks), 1.9))
    for ax, t in zip(np.atleast_1d(axes), picks):
        ax.imshow(frames[t])
        ax.set_title(f"t = {t}", fontsize=8)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def video_html(video: np.ndarray, fps: float = 12, scale: int | None = None, max_kb: int = 2000):
    """An inline, looping HTML5 video of (T, H, W[, 3]) frames, enlarged by ``scale`` (nearest pixels)
    so small frames stay crisp. Encoded as MP4 (or GIF where no encoder is available) and refused,
    with the size in the message, when it would bloat the notebook past ``max_kb``."""
    from IPython.display import HTML

    frames = _to_uint8(video)
    if scale is None:
        scale = max(1, 192 // frames.shape[1])
    frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    data, mime = _encode(frames, fps)
    kb = len(data) / 1024
    if kb > max_kb:
        raise ValueError(f"the video takes {kb:.0f} KB, more than max_kb={max_kb}; show fewer frames or a frame_strip")
    src = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    if mime == "image/gif":
        return HTML(f'<img src="{src}" />')
    return HTML(f'<video src="{src}" autoplay loop muted playsinline controls></video>')


def _encode(frames: np.ndarray, fps: float) -> tuple[bytes, str]:
    import imageio.v3 as iio

    pad = [(0, 0), (0, -frames.shape[1] % 16), (0, -frames.shape[2] % 16), (0, 0)]  # H.264 wants multiples of 16
    try:
        buf = io.BytesIO()
        iio.imwrite(buf, np.pad(frames, pad, mode="edge"), extension=".mp4", fps=fps, codec="libx264",
                    macro_block_size=1)
        return buf.getvalue(), "video/mp4"
    except Exception:  # no ffmpeg: fall back to a GIF, which every browser shows
        return _gif(frames, fps), "image/gif"


def _gif(frames: np.ndarray, fps: float) -> bytes:
    import imageio.v3 as iio

    buf = io.BytesIO()
    iio.imwrite(buf, frames, extension=".gif", duration=1000 / fps, loop=0)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Figures for the representation notebooks: image grids, similarity matrices, the sphere, model alignment.


def _label(text, width: int = 24, lines: int = 2) -> str:
    """A tick label wrapped to ``width`` characters and cut to ``lines`` lines, so long captions fit."""
    return textwrap.fill(str(text), width=width, max_lines=lines, placeholder="…")


def _image(img) -> np.ndarray:
    """One image as (H, W, 3) uint8 (or RGBA as given): from a PIL image, an (H, W[, C]) or (C, H, W) array
    or tensor, in [0, 1] or uint8."""
    if hasattr(img, "convert") and hasattr(img, "size") and not hasattr(img, "shape"):  # a PIL image
        return np.asarray(img.convert("RGB"))
    a = _to_numpy(img)
    if a.ndim not in (2, 3):
        raise ValueError(f"an image must be (H, W), (H, W, C) or (C, H, W), not {a.shape}")
    return _to_uint8(a[None])[0]


def image_grid(images, captions=None, ncols: int = 8, title: str | None = None):
    """Images in a grid of ``ncols`` columns (ceil(N / ncols) rows), each with its caption wrapped below it.

    ``images``: (N, H, W, 3), (N, H, W) or (N, C, H, W) in [0, 1] or uint8 (numpy or torch), or a list of
    PIL images / single images. Captions longer than four lines are cut with "…"."""
    import matplotlib.pyplot as plt

    if isinstance(images, (list, tuple)):
        pics = [_image(im) for im in images]
    else:
        pics = [_image(im) for im in _to_numpy(images)]
    n = len(pics)
    if n == 0:
        raise ValueError("image_grid needs at least one image")
    if captions is not None and len(captions) != n:
        raise ValueError(f"{len(captions)} captions for {n} images")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    wrapped = [textwrap.fill(str(c), width=26, max_lines=4, placeholder="…") for c in captions] if captions else None
    # Room under each row for its longest caption: about 0.13 inch per line of 7-point text.
    lines = max((w.count("\n") + 1 for w in wrapped), default=0) if wrapped else 0
    aspect = max(p.shape[0] / p.shape[1] for p in pics)
    cell = 1.6
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell * ncols, nrows * (cell * aspect + 0.13 * lines + 0.15)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= n:  # the unused cells of the last row go, so the figure has one axes per image
            fig.delaxes(ax)
            continue
        ax.imshow(pics[k])
        ax.axis("off")
        if wrapped:
            ax.text(0.5, -0.03, wrapped[k], transform=ax.transAxes, ha="center", va="top", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def similarity_matrix(sim, row_labels=None, col_labels=None, title: str | None = None, annotate: bool | None = None):
    """A heatmap of an (N, M) similarity matrix, e.g. CLIP's cosine similarities of N images (rows) to M texts
    (columns). The largest value of each row is boxed: the text each image picks.

    A diverging colour map centred on 0 is used when the values have both signs, a sequential one otherwise.
    The numbers are written in the cells when ``annotate`` is True, or, with ``annotate=None``, when the
    matrix is small (N * M <= 100). Labels are wrapped and cut to two lines."""
    import matplotlib.patheffects as pe
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    sim = _to_numpy(sim).astype(float)
    if sim.ndim != 2:
        raise ValueError(f"a similarity matrix must be (N, M), not {sim.shape}")
    n, m = sim.shape
    for labels, count, what in ((row_labels, n, "row"), (col_labels, m, "column")):
        if labels is not None and len(labels) != count:
            raise ValueError(f"{len(labels)} {what} labels for {count} {what}s")
    if annotate is None:
        annotate = n * m <= 100
    lo, hi = np.nanmin(sim), np.nanmax(sim)
    if lo < 0 < hi:  # signed similarities: white means 0, so the sign reads at a glance
        cmap, vmax = "RdBu_r", max(-lo, hi)
        vmin = -vmax
    else:
        cmap, vmin, vmax = "viridis", lo, hi
    # Cells of roughly half an inch, plus room for the labels; bounded so big matrices stay on screen.
    width = float(np.clip(0.55 * m + (2.2 if row_labels is not None else 0.8) + 1.2, 4, 16))
    height = float(np.clip(0.45 * n + (1.3 if col_labels is not None else 0.6) + 0.8, 3, 16))
    fig, ax = plt.subplots(figsize=(width, height))
    im = ax.imshow(sim, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03, label="similarity")
    # Columns on top, as in CLIP's figure: the bottom is left for the note on the boxes.
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("bottom")
    if col_labels is not None:
        ax.set_xticks(range(m), [_label(c) for c in col_labels], rotation=45, ha="left", fontsize=8)
    if row_labels is not None:
        ax.set_yticks(range(n), [_label(r, width=30) for r in row_labels], fontsize=8)
    best = np.nanargmax(np.where(np.isnan(sim), -np.inf, sim), axis=1)
    for i, j in enumerate(best):
        # A white box with a black outline shows on every colour of either map.
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="white", linewidth=2,
                               path_effects=[pe.withStroke(linewidth=4, foreground="black")], gid="row-max"))
    if annotate:
        for i in range(n):
            for j in range(m):
                r, g, b, _ = im.cmap(im.norm(sim[i, j]))
                ink = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
                ax.text(j, i, f"{sim[i, j]:.2f}", ha="center", va="center", fontsize=8, color=ink,
                        fontweight="bold" if j == best[i] else "normal")
    ax.set_xlabel("boxed: the largest value in each row", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def project_to_sphere(x, dim: int = 3, center: bool = True) -> np.ndarray:
    """(N, D) vectors as (N, ``dim``) points on the unit sphere: each row is normalised (directions, not
    lengths, matter for cosine similarity), centred (``center``; so PCA spreads the cloud rather than
    spending an axis on its mean direction), projected on its ``dim`` principal axes and normalised again.
    Signs are fixed (largest loading positive) so the same data gives the same picture."""
    x = _to_numpy(x).astype(float)
    if x.ndim != 2:
        raise ValueError(f"project_to_sphere needs (N, D) vectors, not {x.shape}")
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    if center:
        x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    vt = vt[:dim]
    vt = vt * np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(1)])[:, None]
    y = x @ vt.T
    if y.shape[1] < dim:  # fewer points (or dimensions) than ``dim``: the missing axes are empty
        y = np.pad(y, [(0, 0), (0, dim - y.shape[1])])
    return y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)


def _arc(a: np.ndarray, b: np.ndarray, steps: int = 24) -> np.ndarray:
    """The shorter great-circle arc from unit vector ``a`` to ``b`` (a straight chord if they are opposite)."""
    omega = np.arccos(np.clip(a @ b, -1, 1))
    t = np.linspace(0, 1, steps)[:, None]
    if np.sin(omega) < 1e-6:
        return a + t * (b - a)
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def sphere_points(points, groups=None, labels=None, title: str | None = None, connect=None, ax=None):
    """Points on the unit sphere in 3D, on a faint wireframe sphere.

    ``points``: (N, 3), normalised here to unit length. Higher-dimensional points (N, D > 3), such as CLIP
    embeddings, are first projected with :func:`project_to_sphere` (PCA to 3-D, then normalised), and the
    title says so; fewer than 3 dimensions raise ValueError. ``groups`` (N labels, e.g. "image" / "text")
    colours the points, with a legend; ``labels`` (N strings) writes a label by each point; ``connect`` is
    a list of (i, j) pairs joined by the great-circle arc between them (e.g. an image and its caption)."""
    import matplotlib.pyplot as plt

    p = _to_numpy(points).astype(float)
    if p.ndim != 2 or p.shape[1] < 3:
        raise ValueError(f"sphere_points needs (N, 3) points (or (N, D > 3), projected by PCA), not {p.shape}")
    dim = p.shape[1]
    if dim > 3:
        p = project_to_sphere(p, 3)
        note = f"PCA of {dim}-d points to 3-d, on the unit sphere"
        title = f"{title}\n({note})" if title else note
    p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
    n = len(p)
    for given, what in ((groups, "groups"), (labels, "labels")):
        if given is not None and len(given) != n:
            raise ValueError(f"{len(given)} {what} for {n} points")
    if ax is None:
        fig = plt.figure(figsize=(6, 6))
        ax = fig.add_subplot(projection="3d")
    fig = ax.figure
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 25), np.linspace(0, np.pi, 13))
    ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.6", linewidth=0.4,
                      alpha=0.35)
    for i, j in connect or []:
        ax.plot(*_arc(p[i], p[j]).T, color="0.3", linewidth=1.2)
    if groups is None:
        ax.scatter(*p.T, s=30, color="C0")
    else:
        groups = [str(g) for g in groups]
        for k, g in enumerate(dict.fromkeys(groups)):  # in order of first appearance, so colours are stable
            rows = [i for i, h in enumerate(groups) if h == g]
            ax.scatter(*p[rows].T, s=30, color=f"C{k}", label=g)
        ax.legend(loc="upper left", fontsize=8)
    for i, text in enumerate(labels or []):
        ax.text(*(p[i] * 1.06), _label(text, width=20), fontsize=7)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_zlim(-1, 1)
    ax.set_box_aspect((1, 1, 1))  # a sphere, not an egg
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def alignment_matrix(scores, names, title: str | None = None, vmin: float | None = None, vmax: float | None = None,
                     groups=None):
    """A square (K, K) matrix of pairwise alignment scores between K models (e.g. mutual k-NN), the model
    ``names`` on both axes and every value written in its cell. ``groups`` (K family names, models of a
    family next to each other) draws a line wherever the family changes."""
    import matplotlib.pyplot as plt

    scores = _to_numpy(scores).astype(float)
    k = len(names)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"alignment scores must be a square (K, K) matrix, not {scores.shape}")
    if scores.shape[0] != k:
        raise ValueError(f"{k} names for a {scores.shape[0]} x {scores.shape[0]} matrix")
    if groups is not None and len(groups) != k:
        raise ValueError(f"{len(groups)} groups for {k} models")
    side = float(np.clip(0.6 * k + 2.5, 4, 16))
    fig, ax = plt.subplots(figsize=(side + 0.8, side))
    im = ax.imshow(scores, cmap="viridis", vmin=vmin, vmax=vmax)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03, label="alignment")
    labels = [_label(nm, width=18) for nm in names]
    ax.set_xticks(range(k), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), labels, fontsize=8)
    size = 8 if k <= 12 else 6
    for i in range(k):
        for j in range(k):
            r, g, b, _ = im.cmap(im.norm(scores[i, j]))
            ink = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
            ax.text(j, i, f"{scores[i, j]:.2f}", ha="center", va="center", fontsize=size, color=ink)
    if groups is not None:
        for b in np.flatnonzero(np.asarray(groups[1:], dtype=object) != np.asarray(groups[:-1], dtype=object)):
            ax.axhline(b + 0.5, color="white", linewidth=2.5, gid="family")
            ax.axvline(b + 0.5, color="white", linewidth=2.5, gid="family")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------------
# Videos that survive every renderer, and progress bars.


def _png(fig, dpi: int = 72) -> bytes:
    """The figure as PNG bytes; the figure is closed, so the inline backend does not show it a second time."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


class VideoDisplay:
    """A video for a notebook cell (made by :func:`show_video`). Its MIME bundle holds

    - ``text/html``: an autoplaying, looping MP4 (or an animated GIF), with the frame grid inside the
      ``<video>`` tag as its fallback content, for pages (GitHub) that strip ``<video>``;
    - ``image/png``: a static grid of frames (:func:`frame_strip`), for renderers that drop HTML;
    - ``text/plain``: what was embedded, and why anything was left out.

    ``kind`` is "mp4", "gif" or "frames" (grid only); ``kb`` the size of the embedded video."""

    def __init__(self, html: str | None, png: bytes, kind: str, kb: float, text: str):
        self.html, self.png, self.kind, self.kb, self.text = html, png, kind, kb, text

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {"text/plain": self.text, "image/png": base64.b64encode(self.png).decode()}
        if self.html is not None:
            bundle["text/html"] = self.html
        return {k: v for k, v in bundle.items() if (not include or k in include) and k not in (exclude or ())}

    def __repr__(self) -> str:
        return self.text


def show_video(video, fps: float = 12, max_kb: float = 2000, scale: int | None = None, n: int = 8) -> VideoDisplay:
    """A video (T, H, W[, 3]) or (T, C, H, W), numpy or torch, in [0, 1] or uint8, that shows everywhere:
    an HTML5 MP4 (enlarged by ``scale``, nearest pixels, as in :func:`video_html`) *and* a PNG grid of
    ``n`` frames. If the MP4 is over ``max_kb`` it becomes a GIF at the original size (the browser enlarges
    it), and if that is over ``max_kb`` too only the frame grid is kept, as the text/plain part says.
    ``max_kb`` bounds the video; the frame grid (shown twice, in the PNG and in the HTML) adds some tens of KB."""
    frames = _to_uint8(video)
    t, h, w = frames.shape[:3]
    if scale is None:
        scale = max(1, 192 // h)
    png = _png(frame_strip(frames, n=n))
    png_src = f"data:image/png;base64,{base64.b64encode(png).decode()}"
    fallback = f'<img src="{png_src}" alt="{min(n, t)} frames of the video" />'
    what = f"a video of {t} frames of {h}x{w} pixels at {fps:g} fps"

    data, mime = _encode(frames.repeat(scale, axis=1).repeat(scale, axis=2), fps)
    sizes = [f"{mime.split('/')[1].upper()} {len(data) / 1024:.1f} KB"]
    if mime == "video/mp4" and len(data) <= max_kb * 1024:
        src = f"data:video/mp4;base64,{base64.b64encode(data).decode()}"
        html = f'<video src="{src}" autoplay loop muted playsinline controls>{fallback}</video>'
        return VideoDisplay(html, png, "mp4", len(data) / 1024, f"{what}, as {sizes[0]} and a frame grid")
    # A GIF at the original size: the browser enlarges it, crisp with image-rendering: pixelated.
    data = _gif(frames, fps)
    kb = len(data) / 1024
    if kb <= max_kb:
        src = f"data:image/gif;base64,{base64.b64encode(data).decode()}"
        html = (f'<img src="{src}" width="{w * scale}" style="image-rendering: pixelated" '
                f'alt="an animated GIF of the video" />')
        why = f"over max_kb={max_kb}" if mime == "video/mp4" else "no MP4 encoder"
        return VideoDisplay(html, png, "gif", kb, f"{what}, as GIF {kb:.1f} KB (MP4 {why}) and a frame grid")
    if mime == "video/mp4":
        sizes.append(f"GIF {kb:.1f} KB")
    return VideoDisplay(None, png, "frames", 0.0,
                 f"{what}: too big to embed ({', '.join(sizes)} > max_kb={max_kb}), so only a frame grid is shown")


def progress(iterable=None, show: bool = True, **kw):
    """``tqdm.auto.tqdm(iterable, **kw)``: a progress bar (a widget in Jupyter, text elsewhere). The course
    wraps loops that take more than a few seconds (training, rendering datasets, encoding with a model) in
    it, and nothing shorter. ``TQDM_DISABLE=1`` (or true/yes) in the environment turns every bar off,
    unless ``disable=`` is passed; ``show=False`` turns this one off."""
    from tqdm.auto import tqdm

    if not show:
        kw["disable"] = True

    if "disable" not in kw and os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes", "on"):
        kw["disable"] = True
    return tqdm(iterable, **kw)


def _moved(scene, slot: int, position, light):
    """A copy of a one-scene batch with object ``slot`` moved and the fire moved."""
    pos = scene.position.copy()
    pos[0, slot] = position
    return scene.with_(position=pos, light=np.asarray(light, np.float32).reshape(1, 3))


def _cave_views(axes, scene, size: int) -> None:
    """Draw the camera image and the prisoners' wall of a one-scene batch on two axes."""
    from wmlib.world import captions
    from wmlib.world import render as R

    axes[0].imshow(R.camera_image(scene, size)[0])
    axes[1].imshow(R.shadow(scene, size)[0], cmap="gray", vmin=0, vmax=1)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_xlabel(textwrap.fill(captions(scene, seed=0)[0], 48), fontsize=7)


def cave_explorer(scene, i: int = 0, size: int = 96):
    """Sliders that move the fire and the first object of scene ``i``; the camera image, the shadow on
    the wall and the caption follow. Returns an ipywidgets box (see ``fire_sweep`` for a static view)."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from wmlib.world.scene import LIGHT_RANGE, MAX_HEIGHT, X_RANGE, Z_RANGE

    one = scene[i]
    slot = int(np.flatnonzero(one.present[0])[0])
    r = float(one.radius[0, slot])
    x, y, z = (float(v) for v in one.position[0, slot])
    lx, ly, lz = (float(v) for v in one.light[0])
    slider = lambda label, value, lo, hi: widgets.FloatSlider(  # noqa: E731
        value=value, min=lo, max=hi, step=0.05, description=label, continuous_update=False)
    controls = {"fire x": slider("fire x", lx, *LIGHT_RANGE["x"]), "fire height": slider("fire height", ly, *LIGHT_RANGE["y"]),
                "object x": slider("object x", x, *X_RANGE), "object height": slider("object height", y, r, MAX_HEIGHT),
                "object depth": slider("object depth", z, *Z_RANGE)}
    out = widgets.Output()

    def draw(*_):
        c = {k: s.value for k, s in controls.items()}
        moved = _moved(one, slot, (c["object x"], c["object height"], c["object depth"]),
                       (c["fire x"], c["fire height"], lz))
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
            _cave_views(axes, moved, size)
            axes[0].set_title("what a camera sees")
            axes[1].set_title("what the prisoners see")
            plt.show()

    for s in controls.values():
        s.observe(draw, "value")
    draw()
    return widgets.VBox([widgets.HBox([widgets.VBox(list(controls.values())[:2]),
                                       widgets.VBox(list(controls.values())[2:])]), out])


def fire_sweep(scene, i: int = 0, fire_x=(-0.8, -0.25, 0.25, 0.8), size: int = 64):
    """What ``cave_explorer``'s fire slider does, as a static figure: camera (top) and wall (bottom) for
    the fire at each ``fire_x``."""
    import matplotlib.pyplot as plt

    one = scene[i]
    slot = int(np.flatnonzero(one.present[0])[0])
    fig, axes = plt.subplots(2, len(fire_x), figsize=(2.3 * len(fire_x), 5.2))
    for col, fx in enumerate(fire_x):
        moved = _moved(one, slot, one.position[0, slot], (fx, *one.light[0, 1:]))
        _cave_views(axes[:, col], moved, size)
        axes[0, col].set_title(f"fire at x = {fx:+.2f}", fontsize=9)
        axes[0, col].set_xlabel("")
    axes[0, 0].set_ylabel("camera")
    axes[1, 0].set_ylabel("the wall")
    fig.suptitle("moving the fire moves the shadow, not the object", fontsize=10)
    fig.tight_layout()
    return fig


def score_table(table: dict[str, dict[str, float]], chance: dict[str, float] | None = None, title: str | None = None,
                score: str | None = None):
    """A heatmap of probe scores: one row per projection, one column per factor (accuracy for classes,
    R^2 for positions), each cell annotated; ``chance`` levels are written under the factor names.
    ``score``: what the cells hold when they are not probe scores (e.g. "alignment"); then columns
    without a chance level are not labelled R^2."""
    import matplotlib.pyplot as plt

    rows = list(table)
    cols = list(next(iter(table.values())))
    values = np.array([[table[r][c] for c in cols] for r in rows])
    fig, ax = plt.subplots(figsize=(1.1 * len(cols) + 2.5, 0.45 * len(rows) + 1.6))
    im = ax.imshow(np.clip(values, 0, 1), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if values[i, j] < 0.6 else "black")
    chance = chance or {}
    unmarked = "" if score else "\n(R²)"
    ax.set_xticks(range(len(cols)), [c + (f"\n(chance {chance[c]:.2f})" if c in chance else unmarked) for c in cols],
                  fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=9)
    ax.xaxis.tick_top()
    fig.colorbar(im, ax=ax, fraction=0.04, label=score or "accuracy or R²")
    if title:
        ax.set_title(title, fontsize=10, pad=30)
    fig.tight_layout()
    return fig
