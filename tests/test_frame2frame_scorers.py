"""Scorers: the toy probe scorer on true frames, and CLIP through the real code path on a tiny CLIP."""

import numpy as np
import pytest

from wmlib.frame2frame.edits import sample_edits
from wmlib.frame2frame.scorers import ClipScorer, ToyScorer
from wmlib.video.clips import render_clips


def test_the_toy_score_rises_through_one_half_when_the_edit_happens():
    clips = sample_edits(8, seed=11)
    frames = render_clips(clips)
    for i in range(len(clips)):
        s = ToyScorer(clips.scene, i)
        scores = s.text_scores(frames[i], clips.targets[i])
        assert scores[0] < 0.5 and scores.max() > 0.5
        sims = s.image_similarity(frames[i], frames[i, 0])
        assert sims[0] == 1 and (sims <= 1).all() and sims[-1] < 1
    with pytest.raises(ValueError, match="cannot read"):
        ToyScorer(clips.scene, 0).text_scores(frames[0], "something else")


def test_clip_scores_through_a_tiny_clip():
    from wmlib import tiny

    model, proc = tiny.clip()
    scorer = ClipScorer(model, proc)
    frames = np.random.default_rng(0).random((3, 32, 32, 3)).astype(np.float32)
    text = scorer.text_scores(frames, "a red ball")
    assert text.shape == (3,) and np.all(np.abs(text) <= 1)
    same = scorer.image_similarity(frames, frames[1])
    assert same.shape == (3,) and abs(same[1] - 1) < 1e-5 and same[0] < same[1]
    assert np.allclose(np.linalg.norm(scorer.features(frames), axis=1), 1, atol=1e-5)
    with pytest.raises(ValueError, match="non-empty"):
        scorer.text_scores(frames, "")
    with pytest.raises(ValueError, match="RGB"):
        scorer.image_similarity(frames[..., 0], frames[0])
