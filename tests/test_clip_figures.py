"""Embeddings on the unit sphere."""

import matplotlib

matplotlib.use("agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from wmlib.clip import figures  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _offsets(ax):
    return np.concatenate([np.stack(c._offsets3d, 1) for c in ax.collections if hasattr(c, "_offsets3d")])


def test_sphere_points_normalises_colours_groups_and_connects_pairs():
    points = np.random.default_rng(0).standard_normal((6, 3)) * 5
    fig = figures.sphere_points(
        points,
        groups=["image"] * 3 + ["text"] * 3,
        labels=list("abcdef"),
        connect=[(0, 3), (1, 4), (2, 5)],
        title="meeting",
    )
    ax = fig.axes[0]
    assert ax.name == "3d" and ax.get_title() == "meeting"
    xyz = _offsets(ax)
    assert xyz.shape == (6, 3) and np.allclose(np.linalg.norm(xyz, axis=1), 1)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["image", "text"]
    assert len(ax.lines) == 3  # one arc per pair
    arc = np.stack(ax.lines[0].get_data_3d(), 1)
    assert np.allclose(np.linalg.norm(arc, axis=1), 1)  # arcs stay on the sphere
    assert np.allclose(arc[[0, -1]], points[[0, 3]] / np.linalg.norm(points[[0, 3]], axis=1, keepdims=True))
    assert sorted(t.get_text() for t in ax.texts) == list("abcdef")


def test_sphere_points_projects_high_dimensional_points_with_pca():
    import torch

    x = torch.randn(20, 64)
    fig = figures.sphere_points(x, title="CLIP embeddings")
    ax = fig.axes[0]
    assert "PCA" in ax.get_title() and "64-d" in ax.get_title() and "CLIP embeddings" in ax.get_title()
    xyz = _offsets(ax)
    assert xyz.shape == (20, 3) and np.allclose(np.linalg.norm(xyz, axis=1), 1)
    y = figures.project_to_sphere(x)
    assert y.shape == (20, 3) and np.allclose(np.linalg.norm(y, axis=1), 1)
    assert np.allclose(y, xyz)
    assert np.allclose(figures.project_to_sphere(x.numpy()), y)  # deterministic signs
    assert figures.project_to_sphere(np.random.default_rng(0).random((2, 10))).shape == (2, 3)  # fewer points than dims
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        figures.sphere_points(np.ones((4, 2)))


def test_sphere_points_take_tensors_with_grad():
    import torch

    assert len(figures.sphere_points(torch.randn(4, 3, requires_grad=True)).axes) == 1


def test_next_state_figure_has_one_panel_per_target_and_a_bar_per_representation():
    import matplotlib.pyplot as plt

    from wmlib.clip.nextstate import NextStateScore

    scores = {
        name: {
            "position": NextStateScore(r, r - 0.1, r + 0.05, 300),
            "motion": NextStateScore(r / 2, r / 2 - 0.05, r / 2 + 0.05, 300),
        }
        for name, r in (("truth", 0.99), ("pixels", 0.4), ("worse than the mean", -0.3))
    }
    fig = figures.next_state_figure(scores, {"position": "position at t+1", "motion": "step"})
    assert len(fig.axes) == 2 and [ax.get_title() for ax in fig.axes] == ["position at t+1", "step"]
    assert len(fig.axes[0].patches) == 3
    assert fig.axes[0].get_xlim()[0] < -0.3  # a negative R^2 stays in view
    plt.close(fig)
