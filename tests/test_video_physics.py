"""The measurements of a video: tracking, fitted gravity, and the controls that must fail."""

import numpy as np
import pytest

from wmlib.video import physics as P
from wmlib.video.clips import gravity_px, render_clips, sample_clips


@pytest.fixture(scope="module")
def truth():
    clips = sample_clips(60, seed=11)
    return clips, render_clips(clips)


def test_gravity_is_read_back_from_true_videos(truth):
    clips, videos = truth
    result = P.evaluate(videos, clips.attributes())
    assert result["share_found_all"] == 1.0
    assert result["share_gravity_ok"] >= 0.95
    assert result["median_gravity"] == pytest.approx(gravity_px(), rel=0.05)


def test_controls_fail(truth):
    clips, videos = truth
    rng = np.random.default_rng(0)
    shuffled = videos[:, np.r_[0, 1 + rng.permutation(15)]]
    frozen = np.repeat(videos[:, :1], 16, axis=1)
    assert P.evaluate(shuffled, clips.attributes())["share_gravity_ok"] <= 0.1
    assert P.evaluate(frozen, clips.attributes())["share_gravity_ok"] == 0.0
    # a video with the object missing in some frames is not measured at all
    emptied = videos.copy()
    emptied[:, 5] = emptied[:, 5] * 0 + P.background()
    assert P.evaluate(emptied, clips.attributes())["share_found_all"] == 0.0


def test_gravity_scales_with_the_world():
    t = np.arange(12.0)
    for g in (0.4, 0.8):
        rows = 5 + 0.5 * t + g * t**2 / 2
        xy = np.stack([np.full_like(t, 10), rows], 1)
        assert P.fit_gravity(xy, np.ones(12, bool)) == pytest.approx(g)
    assert np.isnan(P.fit_gravity(xy, np.r_[np.ones(11, bool), False]))


def test_bounces_split_the_fit():
    t = np.arange(16.0)
    height = np.where(t < 8, 20 - 0.4 * t**2, 20 - 0.4 * 64 + 3 * (t - 8) - 0.4 * (t - 8) ** 2)
    assert P.bounce_frames(height).tolist() == [8]
    xy = np.stack([np.zeros(16), -height], 1)
    assert P.fit_gravity(xy, np.ones(16, bool)) == pytest.approx(0.8)


def test_the_shipped_judge_names_true_objects(truth):
    clips, videos = truth
    votes = P.judge_videos(P.load_judge(), videos)
    for factor, true in clips.attributes().items():
        assert np.mean(votes[factor] == true) >= 0.9, factor


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        P.track(np.zeros((4, 32, 32)))
    with pytest.raises(ValueError, match="videos must have shape"):
        P.evaluate(np.zeros((2, 16, 16, 16, 3)), {})
