"""CLIP's pictures (notebook 02): embeddings projected onto the unit sphere, where cosine similarity is
an angle, with images and their captions as points and arcs."""

from __future__ import annotations

import numpy as np

from wmlib import plots


def project_to_sphere(x, dim: int = 3, center: bool = True) -> np.ndarray:
    """(N, D) vectors as (N, ``dim``) points on the unit sphere: each row is normalised (directions, not
    lengths, matter for cosine similarity), centred (``center``; so PCA spreads the cloud rather than
    spending an axis on its mean direction), projected on its ``dim`` principal axes and normalised again.
    Signs are fixed (largest loading positive) so the same data gives the same picture."""
    x = plots.as_numpy(x).astype(float)
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

    p = plots.as_numpy(points).astype(float)
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
    ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.6", linewidth=0.4, alpha=0.35)
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
        ax.text(*(p[i] * 1.06), plots.wrap_label(text, width=20), fontsize=7)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_zlim(-1, 1)
    ax.set_box_aspect((1, 1, 1))  # a sphere, not an egg
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def next_state_figure(scores: dict, targets: dict[str, str] | None = None, title: str | None = None):
    """Horizontal bars of next-state R^2 with their 95% intervals: ``scores`` maps a representation's name to
    ``{target: NextStateScore}`` (``wmlib.clip.nextstate``), one panel per target; ``targets`` gives each
    target's panel title. A line marks 0 (no better than predicting the mean)."""
    import matplotlib.pyplot as plt

    names = list(scores)
    keys = list(targets or next(iter(scores.values())))
    fig, axes = plt.subplots(1, len(keys), figsize=(4.4 * len(keys), 0.45 * len(names) + 1.4), sharey=True)
    axes = np.atleast_1d(axes)
    y = np.arange(len(names))[::-1]
    for ax, key in zip(axes, keys):
        s = [scores[n][key] for n in names]
        r2 = np.array([v.r2 for v in s])
        err = np.array([[v.r2 - v.low for v in s], [v.high - v.r2 for v in s]])
        ax.barh(y, r2, xerr=err, color=[f"C{i}" for i in range(len(names))], capsize=3)
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_xlim(min(-0.1, r2.min() - 0.05), 1.05)
        ax.set_title((targets or {}).get(key, key), fontsize=10)
        ax.set_xlabel("R² on held-out clips (95% interval)")
    axes[0].set_yticks(y, names)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
