"""Figures of notebook 05: the candidates of one edit, edits side by side, the benchmark, the manifold."""

from __future__ import annotations

import numpy as np

GOOD, BAD = "#2a9d8f", "#e76f51"


def plot_candidates(result, title: str = ""):
    """The source, then every candidate frame with its text score and similarity to the source; the
    chosen one framed in green (or the source, when nothing satisfied)."""
    import matplotlib.pyplot as plt

    n = len(result.candidates)
    # constrained layout leaves room for the suptitle, which tight_layout lets overlap the panel titles
    fig, axes = plt.subplots(1, n + 1, figsize=(1.7 * (n + 1), 2.5), layout="constrained")
    panels = [("source", result.source, result.frame_index is None)]
    for j, t in enumerate(result.candidates):
        panels.append(
            (
                f"frame {t}\nscore {result.text_scores[j]:.2f}\nsim {result.similarities[j]:.3f}",
                result.video[t],
                result.frame_index == t,
            )
        )
    for ax, (label, img, picked) in zip(axes, panels):
        ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(label, fontsize=8)
        for side in ax.spines.values():
            side.set_edgecolor(GOOD if picked else "#cccccc")
            side.set_linewidth(4 if picked else 1)
    fig.suptitle(title or result.reason, fontsize=9)
    return fig


def plot_examples(bench: dict, edits: list[int], methods: tuple[str, ...]):
    """One row per edit: the source, then the image each method gave (the first seed of
    ``benchmark.run``), marked done or not done by the simulator's grade."""
    import matplotlib.pyplot as plt

    done = {(i, m): bool(bench["measures"][m]["done"][i, 0]) for i in edits for m in methods}
    fig, axes = plt.subplots(
        len(edits), len(methods) + 1, figsize=(1.9 * (len(methods) + 1), 2.0 * len(edits)), squeeze=False
    )
    for row, i in enumerate(edits):
        panels = [("source", bench["sources"][i], None)] + [(m, bench["chosen"][m][i], done[i, m]) for m in methods]
        for ax, (name, img, ok) in zip(axes[row], panels):
            ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if row == 0:
                ax.set_title(name.replace(" (", "\n("), fontsize=8)
            if ok is not None:
                ax.text(
                    1,
                    4,
                    "done" if ok else "not done",
                    color="white",
                    fontsize=7,
                    bbox={"facecolor": GOOD if ok else BAD, "pad": 1, "edgecolor": "none"},
                )
        axes[row, 0].set_ylabel(
            bench["clips"].targets[i].replace(" is ", "\nis ").replace(" lies", "\nlies"),
            fontsize=7,
            rotation=0,
            ha="right",
            va="center",
        )
    fig.tight_layout()
    return fig


def plot_summary(summary: dict, methods: list[str] | None = None):
    """Per method, with 95% intervals: the share of edits done (by the simulator's grade), and the mean
    pixel distance to the source."""
    import matplotlib.pyplot as plt

    methods = list(summary) if methods is None else list(methods)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 0.32 * len(methods) + 1.2))
    y = np.arange(len(methods))
    colours = [GOOD if m.startswith("earliest") else BAD if m.startswith("SDEdit") else "#8d99ae" for m in methods]
    for ax, key, label in (
        (a, "done", "edits done, graded by the simulator (higher is better)"),
        (b, "distance", "mean |image - source| (lower keeps more)"),
    ):
        v = np.array([summary[m][key] for m in methods])
        ci = np.array([summary[m].get(f"{key}_ci", [summary[m][key]] * 2) for m in methods])
        ax.barh(y, v, color=colours, xerr=np.abs(ci.T - v), capsize=2, error_kw={"lw": 0.8})
        ax.set_yticks(y, methods if ax is a else [""] * len(methods), fontsize=8)
        ax.set_xlabel(label, fontsize=8), ax.invert_yaxis()
    a.set_xlim(0, 1)
    fig.tight_layout()
    return fig


def pca_2d(features: np.ndarray) -> np.ndarray:
    """(N, D) features projected on their first two principal components: (N, 2)."""
    x = np.asarray(features, np.float64)
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T


def plot_manifold(
    groups: dict[str, np.ndarray], path: np.ndarray, jump: np.ndarray, chosen: int | None, jump_label: str = "one jump"
):
    """The paper's Fig. 2 at toy size: clouds of CLIP features (``groups``: name -> (N, D)), one edit's path
    of frames (``path``, (T, D)) with its chosen frame starred, and a one-jump result (``jump``, (D,),
    called ``jump_label``), all projected together with PCA."""
    import matplotlib.pyplot as plt

    names = list(groups)
    stacked = np.concatenate([groups[n] for n in names] + [path, jump[None]])
    xy = pca_2d(stacked)
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    start = 0
    for name, colour in zip(names, ["#8d99ae", "#e9c46a", "#cccccc"]):
        k = len(groups[name])
        ax.scatter(*xy[start : start + k].T, s=14, color=colour, alpha=0.7, label=name)
        start += k
    p = xy[start : start + len(path)]
    ax.plot(*p.T, "-o", color="#264653", ms=3, lw=1.2, label="Frame2Frame path (frames 0-15)")
    ax.annotate("source", p[0], textcoords="offset points", xytext=(4, 4), fontsize=8)
    if chosen is not None:
        ax.scatter(*p[chosen], marker="*", s=220, color=GOOD, zorder=5, label=f"chosen frame ({chosen})")
    ax.scatter(*xy[-1], marker="X", s=120, color=BAD, zorder=5, label=jump_label)
    ax.set_xlabel("PC 1"), ax.set_ylabel("PC 2"), ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig
