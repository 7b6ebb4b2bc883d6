"""The next-state read-out of wmlib.clip.nextstate: the truth scores near the ceiling, unrelated targets near 0."""

from __future__ import annotations

import numpy as np
import pytest

from wmlib.clip import nextstate


@pytest.fixture(scope="module")
def clips():
    return nextstate.motion_clips(300, seed=1)


def test_clips_pick_a_moment_with_a_past_and_a_future(clips):
    assert len(clips) == 300
    assert clips.t.min() >= 1 and clips.t.max() <= nextstate.FRAMES - 2
    np.testing.assert_array_equal(clips.frames(1).position[:, 0], clips.position(1))
    assert not np.allclose(clips.position(-1), clips.position(1))  # the objects move
    again = nextstate.motion_clips(300, seed=1)
    np.testing.assert_array_equal(again.position(0), clips.position(0))


def test_the_truth_at_two_moments_predicts_the_next_position(clips):
    score = nextstate.score_representation(nextstate.truth, clips, 200)
    assert score.r2 > 0.95
    assert score.low <= score.r2 <= score.high
    assert score.n_test == 100


def test_unrelated_targets_score_about_zero(clips):
    score = nextstate.score_representation(nextstate.truth, clips, 200, shuffle=True)
    assert abs(score.r2) < 0.1 and score.high < 0.1


def test_one_still_frame_cannot_tell_the_motion_but_two_can(clips):
    still = nextstate.truth(clips.frames(0))
    one = nextstate.next_state_score(still, still, nextstate.target_of(clips, "motion"), 200, interval=False)
    two = nextstate.score_representation(nextstate.truth, clips, 200, "motion", interval=False)
    assert one.r2 < 0.3 < 0.6 < two.r2


def test_rarely_active_units_do_not_swamp_the_prediction(clips):
    # 20 ReLU-like units, faintly active on 10 training clips and a few times more on 10 held-out ones: per-unit
    # standardisation would multiply them up (R^2 0.92 here); the shrunk scale keeps the truth's 0.95 or more.
    x = nextstate.truth(clips.frames(0))
    rng = np.random.default_rng(0)
    rare = np.zeros((len(x), 20))
    rare[:200:20] = np.abs(rng.normal(size=(10, 20))) * 0.05
    rare[200::10] = np.abs(rng.normal(size=(10, 20))) * 0.2
    score = nextstate.next_state_score(np.c_[x, rare], x, clips.position(1), 200, interval=False)
    assert score.r2 > 0.95


def test_bad_arguments_are_refused(clips):
    x = nextstate.truth(clips.frames(0))
    with pytest.raises(ValueError, match="n_train"):
        nextstate.next_state_score(x, x, clips.position(1), len(x))
    with pytest.raises(ValueError, match="target"):
        nextstate.target_of(clips, "velocity")
    with pytest.raises(ValueError, match="3 frames"):
        nextstate.motion_clips(5, frames=2)


def test_clips_keep_the_object_in_view(clips):
    from wmlib.world import sample_scenes, simulate

    assert nextstate.in_view(clips.scene, clips.trajectory).all()
    scene = sample_scenes(4, seed=0, n_objects=1, moving=True)
    high = scene.with_(position=scene.position + [0.0, 30.0, 0.0])  # far above the picture
    assert not nextstate.in_view(high, simulate(high, 3)).any()
    assert nextstate.in_view(scene, simulate(scene, 1)).all()  # resting or mid-throw, at frame 0 they are seen
