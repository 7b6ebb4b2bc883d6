"""The landscape of 3D/4D world models: the table loads, covers the survey's taxonomy, and is drawn."""

import csv
import time
from pathlib import Path

import matplotlib

matplotlib.use("agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from wmlib.video.landscape import COLUMNS, TRACKS, better, load_landscape, plot_landscape, toy_projections  # noqa: E402
from wmlib.world import sample_scenes, simulate  # noqa: E402

CSV = Path(__file__).resolve().parents[1] / "data" / "landscape.csv"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def rows():
    return load_landscape()


def write(tmp_path, header, *lines):
    path = tmp_path / "table.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(lines)
    return path


GOOD = [
    "Vista",
    "VideoGen",
    "Action Interpreters",
    "",
    "",
    "nuScenes",
    "FVD (nuScenes val, single-view)",
    "89.40",
    "Kong et al. 2025, Table 6",
]


def test_the_default_table_is_the_repositorys_plain_csv(rows):
    assert load_landscape(CSV) == rows
    first = CSV.read_text(encoding="utf-8").splitlines()[0]
    assert first == ",".join(COLUMNS)  # a bare header: no comment lines, no index column
    assert len({r["model"] for r in rows}) == len(rows), "a model appears twice"


def test_every_track_has_five_models_and_every_subcategory(rows):
    for track, info in TRACKS.items():
        mine = [r for r in rows if r["track"] == track]
        assert len(mine) >= 5, track
        missing = set(info["subcategories"]) - {r["subcategory"] for r in mine}
        assert not missing, f"{track} lacks {missing}"


def test_values_are_numbers_with_their_metric_and_source(rows):
    scored = [r for r in rows if r["value"] is not None]
    assert len(scored) >= 12  # most rows carry a headline number from the survey's tables
    for r in rows:
        assert r["value"] is None or (isinstance(r["value"], float) and np.isfinite(r["value"]) and r["value"] > 0)
        assert bool(r["metric"]) == (r["value"] is not None), r["model"]
        assert r["source"], r["model"]
        if r["value"] is not None and r["source"].startswith("Kong"):
            assert "Table" in r["source"], r["model"]  # a number must say which table it comes from
        assert r["year"] is None or 2000 < r["year"] < 2030
    assert all(better(r["metric"]) for r in scored), "every metric needs a known direction"


def best(rows, metric):
    scored = [r for r in rows if r["metric"] == metric]
    assert len(scored) >= 2, metric
    pick = min if better(metric) == "lower" else max
    return pick(scored, key=lambda r: r["value"])["model"]


def test_the_table_agrees_with_the_survey_on_who_leads(rows):
    # The survey marks these as best in their tables (Kong et al. 2025, Tables 6, 9, 10, 12).
    assert best(rows, "FVD (nuScenes val, multi-view)") == "DiST-4D"
    assert best(rows, "occupancy reconstruction mIoU") == "X-Scene"
    assert best(rows, "4D occupancy forecasting mIoU at 1 s") == "I²World"
    assert best(rows, "FRD (SemanticKITTI, 64×1024)") == "WeatherGen"


def test_cogvideox_is_a_general_reference_outside_the_survey(rows):
    (cog,) = [r for r in rows if r["model"].startswith("CogVideoX")]
    assert cog["track"] == "VideoGen" and cog["subcategory"] not in TRACKS["VideoGen"]["subcategories"]
    assert cog["conditioning"] == "text prompt" and not cog["source"].startswith("Kong")


def test_better_knows_the_direction_of_each_metric():
    assert better("FVD (nuScenes val, single-view)") == "lower"
    assert better("FRD (SemanticKITTI, 64×1024)") == "lower"
    assert better("occupancy reconstruction mIoU") == "higher"
    assert better("a score") is None


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        load_landscape(tmp_path / "nowhere.csv")
    assert load_landscape(write(tmp_path, COLUMNS, GOOD))[0]["value"] == 89.4
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['value'\]"):
        load_landscape(write(tmp_path, [c for c in COLUMNS if c != "value"], GOOD[:7] + GOOD[8:]))
    with pytest.raises(ValueError, match="line 2: track must be one of VideoGen, OccGen, LiDARGen; got 'Video'"):
        load_landscape(write(tmp_path, COLUMNS, GOOD[:1] + ["Video"] + GOOD[2:]))
    with pytest.raises(ValueError, match="line 3: value must be a number or empty; got 'about 90'"):
        load_landscape(write(tmp_path, COLUMNS, GOOD, GOOD[:7] + ["about 90"] + GOOD[8:]))
    with pytest.raises(ValueError, match="metric and value come together"):
        load_landscape(write(tmp_path, COLUMNS, GOOD[:6] + [""] + GOOD[7:]))
    with pytest.raises(ValueError, match="year must be a whole number"):
        load_landscape(write(tmp_path, COLUMNS, GOOD[:3] + ["2024.5"] + GOOD[4:]))
    with pytest.raises(ValueError, match="more cells"):
        load_landscape(write(tmp_path, COLUMNS, GOOD + ["extra"]))


def test_plot_landscape_draws_one_panel_per_track_with_every_model(rows):
    fig = plot_landscape(rows)
    assert len(fig.axes) == len(TRACKS)
    for ax, track in zip(fig.axes, TRACKS):
        assert ax.get_title(loc="left").startswith(track)
        texts = " ".join(t.get_text() for t in ax.texts)
        for r in rows:
            if r["track"] == track:
                assert r["model"] in texts
        for sub in TRACKS[track]["subcategories"]:
            assert sub.split()[0] in texts
    vista = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("Vista")]
    assert vista and "89.4" in vista[0] and "↓" in vista[0]  # lower FVD is better
    with pytest.raises(ValueError, match="no models"):
        plot_landscape([])


def test_toy_projections_shows_three_representations_per_frame():
    start = time.perf_counter()
    fig = toy_projections(frames=(0, 5, 11))
    assert time.perf_counter() - start < 2.0
    assert len(fig.axes) == 9 + 1  # the panels, then the colour bar of the two bird's-eye rows
    axes = np.array(fig.axes[:9]).reshape(3, 3)
    assert "height" in fig.axes[-1].get_ylabel()
    assert [ax.get_ylabel().split("\n")[0] for ax in axes[:, 0]] == ["VideoGen", "OccGen", "LiDARGen"]
    # The default ball is thrown to the right: its occupied voxels move to larger x.
    xs = []
    for ax in axes[1]:
        occupied = ~np.isnan(np.ma.filled(ax.images[0].get_array(), np.nan))
        assert occupied.any()
        xs.append(np.nonzero(occupied)[1].mean())
    assert xs[0] < xs[1] < xs[2]
    assert axes[0, 0].images[0].get_array().shape[-1] == 3  # a camera frame is RGB


def test_toy_projections_takes_a_batch_and_checks_its_arguments():
    scene = sample_scenes(3, seed=1, moving=True)
    traj = simulate(scene, n_frames=4)
    assert len(toy_projections(scene, traj, frames=(0, 3), i=2).axes) == 6 + 1
    assert len(toy_projections(scene, frames=(1,), i=1).axes) == 3 + 1  # simulated on demand
    with pytest.raises(ValueError, match=r"frames must lie in 0..3"):
        toy_projections(scene, traj, frames=(0, 4))
    with pytest.raises(ValueError, match="i must index a clip"):
        toy_projections(scene, traj, i=3)
    with pytest.raises(ValueError, match="frame indices"):
        toy_projections(scene, traj, frames=())
    with pytest.raises(ValueError, match="pass scene too"):
        toy_projections(None, traj)
