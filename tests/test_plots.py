"""The figures and media of the course: they draw what they claim, and stay small."""

import matplotlib

matplotlib.use("agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from wmlib import plots  # noqa: E402
from wmlib.world import render_video, sample_scenes, simulate  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_show_projections_draws_all_six():
    fig = plots.show_projections(sample_scenes(3, seed=0), i=1, caption="a small red ball.")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["camera image", "shadow on the wall", "depth", "occupancy (from above)",
                      "LiDAR range image", "LiDAR points (from above)"]
    assert "a small red ball." in fig._suptitle.get_text()


def test_draw_cave_has_the_fire_objects_and_the_shadowed_wall():
    scene = sample_scenes(1, seed=4, n_objects=2)
    fig = plots.draw_cave(scene)
    ax = fig.axes[0]
    assert ax.name == "3d"
    assert len(ax.collections) >= 2 + 1 + 2  # ground, wall, fire, two objects


def test_frame_strip_picks_evenly_spaced_frames():
    video = np.random.default_rng(0).random((16, 8, 8, 3))
    fig = plots.frame_strip(video, n=4)
    assert [ax.get_title() for ax in fig.axes] == ["t = 0", "t = 5", "t = 10", "t = 15"]


def test_video_html_embeds_a_small_looping_video():
    scene = sample_scenes(1, seed=0, moving=True)
    video = render_video(scene, simulate(scene, n_frames=12), "camera", 32)[0]
    html = plots.video_html(video, fps=12).data
    assert "base64," in html and "loop" in html
    assert len(html) < 300_000
    with pytest.raises(ValueError, match="max_kb"):
        plots.video_html(video, max_kb=1)


def test_video_html_accepts_greyscale_frames():
    html = plots.video_html(np.random.default_rng(0).random((4, 16, 16))).data
    assert "base64," in html
