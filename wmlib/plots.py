"""Figures and media for the notebooks. Every function returns what it draws (a matplotlib Figure, or
an IPython display object), so that tests can check it and notebooks can show it."""

from __future__ import annotations

import base64
import io

import numpy as np


def _to_uint8(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
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
        buf = io.BytesIO()
        iio.imwrite(buf, frames, extension=".gif", duration=1000 / fps, loop=0)
        return buf.getvalue(), "image/gif"
