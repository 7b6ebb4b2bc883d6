"""The edit benchmark: its simulator grade can tell done from not done, its paired comparisons see a
difference where there is one, and an untrained model does not pass."""

import numpy as np
import pytest

from wmlib.frame2frame import benchmark as B


@pytest.fixture(scope="module")
def edits_and_truth():
    from wmlib.frame2frame.edits import sample_edits, true_margins
    from wmlib.video.clips import render_clips

    clips = sample_edits(8, seed=2)
    return clips, render_clips(clips), true_margins(clips)


def test_the_swept_region_covers_what_the_true_edit_moves(edits_and_truth):
    _, true, _ = edits_and_truth
    for v in true:
        region = B.swept_region(v)
        assert region.any() and not region.all()
        assert np.abs(v - v[:1]).sum(-1)[:, ~region].max() <= 0.05


def test_the_simulator_grade_reads_the_true_state_of_the_nearest_frame(edits_and_truth):
    from wmlib.world.studio import background

    _, true, margins = edits_and_truth
    for v, m in zip(true, margins):
        tb = B.blurred(v)
        assert B.simulator_grade(v[0], tb, m) == (False, pytest.approx(np.abs(tb[0] - tb[m > 0]).mean((1, 2, 3)).min()))
        t = int(np.flatnonzero(m > 0)[-1])
        done, distance = B.simulator_grade(v[t], tb, m)
        assert done and distance == pytest.approx(0.0, abs=1e-6)
        # an empty cave (every object gone) is far from every true edited state, and never done
        empty = background()
        assert B.presence(empty, tb, t) < 0.05 and B.presence(v[t], tb, t) > 0.95
        assert not B.simulator_grade(empty, tb, m)[0] and B.simulator_grade(empty, tb, m)[1] > distance


def test_paired_comparisons_and_the_summary_see_a_difference_and_its_absence():
    rng = np.random.default_rng(0)
    base = rng.random((30, 3))
    measures = {name: {k: np.full((30, 3), np.nan) for k in B.MEASURES} for name in (B.F2F, B.LAST)}
    for name, shift in ((B.F2F, 0.0), (B.LAST, 0.1)):
        measures[name]["distance"] = base + shift + 0.01 * rng.standard_normal((30, 3))
        measures[name]["done"] = (rng.random((30, 3)) < 0.5).astype(float)
        measures[name]["frame"] = np.full((30, 3), 7.0)
    r = B.compare(measures, B.F2F, B.LAST, "distance", n_resamples=500)
    assert r["high"] < 0 and r["edits"] == 30 and r["difference"] == pytest.approx(-0.1, abs=0.01)
    r = B.compare(measures, B.F2F, B.LAST, "done", n_resamples=500)
    assert r["low"] < 0 < r["high"]
    summary = B.summarise(measures, n_resamples=500)
    assert summary[B.F2F]["distance_ci"][0] < summary[B.F2F]["distance"] < summary[B.F2F]["distance_ci"][1]
    assert summary[B.F2F]["kept_source"] == 0 and summary[B.F2F]["clip_i"] is None
    assert "earliest satisfying" in B.table(summary)
    rows = B.comparisons(measures, n_resamples=500)
    assert {r["measure"] for r in rows} == {"done", "distance"}  # clip_i, target_distance: not measured
    assert "no difference shown" in B.comparison_table(rows) and "a < b" in B.comparison_table(rows)


def test_the_shipped_form_round_trips():
    measures = {B.F2F: {k: np.array([[0.5, np.nan], [1.0, 0.25]]) for k in B.MEASURES}}

    class Clips:
        edits = (type("E", (), {"kind": "drop"})(), type("E", (), {"kind": "move"})())

    data = B.to_json({"n": 2, "seeds": (0, 1), "measures": measures, "clips": Clips()})
    back = B.from_json(data)
    assert data["kinds"] == ["drop", "move"]
    np.testing.assert_array_equal(back[B.F2F]["done"], measures[B.F2F]["done"])


def test_an_untrained_model_does_not_pass():
    from test_frame2frame_pipeline import tiny_pipeline

    class Sixteen:
        # the benchmark's clips have 16 frames: wrap the tiny 4-frame model to return 16
        def __init__(self, pipe):
            self.pipe = pipe

        def __call__(self, image, prompts, seed=0, **kw):
            return np.repeat(self.pipe(image, prompts, seed=seed, num_inference_steps=2, **kw), 4, axis=1)

        def sdedit(self, image, prompts, strength, seed=0, **kw):
            return np.repeat(self.pipe.sdedit(image, prompts, strength, seed=seed, num_inference_steps=2, **kw), 4, 1)

    clips = B.sample_edits(120, seed=B.SEED)[:4]  # the benchmark's first 4 edits: the tiny model must know their words
    prompts = [B.temporal_caption(clips.scene, i, clips.targets[i]) for i in range(4)]
    methods = (B.F2F, B.LAST, B.SDEDIT[0], B.TRUE, B.TRUE_LAST)
    result = B.run(Sixteen(tiny_pipeline(prompts=prompts)), n=120, first=4, methods=methods, progress=False)
    m = result["measures"]
    assert m[B.F2F]["done"].shape == (4, 1) and set(result["chosen"]) == set(methods)
    assert m[B.TRUE]["done"].mean() == 1.0 and m[B.TRUE]["target_distance"].max() == 0.0
    assert m[B.F2F]["done"].mean() < 0.5 and m[B.SDEDIT[0]]["done"].mean() < 0.5
    with pytest.raises(ValueError, match="unknown methods"):
        B.run(Sixteen(tiny_pipeline(prompts=prompts)), n=4, methods=("best",), progress=False)
