"""Frame selection and ``frame2frame``: strategies, fallbacks, the paper's VLM prompt, bad input."""

import numpy as np
import pytest

from wmlib.frame2frame import select as S


class FakeScorer:
    """Scores that a test sets by hand: frame t's text score is ``scores[t]``."""

    threshold, min_similarity = 0.5, 0.9

    def __init__(self, scores, sims=None):
        self.scores, self.sims = np.asarray(scores, float), sims

    def text_scores(self, frames, caption):
        return self.scores[(frames[:, 0, 0, 0] * 100).round().astype(int)]

    def image_similarity(self, frames, source):
        return np.ones(len(frames)) if self.sims is None else self.sims[(frames[:, 0, 0, 0] * 100).round().astype(int)]


def video(frames=16):
    v = np.zeros((frames, 8, 8, 3), np.float32)
    v[:, 0, 0, 0] = np.arange(frames) / 100  # each frame says which it is
    return v


def make_pipeline(v):
    return lambda image, prompt, seed=0: v[None]


SOURCE = np.full((8, 8, 3), 0.5, np.float32)


def test_candidates_follow_the_paper():
    assert S.candidate_indices(16).tolist() == [3, 7, 11, 15]
    assert len(S.candidate_indices(49)) == 12
    with pytest.raises(ValueError, match="no candidate"):
        S.candidate_indices(3)


def test_earliest_satisfying_picks_the_first_candidate_over_the_threshold():
    scores = np.zeros(16)
    scores[[7, 11, 15]] = [0.6, 0.9, 0.2]
    r = S.frame2frame(SOURCE, "a caption", make_pipeline(video()), FakeScorer(scores))
    assert r.frame_index == 7 and "earliest" in r.reason and np.array_equal(r.frame, video()[7])
    last = S.frame2frame(SOURCE, "a caption", make_pipeline(video()), FakeScorer(scores), strategy=S.last_frame())
    assert last.frame_index == 15


def test_when_no_frame_satisfies_the_source_is_returned_with_the_reason():
    r = S.frame2frame(SOURCE, "a caption", make_pipeline(video()), FakeScorer(np.zeros(16)))
    assert r.frame_index is None and np.array_equal(r.frame, SOURCE)
    assert r.reason == "keep the source: no candidate reaches score 0.5"
    sims = np.zeros(16)
    scores = np.ones(16)
    r = S.frame2frame(SOURCE, "a caption", make_pipeline(video()), FakeScorer(scores, sims))
    assert r.frame_index is None and "strayed" in r.reason


def test_thresholds_can_be_set_and_a_custom_strategy_works():
    scores = np.zeros(16)
    scores[[3, 11]] = [0.55, 0.95]
    strict = S.earliest_satisfying(threshold=0.9)
    assert S.frame2frame(SOURCE, "c", make_pipeline(video()), FakeScorer(scores), strategy=strict).frame_index == 11

    def best(scores, similarities, **_):
        return S.Choice(int(np.argmax(scores)), "the highest score")

    assert S.frame2frame(SOURCE, "c", make_pipeline(video()), FakeScorer(scores), strategy=best).frame_index == 11


def test_the_temporal_caption_can_be_given_written_or_left_out():
    seen = []

    def pipeline(image, prompt, seed=0):
        seen.append(prompt)
        return video()

    S.frame2frame(SOURCE, "target", pipeline, FakeScorer(np.zeros(16)), temporal_caption="it moves")
    S.frame2frame(SOURCE, "target", pipeline, FakeScorer(np.zeros(16)), temporal_caption=lambda img, c: f"{c}, slowly")
    S.frame2frame(SOURCE, "target", pipeline, FakeScorer(np.zeros(16)))
    assert seen == ["it moves", "target, slowly", "target"]


def test_bad_input_gives_clear_errors():
    good = make_pipeline(video())
    with pytest.raises(ValueError, match="RGB image"):
        S.frame2frame(np.zeros((8, 8)), "c", good, FakeScorer(np.zeros(16)))
    with pytest.raises(ValueError, match="RGB image"):
        S.frame2frame(np.zeros((8, 8, 4)), "c", good, FakeScorer(np.zeros(16)))
    with pytest.raises(ValueError, match="non-empty"):
        S.frame2frame(SOURCE, "  ", good, FakeScorer(np.zeros(16)))
    with pytest.raises(ValueError, match="returned no usable frames"):
        S.frame2frame(SOURCE, "c", lambda image, prompt, seed=0: np.zeros((1, 0, 8, 8, 3)), FakeScorer(np.zeros(16)))
    with pytest.raises(ValueError, match="returned no usable frames"):
        S.frame2frame(SOURCE, "c", lambda image, prompt, seed=0: np.zeros((16, 4, 4, 3)), FakeScorer(np.zeros(16)))


def test_the_vlm_judge_uses_the_papers_prompt_and_collage():
    asked = {}

    def vlm(image, prompt):
        asked["image"], asked["prompt"] = image, prompt
        return "The selected edit is:2"

    r = S.frame2frame(
        SOURCE, "a sitting dog", make_pipeline(video()), FakeScorer(np.zeros(16)), strategy=S.vlm_judge(vlm)
    )
    assert r.frame_index == 7 and r.reason == "the VLM chose candidate 2"
    assert asked["prompt"].startswith("The image displays the source photo at the top, with a collage of 4 edited")
    assert '"a sitting dog"' in asked["prompt"] and "from 1 to 4" in asked["prompt"]
    assert asked["image"].shape == (2 * 32, 4 * 32, 3)  # the source above one row of four, each 4x larger
    none = S.vlm_judge(lambda image, prompt: "The selected edit is:0")
    r = S.frame2frame(SOURCE, "c", make_pipeline(video()), FakeScorer(np.zeros(16)), strategy=none)
    assert r.frame_index is None and "no candidate" in r.reason
    with pytest.raises(ValueError, match="asked form"):
        S.parse_selection("I like number three", 4)
    with pytest.raises(ValueError, match="only 4 candidates"):
        S.parse_selection("The selected edit is: 9", 4)
