"""The toy edits: sampling, target and temporal captions, and what "done" means."""

import numpy as np
import pytest

from wmlib.frame2frame import edits as E


@pytest.fixture(scope="module")
def clips():
    return E.sample_edits(40, seed=3)


def test_sampling_is_deterministic_balanced_and_every_edit_happens(clips):
    again = E.sample_edits(40, seed=3)
    assert np.array_equal(clips.trajectory.position, again.trajectory.position) and clips.captions == again.captions
    assert [e.kind for e in clips.edits] == list(E.KINDS) * 10
    margins = E.true_margins(clips)
    assert (margins[:, 0] <= 0).all() and (margins.max(1) > 0).all()  # not done at the start, done later
    assert not np.array_equal(E.sample_edits(40, seed=4).scene.position, clips.scene.position)


def test_target_captions_read_back_to_their_edits(clips):
    for i, edit in enumerate(clips.edits):
        assert E.parse_target(clips.scene, i, clips.targets[i]) == edit
        assert E.temporal_caption(clips.scene, i, clips.targets[i]).startswith(E.describe(clips.scene, i, edit.subject))


def test_moves_and_rolls_name_the_right_motion(clips):
    for i, edit in enumerate(clips.edits):
        caption = E.temporal_caption(clips.scene, i, clips.targets[i])
        if edit.kind == "drop":
            assert "falls" in caption and "lies on the ground" in clips.targets[i]
        elif edit.kind == "move":
            assert "slides" in caption and "cube" in caption
        elif edit.kind == "roll":
            assert "rolls" in caption and "cube" not in caption
        else:
            assert "toward each other" in caption and edit.partner >= 0


def test_a_drop_is_done_when_the_object_lies_on_the_ground():
    edit = E.Edit("drop", 0)
    r = np.array([0.2, 0.35, 0.0])
    assert E.margin(edit, np.zeros(3), np.array([0.25, 0.35, 0]), r) > 0
    assert E.margin(edit, np.zeros(3), np.array([0.8, 0.35, 0]), r) < 0
    side = E.Edit("move", 1, side="right")
    assert (
        E.margin(side, np.array([0, 0.5, 0]), np.zeros(3), r)
        > 0
        > E.margin(side, np.array([0, 0.3, 0]), np.zeros(3), r)
    )
    near = E.Edit("together", 0, 1)
    assert (
        E.margin(near, np.array([0.0, 0.7, 0]), np.zeros(3), r)
        > 0
        > E.margin(near, np.array([0.0, 1.0, 0]), np.zeros(3), r)
    )


def test_bad_target_captions_are_refused_clearly(clips):
    with pytest.raises(ValueError, match="non-empty"):
        E.temporal_caption(clips.scene, 0, "  ")
    with pytest.raises(ValueError, match="cannot read the target caption"):
        E.temporal_caption(clips.scene, 0, "make it pretty")
    with pytest.raises(ValueError, match="the scene has no small pink cylinder; it has"):
        i = next(i for i, e in enumerate(clips.edits) if e.kind == "drop" and clips.scene.colour[i, 0] != 7)
        E.temporal_caption(clips.scene, i, "the small pink cylinder lies on the ground.")
    i = next(i for i, e in enumerate(clips.edits) if e.kind == "together")
    resting = E.describe(clips.scene, i, 0)
    with pytest.raises(ValueError, match="already true"):
        E.temporal_caption(clips.scene, i, f"{resting} lies on the ground.")


def test_the_vlm_instruction_is_the_papers():
    prompt = E.temporal_caption_prompt("a photo of a sitting dog")
    assert prompt.startswith("Write a one-sentence description of a short video that begins with the provided image")
    assert '"a photo of a sitting dog"' in prompt and "CAPTION" not in prompt
    assert prompt.endswith('without mentioning the length or using the word "video".')


def test_bad_requests():
    with pytest.raises(ValueError, match="positive number"):
        E.sample_edits(0)
    with pytest.raises(ValueError, match="unknown edit kinds"):
        E.sample_edits(4, kinds=("fly",))
    only = E.sample_edits(6, seed=1, kinds=("together",))
    assert {e.kind for e in only.edits} == {"together"}
    assert len(only[2:4]) == 2 and only[2:4].targets == only.targets[2:4]
