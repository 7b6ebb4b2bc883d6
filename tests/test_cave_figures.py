"""The cave's pictures: every projection, the 3-D cave, the fire's sliders and their static sweep."""

import matplotlib

matplotlib.use("agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from wmlib.cave import figures  # noqa: E402
from wmlib.world import sample_scenes  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_show_projections_draws_all_six():
    fig = figures.show_projections(sample_scenes(3, seed=0), i=1, caption="a small red ball.")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == [
        "camera image",
        "shadow on the wall",
        "depth",
        "occupancy (from above)",
        "LiDAR range image",
        "LiDAR points (from above)",
    ]
    scales = sorted(ax.get_ylabel() for ax in fig.axes if not ax.get_title())  # the colour bars say what they show
    assert scales == ["distance from the camera (m)", "height (m)", "range (m)"]
    assert "a small red ball." in fig._suptitle.get_text()


def test_draw_cave_has_the_fire_objects_and_the_shadowed_wall():
    scene = sample_scenes(1, seed=4, n_objects=2)
    fig = figures.draw_cave(scene)
    ax = fig.axes[0]
    assert ax.name == "3d"
    assert len(ax.collections) >= 2 + 1 + 2  # ground, wall, fire, two objects


def test_cave_explorer_sliders_cover_the_world_and_redraw():
    import ipywidgets as widgets

    scene = sample_scenes(1, seed=2, n_objects=1)
    box = figures.cave_explorer(scene, size=32)
    sliders = [w for row in box.children[0].children for w in row.children]
    assert [s.description for s in sliders] == ["fire x", "fire height", "object x", "object height", "object depth"]
    assert isinstance(box.children[1], widgets.Output)
    from wmlib.world.scene import LIGHT_RANGE

    assert (sliders[0].min, sliders[0].max) == LIGHT_RANGE["x"]  # the fire stays where the world allows
    for s in sliders:  # every slider redraws without error, at both ends of its range
        s.value = s.min
        s.value = s.max


def test_fire_sweep_moves_the_shadow_only():
    scene = sample_scenes(1, seed=2, n_objects=1)
    fig = figures.fire_sweep(scene, fire_x=(-0.8, 0.8), size=32)
    walls = [ax.images[0].get_array() for ax in fig.axes[2:]]
    cameras = [ax.images[0].get_array() for ax in fig.axes[:2]]
    assert np.abs(np.asarray(walls[0]) - np.asarray(walls[1])).max() > 0.3  # the shadow moved
    assert len(cameras) == 2 and "fire at x = -0.80" in fig.axes[0].get_title()
