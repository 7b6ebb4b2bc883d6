"""The cave's pictures (notebook 01): one scene seen through every projection, the cave drawn in 3-D with
its fire, wall and shadows, and the sliders (or their static sweep) that move the fire and an object.
Nothing is drawn or imported at import time."""

from __future__ import annotations

import textwrap

import numpy as np


def show_projections(scene, i: int = 0, size: int = 64, caption: str | None = None):
    """One scene in all its projections side by side: camera, wall shadow, depth, occupancy, LiDAR; the depth
    and LiDAR panels carry colour bars in metres."""
    import matplotlib.pyplot as plt

    from wmlib.world import render as R
    from wmlib.world.scene import MAX_OBJECTS

    one = scene[i]
    image, depth, _ = R.render(one, size)
    wall = R.shadow(one, size)
    grid = R.occupancy(one)[0]
    ranges, points = R.lidar(one)
    fig, axes = plt.subplots(1, 6, figsize=(17, 3.1))
    axes[0].imshow(image[0])
    axes[0].set_title("camera image")
    axes[1].imshow(
        wall[0],
        cmap="gray",
        vmin=0,
        vmax=1,
        extent=(R.WALL_WINDOW[0], R.WALL_WINDOW[1], R.WALL_WINDOW[2], R.WALL_WINDOW[3]),
    )
    axes[1].set_title("shadow on the wall")
    finite = np.where(np.isfinite(depth[0]), depth[0], np.nan)
    shown = axes[2].imshow(finite, cmap="magma_r")
    axes[2].set_title("depth")
    fig.colorbar(shown, ax=axes[2], fraction=0.046, pad=0.02, label="distance from the camera (m)")
    # Occupancy seen from above: the highest occupied voxel of each column, coloured by object.
    top = np.zeros(grid.shape[::2], int)
    for y in range(grid.shape[1]):
        top = np.where(grid[:, y, :] > 0, grid[:, y, :], top)
    # Grey levels tell the objects apart: occupancy knows where things are, not what colour they are.
    axes[3].imshow(
        np.where(top > 0, top, np.nan).T,
        origin="lower",
        cmap="Greys",
        vmin=-1,
        vmax=MAX_OBJECTS,
        extent=(*R.OCCUPANCY_BOUNDS[0], *R.OCCUPANCY_BOUNDS[2]),
    )
    axes[3].set_title("occupancy (from above)")
    axes[3].set_xlabel("x")
    axes[3].set_ylabel("z")
    shown = axes[4].imshow(np.where(ranges[0] > 0, ranges[0], np.nan), cmap="viridis", aspect="auto")
    axes[4].set_title("LiDAR range image")
    axes[4].set_xlabel("beam direction (azimuth)", fontsize=8)
    axes[4].set_ylabel("beam elevation", fontsize=8)
    fig.colorbar(shown, ax=axes[4], fraction=0.046, pad=0.02, label="range (m)")
    pts = points[0][~np.isnan(points[0][:, 0])]
    shown = axes[5].scatter(pts[:, 0], pts[:, 2], s=2, c=pts[:, 1], cmap="viridis", vmin=0, vmax=1)
    axes[5].set_xlim(-4, 4)
    axes[5].set_ylim(-3, 5)
    axes[5].set_aspect("equal")
    axes[5].set_title("LiDAR points (from above)")
    axes[5].set_xlabel("x (m)", fontsize=8)
    axes[5].set_ylabel("z (m)", fontsize=8)
    fig.colorbar(shown, ax=axes[5], fraction=0.046, pad=0.02, label="height (m)")
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
    ax.plot_surface(
        wx,
        np.full_like(wx, WALL_Z),
        wy,
        facecolors=plt.cm.gray(wall),
        shade=False,
        rstride=1,
        cstride=1,
        linewidth=0,
        antialiased=False,
    )
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
        value=value, min=lo, max=hi, step=0.05, description=label, continuous_update=False
    )
    controls = {
        "fire x": slider("fire x", lx, *LIGHT_RANGE["x"]),
        "fire height": slider("fire height", ly, *LIGHT_RANGE["y"]),
        "object x": slider("object x", x, *X_RANGE),
        "object height": slider("object height", y, r, MAX_HEIGHT),
        "object depth": slider("object depth", z, *Z_RANGE),
    }
    out = widgets.Output()

    def draw(*_):
        c = {k: s.value for k, s in controls.items()}
        moved = _moved(
            one, slot, (c["object x"], c["object height"], c["object depth"]), (c["fire x"], c["fire height"], lz)
        )
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
    return widgets.VBox(
        [widgets.HBox([widgets.VBox(list(controls.values())[:2]), widgets.VBox(list(controls.values())[2:])]), out]
    )


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
