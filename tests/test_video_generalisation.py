"""Continuing videos from their first frames: the conditioned pipeline, its training batch, the held-out
fast throws, and the track and velocity errors against the true continuation."""

import numpy as np
import pytest
import torch
from toy_pipelines import tiny_video_pipeline

from wmlib.video import autoencoder as A
from wmlib.video import transformer as T
from wmlib.video.clips import THROWS, build_vocabulary, render_clips, sample_clips
from wmlib.video.generalisation import LOST, continue_clips, track_error, tracks, velocity_error
from wmlib.video.pipeline import ToyTextToVideoPipeline, scheduler
from wmlib.video.train import first_frame_condition, loss_weights, train_denoiser

PROMPTS = ["the small red ball is thrown to the right and bounces once.", "the large blue box goes straight up."]


def tiny_continuing_pipeline(frames=4, seed=0):
    return tiny_video_pipeline(PROMPTS, seed, frames, condition_channels=5, first_frames=(0, 1, 3))


def test_the_condition_holds_the_given_frames_and_a_mask_on_them():
    x0 = torch.randn(3, 5, 4, 8, 8)
    cond = first_frame_condition(x0, torch.tensor([0, 1, 3]))
    assert cond.shape == (3, 5, 5, 8, 8)
    assert cond[0].abs().sum() == 0  # c = 0: nothing given
    assert torch.equal(cond[1, :1, :4], x0[1, :1]) and cond[1, 1:].abs().sum() == 0
    assert torch.equal(cond[2, :3, :4], x0[2, :3]) and torch.all(cond[2, :3, 4] == 1) and torch.all(cond[2, 3:] == 0)


def test_min_snr_weights_are_at_most_one_and_lower_for_clean_timesteps():
    ddpm = scheduler("ddpm")
    t = torch.tensor([0, 100, 500, 900, 999])
    w = loss_weights(ddpm, t, "min-snr")
    assert torch.all(w <= 1) and torch.all(w > 0)
    assert w[0] < w[2]  # nearly clean: SNR huge, weight 5 / (SNR + 1) small
    assert torch.equal(loss_weights(ddpm, t, "none"), torch.ones(5))
    with pytest.raises(ValueError, match="weighting"):
        loss_weights(ddpm, t, "uniform")


def test_the_pipeline_continues_given_frames_and_refuses_others(tmp_path):
    pipe = tiny_continuing_pipeline()
    frames = np.random.default_rng(0).random((2, 3, 32, 32, 3), dtype=np.float32)
    a = pipe(PROMPTS, num_inference_steps=2, first_frames=frames[:, :3], seed=1, return_latents=True)[1]
    b = pipe(PROMPTS, num_inference_steps=2, first_frames=frames[:, :1], seed=1, return_latents=True)[1]
    c = pipe(PROMPTS, num_inference_steps=2, seed=1, return_latents=True)[1]
    assert a.shape == b.shape == c.shape == (2, 4, 4, 8, 8)
    assert not torch.allclose(a, b) and not torch.allclose(b, c)  # what is given changes the video
    given = pipe.first_frame_condition(frames[:, :3], 2)[:, :3, :4]
    assert torch.equal(a[:, :3], given) and not torch.equal(c[:, :3], given)  # the given frames open the video
    with pytest.raises(ValueError, match="continues 0 or 1 or 3"):
        pipe(PROMPTS, first_frames=frames[:, :2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pipe(PROMPTS, first_frames=frames[:, :1] * 2)
    with pytest.raises(ValueError, match="one clip per prompt"):
        pipe(PROMPTS, first_frames=frames[:1, :1])
    pipe.save_pretrained(tmp_path)
    again = ToyTextToVideoPipeline.from_pretrained(tmp_path)
    assert again.first_frames == (0, 1, 3)
    assert torch.equal(
        again(PROMPTS, num_inference_steps=2, first_frames=frames[:, :3], seed=1, return_latents=True)[1], a
    )


def test_a_caption_only_model_takes_no_frames():
    vocab = build_vocabulary(PROMPTS)
    tr = T.build(len(vocab), frames=4, latent_shape=(4, 8, 8), text_length=16, width=32, depth=1, patch=2, heads=2)
    pipe = ToyTextToVideoPipeline(tr, A.build(width=16), vocab, 2.0, 16, frames=4)
    with pytest.raises(ValueError, match="caption alone"):
        pipe(PROMPTS, first_frames=np.zeros((2, 1, 32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="condition_channels"):
        ToyTextToVideoPipeline(tr, A.build(width=16), vocab, 2.0, 16, frames=4, first_frames=(0, 3))


def test_a_control_snapshot_shares_the_models_autoencoder(tmp_path):
    pipe = tiny_continuing_pipeline()
    pipe.save_pretrained(tmp_path)
    pipe.save_pretrained(tmp_path, weights="control.safetensors", half=True, autoencoder=False)
    control = ToyTextToVideoPipeline.from_pretrained(tmp_path, weights="control.safetensors")
    for a, b in zip(control.autoencoder.state_dict().values(), pipe.autoencoder.state_dict().values()):
        assert torch.equal(a, b)


def test_training_a_continuing_model_lowers_its_loss():
    pipe = tiny_continuing_pipeline()
    latents = torch.randn(16, 4, 4, 8, 8) * 0.1 + torch.linspace(-1, 1, 4)[None, :, None, None, None]
    tokens = torch.randint(0, len(pipe.vocabulary), (16, 1, 16))
    _, _, history = train_denoiser(
        pipe.transformer,
        latents,
        tokens,
        steps=60,
        batch_size=8,
        lr=3e-3,
        first_frames=(0, 1, 3),
        weighting="min-snr",
        progress=False,
        log_every=20,
    )
    assert history[-1][2] < history[0][2]


def test_fast_throws_go_up_faster_than_any_training_throw():
    train, fast = sample_clips(200, seed=3), sample_clips(200, seed=3, throws="fast")
    up_train = train.trajectory.velocity[:, 0, 0, 1]
    up_fast = fast.trajectory.velocity[:, 0, 0, 1]
    assert up_train.max() <= THROWS["train"]["up"][1] < THROWS["fast"]["up"][0] <= up_fast.min()
    with pytest.raises(ValueError, match="unknown throws"):
        sample_clips(2, throws="slow")


def test_errors_are_zero_for_the_truth_and_large_for_a_frozen_video():
    clips = sample_clips(8, seed=11)
    truth = render_clips(clips)
    xy, found = tracks(truth)
    assert np.median(track_error(xy, found, clips)) < 0.5
    assert np.median(velocity_error(xy, found, clips, 3)) < 0.5
    frozen = np.repeat(truth[:, :1], truth.shape[1], axis=1)  # the object never moves
    xf, ff = tracks(frozen)
    assert np.median(velocity_error(xf, ff, clips, 1)) > 1.0
    empty = np.broadcast_to(truth[:, :1, :1, :1], truth.shape).copy()  # nothing to track
    xe, fe = tracks(empty)
    assert np.all(track_error(xe, fe, clips) == LOST)


def test_continue_clips_passes_the_first_frames():
    clips = sample_clips(3, seed=5)

    class Recorder:
        def __call__(self, prompts, seed=0, first_frames=None, **kwargs):
            self.given = first_frames
            return np.zeros((len(prompts), 16, 32, 32, 3), np.float32)

    rec = Recorder()
    truth = render_clips(clips)
    out = continue_clips(rec, clips, 3, truth)
    assert out.shape == (3, 16, 32, 32, 3) and np.array_equal(rec.given, truth[:, :3])
    continue_clips(rec, clips, 0, truth)
    assert rec.given is None
