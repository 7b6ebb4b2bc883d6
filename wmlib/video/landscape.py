"""The landscape of 3D/4D world models, after Kong et al. 2025, "3D and 4D World Modeling: A Survey"
(arXiv 2509.07996).

The survey sorts world models by what they generate (three *tracks*: video, occupancy, LiDAR) and, within
each track, by what they are for (*sub-categories*: data engines that synthesise scenes, forecasters that
roll a scene forward under actions, simulators with a policy in the loop, ...). ``data/landscape.csv``
holds a few representative models per sub-category, with one headline number from the survey's benchmark
tables where it has one (FVD on nuScenes for video, mIoU for occupancy, FRD on SemanticKITTI for LiDAR).

Columns of the CSV (empty where the reference the course is built on gives no value, never guessed):

- ``model``, ``track``, ``subcategory``: as the survey lists them (§3.1-3.3);
- ``year``: only where the reference states it;
- ``conditioning``: for VideoGen rows, the inputs the survey's definition of the sub-category names
  (its four functional types: data engines, action interpreters, neural simulators, scene
  reconstructors). It describes the sub-category, not the model's paper; OccGen and LiDARGen rows leave
  it empty, because their sub-categories come without such a definition;
- ``datasets``: the benchmark the number was measured on, where the table says so;
- ``metric``, ``value``: the headline number (``value`` a number, or empty together with ``metric``);
- ``source``: the survey's section and table.

The toy world has all three representations too: ``toy_projections`` draws one simulated clip as camera
video, occupancy grid and LiDAR point cloud.
"""

from __future__ import annotations

import math
from pathlib import Path

__all__ = [
    "COLUMNS",
    "FUNCTIONAL_TYPES",
    "TRACKS",
    "better",
    "default_clip",
    "default_path",
    "load_landscape",
    "plot_landscape",
    "toy_projections",
]

COLUMNS = ("model", "track", "subcategory", "year", "conditioning", "datasets", "metric", "value", "source")

TRACKS = {
    "VideoGen": {
        "definition": "generates or forecasts camera video of a scene, single- or multi-view",
        "generates": "video streams x_v ∈ R^{T×H×W×C}",
        "subcategories": ("Data Engines", "Action Interpreters", "Neural Simulators", "Scene Reconstructors"),
        "section": "§3.1",
    },
    "OccGen": {
        "definition": "generates, reconstructs or forecasts which voxels of a 3D scene are occupied",
        "generates": "occupancy grids x_o ∈ {0,1}^{X×Y×Z}, or sequences {0,1}^{T×X×Y×Z}",
        "subcategories": ("Scene Representors", "Occupancy Forecasters", "Autoregressive Simulators"),
        "section": "§3.2",
    },
    "LiDARGen": {
        "definition": "generates or forecasts LiDAR scans of a scene, one sweep or a sequence",
        "generates": "LiDAR point clouds x_l = {(x_i, y_i, z_i)}_{i=1}^N, or with timestamps",
        "subcategories": ("Data Engines", "Action Forecasters", "Autoregressive Simulators"),
        "section": "§3.3",
    },
}

# The survey's four functional types (its §2), with the conditions each one takes: geometric (camera pose,
# depth, BEV and HD maps, 3D boxes, ...), action (ego trajectory, steering, command, ...), semantic (text
# prompt, semantic mask, weather tag, ...).
FUNCTIONAL_TYPES = {
    "Data Engines": "diverse scene synthesis from geometric and semantic conditions, optionally actions",
    "Action Interpreters": "forecasting the scene under actions, given its history",
    "Neural Simulators": "closed loop with the driving policy in it: (state, policy) -> next state",
    "Scene Reconstructors": "completing partial observations of a scene",
}

# First word of a metric name -> which way is better. Fréchet distances, divergences and errors go down;
# overlaps (IoU) go up.
_LOWER = {"FID", "FVD", "FRD", "FPD", "JSD", "MMD", "L2", "TTCE", "CTC", "Chamfer"}
_HIGHER = {"mIoU", "IoU", "PSNR", "SSIM", "IS", "mAP", "NDS"}


def default_path() -> Path:
    """``landscape.csv`` in the course's ``data/`` folder (``$WMLIB_DATA`` if set)."""
    from wmlib.registry import data_dir

    return data_dir() / "landscape.csv"


def _number(text: str, where: str, column: str) -> float | None:
    """A float from a cell, None for an empty one, a ValueError naming the row for anything else."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {column} must be a number or empty; got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {column} must be a finite number; got {text!r}")
    return value


def load_landscape(path: str | Path | None = None) -> list[dict]:
    """The models of the landscape, one dict per CSV row, in file order.

    ``value`` becomes a float (None where empty) and ``year`` an int (None where empty); other cells stay
    strings. Raises FileNotFoundError for a missing file and ValueError, naming the row, for a missing
    column, an unknown track, an empty model name, a value that is not a number, or a value without its
    metric (or a metric without its value).
    """
    import csv

    path = Path(path) if path is not None else default_path()
    if not path.is_file():
        raise FileNotFoundError(f"no landscape table at {path}; the course ships it as data/landscape.csv")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path.name} lacks the column(s) {missing}; expected {list(COLUMNS)}, got {header}")
        rows = []
        for line, raw in enumerate(reader, start=2):  # line 1 is the header
            where = f"{path.name}, line {line}"
            if None in raw:  # csv puts surplus cells under the key None
                raise ValueError(f"{where}: more cells than the {len(header)} columns of the header")
            row = {c: (raw[c] or "").strip() for c in COLUMNS}
            if not row["model"]:
                raise ValueError(f"{where}: the model name is empty")
            if row["track"] not in TRACKS:
                raise ValueError(f"{where}: track must be one of {', '.join(TRACKS)}; got {row['track']!r}")
            row["value"] = _number(row["value"], where, "value")
            year = _number(row["year"], where, "year")
            if year is not None and year != int(year):
                raise ValueError(f"{where}: year must be a whole number; got {raw['year']!r}")
            row["year"] = None if year is None else int(year)
            if (row["value"] is None) != (not row["metric"]):
                raise ValueError(
                    f"{where}: metric and value come together (both set or both empty); "
                    f"got metric {row['metric']!r} and value {raw['value']!r}"
                )
            rows.append(row)
    return rows


def better(metric: str) -> str | None:
    """'lower' or 'higher': which way the metric improves, from its first word (None if unknown)."""
    for word in metric.replace("(", " ").split():  # "occupancy reconstruction mIoU": the name comes last
        if word in _LOWER:
            return "lower"
        if word in _HIGHER:
            return "higher"
    return None


def _order(models: list[dict]) -> list[dict]:
    """Models with a number first, best first; then the others, in file order."""
    scored = [m for m in models if m["value"] is not None]
    scored.sort(key=lambda m: m["value"] if better(m["metric"]) == "lower" else -m["value"])
    return scored + [m for m in models if m["value"] is None]


def _label(row: dict) -> str:
    """Box text: the model, then its number with an arrow for the better direction, then the setting."""
    import textwrap

    if row["value"] is None:
        return row["model"]
    arrow = {"lower": " ↓", "higher": " ↑"}.get(better(row["metric"]), "")
    name, _, detail = row["metric"].partition(" (")
    text = f"{row['model']}\n" + textwrap.fill(f"{name} {row['value']:g}{arrow}", 26)
    return text + (f"\n({detail}" if detail else "")


def plot_landscape(rows: list[dict]):
    """One panel per track: its sub-categories as columns, their models as labelled boxes, best headline
    number on top (the arrow says whether lower or higher is better). Rows whose sub-category the survey
    does not list for that track (such as CogVideoX) get a column of their own at the right."""
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError("no models to plot; pass the rows of load_landscape()")
    for r in rows:
        if r.get("track") not in TRACKS:
            raise ValueError(f"every row needs a track among {', '.join(TRACKS)}; got {r.get('track')!r}")
    groups = {}
    for track, info in TRACKS.items():
        mine = [r for r in rows if r["track"] == track]
        extra = [s for s in dict.fromkeys(r["subcategory"] for r in mine) if s not in info["subcategories"]]
        groups[track] = {
            s: _order([r for r in mine if r["subcategory"] == s]) for s in (*info["subcategories"], *extra)
        }
    depth = {t: max([len(m) for m in g.values()] + [1]) for t, g in groups.items()}
    fig, axes = plt.subplots(
        len(TRACKS),
        1,
        figsize=(12, 1.2 + 1.0 * sum(depth.values())),
        gridspec_kw={"height_ratios": [d + 0.6 for d in depth.values()]},
    )
    colours = plt.get_cmap("Pastel1").colors
    for ax, (track, columns) in zip(axes, groups.items()):
        n = len(columns)
        for x, (sub, models) in enumerate(columns.items()):
            # Sub-categories outside the survey's list (CogVideoX) are drawn grey.
            face = colours[x % len(colours)] if sub in TRACKS[track]["subcategories"] else "0.9"
            ax.text(x, 0.0, "\n".join(_wrap(sub, 22)), ha="center", va="bottom", fontsize=10, weight="bold")
            for k, m in enumerate(models):
                ax.text(
                    x,
                    -0.5 - k,
                    _label(m),
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    linespacing=1.15,
                    bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="0.4", ls="-" if m["value"] is not None else "--"),
                )
            if not models:
                ax.text(x, -0.5, "(none in the table)", ha="center", va="center", fontsize=7.5, color="0.5")
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(-depth[track] - 0.05, 0.5)
        ax.axis("off")
        info = TRACKS[track]
        ax.set_title(
            f"{track} ({info['section']}): {info['definition']}\ngenerates {info['generates']}",
            fontsize=10.5,
            loc="left",
        )
    fig.suptitle(
        "3D/4D world models by track and sub-category (Kong et al. 2025); dashed: no headline number", fontsize=11
    )
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def _one_clip(scene, trajectory, i: int):
    """Clip ``i`` of a batch as a one-scene batch and its one-clip trajectory."""
    from wmlib.world.physics import Trajectory

    one = scene[i : i + 1]
    traj = Trajectory(
        times=trajectory.times,
        position=trajectory.position[i : i + 1],
        velocity=trajectory.velocity[i : i + 1],
        bounces=trajectory.bounces[i : i + 1],
    )
    return one, traj


def default_clip(n_frames: int = 12, fps: float = 12.0):
    """(scene, trajectory): a small red ball thrown to the right, which bounces once within a second."""
    from wmlib.world import make_scene, simulate

    scene = make_scene(
        [dict(shape="sphere", colour="red", size="small", position=(-1.0, 1.0, 1.5), velocity=(1.5, 1.5, 0.0))]
    )
    return scene, simulate(scene, n_frames=n_frames, fps=fps)


def toy_projections(scene=None, trajectory=None, frames=(0, 4, 7, 11), i: int = 0, size: int = 48):
    """One toy-world clip in the three representations of the survey's tracks, one row each, with
    ``frames`` as columns: camera video (VideoGen), the occupancy grid (OccGen) and the LiDAR point cloud
    (LiDARGen), both seen from above and coloured by height, with one colour bar (the figure's last axes).

    ``scene`` is a Scene batch and ``trajectory`` its simulation (``wmlib.world.simulate``); clip ``i``
    is drawn. With no ``trajectory`` the scene is simulated for just enough frames, and with neither,
    a thrown red ball (``default_clip``) is used.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    from wmlib.world import render as R
    from wmlib.world import render_video, simulate

    frames = tuple(frames)
    if not frames or not all(isinstance(t, (int, np.integer)) and not isinstance(t, bool) for t in frames):
        raise ValueError(f"frames must be a non-empty sequence of frame indices; got {frames!r}")
    if scene is None:
        if trajectory is not None:
            raise ValueError("a trajectory needs the scene it was simulated from; pass scene too")
        scene, trajectory = default_clip(n_frames=max(12, max(frames) + 1))
    if not isinstance(i, (int, np.integer)) or not 0 <= i < len(scene):
        raise ValueError(f"i must index a clip of the batch (0 to {len(scene) - 1}); got {i!r}")
    if trajectory is None:
        trajectory = simulate(scene[i : i + 1], n_frames=max(frames) + 1)
        scene, i = scene[i : i + 1], 0
    if len(trajectory.position) != len(scene):
        raise ValueError(f"the trajectory has {len(trajectory.position)} clips but the scene batch has {len(scene)}")
    n = len(trajectory)
    if not all(0 <= t < n for t in frames):
        raise ValueError(f"frames must lie in 0..{n - 1} (the clip has {n} frames); got {frames}")

    one, traj = _one_clip(scene, trajectory, i)
    video = render_video(one, traj, "camera", size)[0]  # (T, H, W, 3)
    (xlo, xhi), (ylo, yhi), (zlo, zhi) = R.OCCUPANCY_BOUNDS
    fig, axes = plt.subplots(3, len(frames), figsize=(2.4 * len(frames) + 0.8, 7.4), squeeze=False)
    for col, t in enumerate(frames):
        state = traj.frame(one, int(t))
        axes[0, col].imshow(video[t])
        axes[0, col].set_title(f"t = {traj.times[t]:.2f} s")
        axes[0, col].set_xticks([])
        axes[0, col].set_yticks([])

        grid = R.occupancy(state)[0]  # (X, Y, Z)
        filled = grid > 0
        # Height of the highest filled voxel of each column: seen from above, height is the colour.
        top = filled.shape[1] - 1 - np.argmax(filled[:, ::-1, :], axis=1)
        height = np.where(filled.any(axis=1), ylo + (top + 0.5) * (yhi - ylo) / filled.shape[1], np.nan)
        axes[1, col].imshow(height.T, origin="lower", cmap="viridis", vmin=0, vmax=yhi, extent=(xlo, xhi, zlo, zhi))
        axes[1, col].set_facecolor("0.93")

        _, points = R.lidar(state)
        pts = points[0][~np.isnan(points[0][:, 0])]
        # Most returns are the ground; drawn faint, they leave the objects' returns visible.
        ground = pts[:, 1] < 0.02
        axes[2, col].scatter(pts[ground, 0], pts[ground, 2], s=1, c="0.75")
        axes[2, col].scatter(pts[~ground, 0], pts[~ground, 2], s=7, c=pts[~ground, 1], cmap="viridis", vmin=0, vmax=yhi)
        # The occupancy grid's box, so the two bird's-eye views can be compared.
        axes[2, col].add_patch(plt.Rectangle((xlo, zlo), xhi - xlo, zhi - zlo, fill=False, ls="--", ec="0.5"))
        axes[2, col].set_xlim(-4, 4)
        axes[2, col].set_ylim(-3, 5)
        axes[2, col].set_aspect("equal")
        if col == 0:
            axes[2, 0].set_ylabel(f"LiDARGen\n{len(pts)} points, {int(ground.sum())} ground\nz (m)", fontsize=9)
        for ax in axes[1:, col]:
            ax.set_xlabel("x (m)", fontsize=8)
            ax.tick_params(labelsize=7)
    axes[0, 0].set_ylabel("VideoGen\ncamera frames", fontsize=9)
    axes[1, 0].set_ylabel(f"OccGen\noccupancy {'×'.join(map(str, grid.shape))}\nz (m)", fontsize=9)
    fig.suptitle("One toy clip, three representations (occupancy and LiDAR from above, colour = height)", fontsize=10.5)
    # One colour bar for both bird's-eye rows: they share the colour map and its range. It is the
    # figure's last axes, after the grid of panels.
    fig.tight_layout(rect=(0, 0, 0.92, 1))
    top = axes[1, -1].get_position().y1
    cax = fig.add_axes((0.935, axes[2, -1].get_position().y0, 0.014, top - axes[2, -1].get_position().y0))
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=plt.Normalize(0, yhi), cmap="viridis"), cax=cax)
    bar.set_label("height above the ground (m)", fontsize=9)
    bar.ax.tick_params(labelsize=7)
    return fig
