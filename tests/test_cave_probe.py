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


def test_scores_and_their_intervals():
    import numpy as np

    truth = np.array([0, 1, 2] * 40)
    right = truth.copy()
    half = np.where(np.arange(120) % 2 == 0, truth, (truth + 1) % 3)
    assert probe.score("shape", right, truth) == 1.0 and probe.score("shape", half, truth) == 0.5
    low, high = probe.score_interval("shape", half, truth)
    assert low < 0.5 < high and high - low < 0.3
    x = np.linspace(-1, 1, 120)
    assert probe.score("x", x, x) == 1.0 and abs(probe.score("x", np.zeros(120), x)) < 1e-9
    # A paired difference: the same scenes for both probes; identical predictions differ by exactly 0.
    assert probe.difference_interval("shape", half, half, truth) == (0.0, 0.0)
    low, high = probe.difference_interval("shape", right, half, truth)
    assert 0.35 < low < 0.5 < high < 0.65
    noisy = x + np.random.default_rng(0).normal(0, 0.3, 120)
    assert probe.difference_interval("x", x, noisy, x)[0] > 0  # exact beats noisy, on R^2


def test_fit_predict_gives_one_prediction_per_held_out_scene():
    scenes = sample_scenes(120, seed=2, n_objects=1)
    data = {"shadow": probe.inputs(scenes, "shadow")}
    guesses = probe.fit_predict(data, probe.targets(scenes), n_train=100, epochs=1)
    assert set(guesses) == set(probe.FACTORS) and all(len(v) == 20 for v in guesses.values())
    table, predictions = probe.probe_table(
        data, probe.targets(scenes), n_train=100, epochs=1, combined=False, predictions=True
    )
    assert table["shadow"]["shape"] == probe.score("shape", predictions["shadow"]["shape"], scenes.shape[100:, 0])
