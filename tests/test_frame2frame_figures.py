"""The figures of notebook 05 draw what they say, and the PCA is a real projection."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from wmlib.frame2frame import figures as F  # noqa: E402
from wmlib.frame2frame.select import Frame2FrameResult  # noqa: E402


def test_pca_keeps_the_two_directions_of_most_variance():
    rng = np.random.default_rng(0)
    x = np.zeros((200, 5))
    x[:, 2] = 10 * rng.standard_normal(200)
    x[:, 4] = 3 * rng.standard_normal(200)
    x[:, 0] = 0.1 * rng.standard_normal(200)
    xy = F.pca_2d(x)
    assert xy.shape == (200, 2)
    assert abs(np.corrcoef(xy[:, 0], x[:, 2])[0, 1]) > 0.99 and abs(np.corrcoef(xy[:, 1], x[:, 4])[0, 1]) > 0.99


def test_the_candidates_figure_frames_the_chosen_frame():
    video = np.random.default_rng(1).random((16, 32, 32, 3)).astype(np.float32)
    result = Frame2FrameResult(
        video[7], 7, "because", "c", video, np.array([3, 7, 11, 15]), np.array([0, 0.6, 1, 1]), np.ones(4), video[0]
    )
    fig = F.plot_candidates(result)
    axes = fig.axes
    assert len(axes) == 5 and axes[2].get_title().startswith("frame 7")
    widths = [ax.spines["top"].get_linewidth() for ax in axes]
    assert widths.index(max(widths)) == 2  # only the chosen frame is framed
    kept = Frame2FrameResult(
        video[0], None, "no", "c", video, np.array([3, 7, 11, 15]), np.zeros(4), np.ones(4), video[0]
    )
    widths = [ax.spines["top"].get_linewidth() for ax in F.plot_candidates(kept).axes]
    assert widths.index(max(widths)) == 0  # the source, when nothing satisfied


def test_the_manifold_figure_places_every_point():
    rng = np.random.default_rng(2)
    fig = F.plot_manifold({"a": rng.random((10, 8)), "b": rng.random((12, 8))}, rng.random((16, 8)), rng.random(8), 5)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["a", "b"] and "chosen frame (5)" in labels and "one jump" in labels
