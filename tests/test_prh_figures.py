"""Notebook 03's scatter of alignment with Z against next-state R^2."""

import matplotlib

matplotlib.use("agg")

from wmlib.prh import figures  # noqa: E402


def test_every_model_is_a_dot_and_every_reference_a_labelled_line():
    import matplotlib.pyplot as plt

    models = [
        {"objective": o, "width": w, "kernel of Z": 0.1 + 0.01 * i, "position": 0.5 + 0.01 * i}
        for i, (o, w) in enumerate((o, w) for o in figures.OBJECTIVE_COLOURS for w in (8, 16, 32))
    ]
    fig = figures.next_state_scatter(models, "kernel of Z", {"position": "R²"}, {"ceiling": {"position": 0.99}})
    ax = fig.axes[0]
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(models)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == [*figures.OBJECTIVE_COLOURS, "ceiling"]
    plt.close(fig)
