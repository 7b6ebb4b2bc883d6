"""Reading objects back out of frames: on true frames it agrees with the simulator."""

import numpy as np
import pytest

from wmlib.frame2frame import probe as P
from wmlib.frame2frame.edits import sample_edits, true_margins
from wmlib.frame2frame.scorers import ToyScorer
from wmlib.video.clips import render_clips
from wmlib.world.studio import background


def test_positions_read_from_true_frames_are_within_a_few_centimetres():
    stats = P.calibrate(n=40, seed=2)
    assert stats["x_error_sd"] < 0.03 and stats["height_error_sd"] < 0.03
    assert stats["x_error_max"] < 0.1 and stats["height_error_max"] < 0.1
    assert all(abs(v) < 0.04 for v in stats["height_error_by_size"].values())


def test_done_or_not_read_from_true_frames_agrees_with_the_true_state():
    clips = sample_edits(40, seed=9)
    frames = render_clips(clips)
    truth = true_margins(clips)
    agree = []
    for i in range(len(clips)):
        read = ToyScorer(clips.scene, i).margins(frames[i], clips.targets[i])
        clear = np.abs(truth[i]) > 0.05  # away from the line, the two must agree
        agree.append((read[clear] > 0) == (truth[i][clear] > 0))
    assert np.concatenate(agree).mean() > 0.99


def test_an_empty_frame_finds_nothing_and_bad_frames_are_refused():
    xy, found = P.locate(background(), [0, 3])
    assert not found.any() and np.isnan(xy).all()
    with pytest.raises(ValueError, match="RGB"):
        P.locate(np.zeros((4, 32, 32)), [0])
    with pytest.raises(ValueError, match="at least one object"):
        P.locate(background(), [])
