"""Probes read back what a projection keeps, and nothing it has lost."""

import pytest

from wmlib.cave import probe
from wmlib.world import captions, sample_scenes


@pytest.fixture(scope="module")
def table():
    scenes = sample_scenes(1600, seed=4, n_objects=1)
    data = {p: probe.inputs(scenes, p, texts=captions(scenes, seed=4)) for p in ("camera", "shadow", "caption")}
    return probe.probe_table(data, probe.targets(scenes), n_train=1300, epochs=10)


def test_shadows_lose_colour_and_captions_lose_exact_position(table):
    assert abs(table["shadow"]["colour"] - 1 / 8) < 0.08
    assert table["camera"]["colour"] > 0.8 and table["caption"]["colour"] > 0.95
    assert table["camera"]["x"] > table["caption"]["x"] + 0.2


def test_probing_everything_together_keeps_the_best_of_each(table):
    for factor in probe.FACTORS:
        best = max(table[p][factor] for p in ("camera", "shadow", "caption"))
        assert table["all together"][factor] >= best - 0.05, factor


def test_inputs_have_probe_shapes():
    scenes = sample_scenes(3, seed=0, n_objects=1)
    shapes = {p: probe.inputs(scenes, p, texts=captions(scenes)).shape for p in probe.PROJECTIONS}
    assert shapes["camera"] == (3, 3, 32, 32) and shapes["occupancy"] == (3, 18, 32, 32)
    assert shapes["lidar"] == (3, 1, 16, 128) and shapes["caption"][0] == 3
    with pytest.raises(ValueError, match="caption inputs need the captions"):
        probe.inputs(scenes, "caption")
    with pytest.raises(ValueError, match="allowed: camera, shadow"):
        probe.inputs(scenes, "smell")


def test_bag_of_words_counts():
    counts = probe.bag_of_words(["a red ball, a ball."], ["a", "ball", "cube"])
    assert counts.tolist() == [[2, 2, 0]]
