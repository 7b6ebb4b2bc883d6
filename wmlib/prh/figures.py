"""Notebook 03's figure linking convergence to prediction: each image model's alignment with the kernel of Z
against how well its representation of two frames predicts the next state."""

from __future__ import annotations

# One colour per training objective, in every figure of notebook 03 (``families`` draws with them too).
OBJECTIVE_COLOURS = {
    "untrained": "grey",
    "autoencoder": "tab:orange",
    "classifier": "tab:red",
    "contrastive": "tab:purple",
}
TEXT_OBJECTIVE_COLOURS = {
    "untrained": "grey",
    "next-token": "tab:blue",
    "masked": "tab:green",
    "contrastive": "tab:cyan",
}


def next_state_scatter(models: list[dict], x: str, y: dict[str, str], references: dict[str, dict[str, float]]):
    """One panel per key of ``y`` (a measure name and its axis label): every model of ``models`` (dicts with
    ``objective``, ``width`` and the measures) as a dot, alignment ``x`` across, colour by objective, size by
    width. ``references`` maps a label (e.g. "Z at t-1 and t") to its score per measure, drawn as a labelled line."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(y), figsize=(5.2 * len(y), 3.9), squeeze=False)
    widths = sorted({m["width"] for m in models})
    for ax, (measure, label) in zip(axes[0], y.items()):
        for objective, colour in OBJECTIVE_COLOURS.items():
            mine = [m for m in models if m["objective"] == objective]
            if mine:
                ax.scatter(
                    [m[x] for m in mine],
                    [m[measure] for m in mine],
                    s=[18 + 14 * widths.index(m["width"]) ** 2 for m in mine],
                    color=colour,
                    alpha=0.8,
                    label=objective,
                    zorder=3,
                )
        for i, (name, scores) in enumerate(references.items()):
            ax.axhline(scores[measure], color="black", linestyle=(":", "--", "-.")[i % 3], linewidth=1, label=name)
        ax.set_xlabel("alignment with the kernel of Z (mutual k-NN)")
        ax.set_ylabel(label)
        ax.set_ylim(min(-0.05, *(m[measure] for m in models)) - 0.02, 1.02)
    axes[0, 0].legend(fontsize=7, loc="center right", title_fontsize=7)
    fig.text(0.01, 0.01, "dot size: width " + ", ".join(map(str, widths)), fontsize=7)
    fig.tight_layout()
    return fig


__all__ = ["OBJECTIVE_COLOURS", "TEXT_OBJECTIVE_COLOURS", "next_state_scatter"]
