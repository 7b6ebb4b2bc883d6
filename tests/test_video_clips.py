"""The toy video clips: in view, deterministic, captioned, and with gravity readable in pixels."""

import numpy as np
import pytest

from wmlib.video import clips as C
from wmlib.world import studio


def test_clips_are_deterministic_in_view_and_captioned():
    a, b = C.sample_clips(40, seed=3), C.sample_clips(40, seed=3)
    assert np.array_equal(a.trajectory.position, b.trajectory.position) and a.captions == b.captions
    assert not np.array_equal(a.trajectory.position, C.sample_clips(40, seed=4).trajectory.position)
    p, r = a.trajectory.position[:, :, 0], a.scene.radius[:, 0]
    assert (np.abs(p[..., 0]).max(1) + r <= C.VIEW_X).all() and (p[..., 1].max(1) + r <= C.VIEW_TOP).all()
    assert (a.scene.n_objects == 1).all() and len(a) == 40
    for caption, colour in zip(a.captions, a.attributes()["colour"]):
        assert C.COLOUR_NAMES[colour] in caption


def test_rendered_object_follows_the_true_track():
    clips = C.sample_clips(10, seed=0)
    video = C.render_clips(clips)
    assert video.shape == (10, C.FRAMES, C.SIZE, C.SIZE, 3) and video.min() >= 0 and video.max() <= 1
    bg = studio.background()
    diff = np.abs(video - bg).sum(-1)
    rows, cols = np.mgrid[: C.SIZE, : C.SIZE]
    track = C.true_track(clips)
    for i in range(10):
        for t in (0, 7, 15):
            w = diff[i, t] > 0.25
            centre = np.array([cols[w].mean(), rows[w].mean()])
            # the visible blob includes the top of the object, so allow a couple of pixels
            assert np.abs(centre - track[i, t]).max() < 2.5


def test_gravity_in_pixels_matches_the_true_track():
    clips = C.sample_clips(20, seed=1)
    rows = C.true_track(clips)[..., 1]
    vy = clips.trajectory.velocity[:, :, 0, 1]
    for i in range(20):
        # the first two frames before any bounce: a parabola with the pixel gravity
        first = np.flatnonzero(np.diff(vy[i]) > 0)
        end = first[0] if len(first) else C.FRAMES
        if end >= 4:
            t = np.arange(end)
            g = 2 * np.polyfit(t, rows[i, :end], 2)[0]  # rows grow downward
            assert g == pytest.approx(studio.gravity_px(), rel=1e-3)


def test_tokenize_pads_and_refuses():
    vocab = C.build_vocabulary(["the red ball bounces.", "a blue cube"])
    ids = C.tokenize(["the red ball", "purple"], vocab, 6)
    assert ids.shape == (2, 6) and ids[0, 3:].tolist() == [0, 0, 0] and ids[1, 0] == vocab.index(C.UNKNOWN)
    with pytest.raises(ValueError, match="at most 3"):
        C.tokenize(["the red ball bounces"], vocab, 3)
    with pytest.raises(
        ValueError,
        match=r"never read the word 'purple' in 'purple'; the words it knows are: a ball "
        r"blue bounces cube red the \(and the marks \.\)$",
    ):
        C.tokenize(["the red ball", "purple"], vocab, 6, strict=True)
    with pytest.raises(ValueError, match="'unk'"):  # the placeholder is not a word one may write
        C.tokenize(["the <unk> ball"], vocab, 6, strict=True)
    assert np.array_equal(C.tokenize(["the red ball."], vocab, 6, strict=True), C.tokenize(["the red ball."], vocab, 6))
    assert C.known_words(vocab) == [".", "a", "ball", "blue", "bounces", "cube", "red", "the"]
    with pytest.raises(ValueError, match="positive number"):
        C.sample_clips(0)
