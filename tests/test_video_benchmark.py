"""The figures of a group of videos, the controls, the table, and the benchmark's JSON line."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from wmlib.video import benchmark as B
from wmlib.video.clips import render_clips, sample_clips
from wmlib.world.studio import gravity_px


def fake_result(n=100, seed=0):
    rng = np.random.default_rng(seed)
    gravity = rng.normal(gravity_px(), 0.1, n)
    gravity[::5] = np.nan
    flags = {
        k: rng.random(n) < p
        for k, p in (("prompt_ok", 0.9), ("colour_ok", 0.95), ("shape_ok", 0.9), ("size_ok", 1.0), ("found_all", 0.97))
    }
    return {
        "gravity": gravity,
        "gravity_ok": np.abs(gravity - gravity_px()) <= 0.2 * gravity_px(),
        **flags,
        "median_gravity": float(np.nanmedian(gravity)),
        "share_restitution_measured": 0.4,
        "share_restitution_ok": float("nan"),
    }


def test_figures_are_the_shares_with_intervals_that_cover_them():
    result = fake_result()
    f = B.figures(result)
    assert f["n"] == 100
    for share, ci in B.SHARES.items():
        assert f[share] == pytest.approx(np.mean(result[share]), abs=1e-4)
        low, high = f[ci]
        assert low <= f[share] <= high and (low < high or f[share] in (0, 1))
    assert f["size_ci"] == [1.0, 1.0]
    low, high = f["median_gravity_ci"]
    assert low < f["median_gravity"] < high
    assert f["restitution_ok"] is None and f["restitution_measured"] == 0.4
    json.dumps(f, allow_nan=False)  # a JSON line has no NaN
    assert B.figures(result, seed=0) == f


def test_figures_without_the_judge_or_any_fit():
    result = fake_result(20)
    for k in ("prompt_ok", "colour_ok", "shape_ok", "size_ok"):
        del result[k]
    result["gravity"][:] = np.nan
    result["gravity_ok"][:] = False
    result["median_gravity"] = float("nan")
    f = B.figures(result)
    assert "prompt_ok" not in f and f["gravity_ok"] == 0 and f["gravity_ci"] == [0.0, 0.0]
    assert f["median_gravity"] is None and f["median_gravity_ci"] is None
    assert "median" in B.table({"frozen": f}).splitlines()[0] and "-" in B.table({"frozen": f}).splitlines()[1]


def test_the_controls_measured_as_groups():
    from wmlib.video import autoencoder as A

    clips = sample_clips(24, seed=5)
    truth = render_clips(clips)
    groups = B.controls(truth, A.build(width=16).eval())
    assert list(groups) == ["truth", "autoencoder", "shuffled"] and groups["truth"] is truth
    figures = B.measure(groups, clips.attributes())
    assert list(figures) == list(groups)
    assert figures["truth"]["gravity_ok"] >= 0.9 and figures["shuffled"]["gravity_ok"] <= 0.1
    assert figures["autoencoder"]["gravity_ok"] <= 0.2  # an untrained autoencoder loses the motion
    rows = B.table(figures).splitlines()
    assert [r.split()[0] for r in rows[1:]] == ["truth", "autoencoder", "shuffled"]
    low, high = figures["truth"]["gravity_ci"]
    assert f"[{low:.1%}, {high:.1%}]" in rows[1]


def test_the_benchmark_ends_with_one_json_line(capsys):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import video as bench

    bench.main(["--json", "--n", "8"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert summary["n"] == 8 and summary["true_gravity"] == pytest.approx(gravity_px(), abs=1e-4)
    for group in ("model", "control", "truth", "autoencoder", "shuffled"):
        assert {
            "gravity_ok",
            "prompt_ok",
            "colour_ok",
            "shape_ok",
            "size_ok",
            "found_all",
            "gravity_ci",
            "median_gravity",
        } <= set(summary[group]), group
        assert len(summary[group]["gravity_ci"]) == 2
    assert set(summary["judge_on_autoencoder"]) == {"colour", "shape", "size"}
    assert summary["judge_on_autoencoder"]["colour"] == summary["autoencoder"]["colour_ok"]
    assert summary["truth"]["gravity_ok"] > summary["shuffled"]["gravity_ok"]
    assert 0 < summary["sample_seconds_8"] < 60
