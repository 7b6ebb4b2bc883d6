"""The toy text-to-video pipeline: saving and loading, generating, refusing bad requests, training."""

import numpy as np
import pytest
import torch
from toy_pipelines import tiny_video_pipeline

from wmlib.video import autoencoder as A
from wmlib.video import transformer as T
from wmlib.video.clips import build_vocabulary, tokenize
from wmlib.video.pipeline import ToyTextToVideoPipeline
from wmlib.video.train import train_denoiser

PROMPTS = ["the small red ball is thrown to the right and bounces once.", "the large blue box goes straight up."]


def tiny_pipeline(seed=0, frames=4):
    return tiny_video_pipeline(PROMPTS, seed, frames)


def test_save_load_round_trip(tmp_path):
    pipe = tiny_pipeline()
    pipe.save_pretrained(tmp_path)
    again = ToyTextToVideoPipeline.from_pretrained(tmp_path)
    a, za = pipe(PROMPTS, num_inference_steps=3, seed=1, return_latents=True)
    assert a.shape == (2, 4, 32, 32, 3) and a.min() >= 0 and a.max() <= 1
    b, zb = again(PROMPTS, num_inference_steps=3, seed=1, return_latents=True)
    assert np.array_equal(a, b) and torch.equal(za, zb)
    assert not torch.equal(za, pipe(PROMPTS, num_inference_steps=3, seed=2, return_latents=True)[1])
    pipe.save_pretrained(tmp_path, weights="half.safetensors", half=True)
    assert (tmp_path / "half.safetensors").stat().st_size < 0.6 * (tmp_path / "model.safetensors").stat().st_size


def test_guidance_changes_the_video():
    pipe = tiny_pipeline()
    _, with_cfg = pipe(PROMPTS[:1], num_inference_steps=3, guidance_scale=4.0, return_latents=True)
    _, without = pipe(PROMPTS[:1], num_inference_steps=3, guidance_scale=1.0, return_latents=True)
    assert not torch.allclose(with_cfg, without)


def test_bad_requests_are_refused(tmp_path):
    pipe = tiny_pipeline()
    with pytest.raises(ValueError, match="non-empty"):
        pipe("   ")
    with pytest.raises(ValueError, match="guidance_scale"):
        pipe(PROMPTS[0], guidance_scale=0.5)
    with pytest.raises(ValueError, match="num_inference_steps"):
        pipe(PROMPTS[0], num_inference_steps=0)
    with pytest.raises(ValueError, match="at most 16"):
        pipe(" ".join(["ball"] * 17))
    with pytest.raises(FileNotFoundError, match="config.json"):
        ToyTextToVideoPipeline.from_pretrained(tmp_path)


def test_words_the_model_never_read_are_refused_with_the_words_it_knows():
    pipe = tiny_pipeline()
    with pytest.raises(ValueError, match="never read the words 'magenta', 'teal' in") as error:
        pipe(["the small red ball goes straight up.", "the small magenta ball and the teal box"])
    known = str(error.value).split("knows are: ")[1]
    assert known.split(" (")[0].split() == [w for w in pipe.vocabulary if w.isalpha()]
    assert "<unk>" not in known and "<pad>" not in known and known.endswith("(and the marks .)")
    assert pipe.known_words() == [w for w in pipe.vocabulary if w not in ("<pad>", "<unk>")]


def test_every_evaluation_prompt_is_read_by_the_shipped_model():
    import wmlib
    from wmlib.video.train import evaluation_prompts

    pipe = wmlib.load("toy-t2v")
    prompts = evaluation_prompts(256)[0]
    assert (pipe.tokens(prompts) > 1).sum(1).min() >= 3  # every prompt read, none of it as <unk> (id 1)
    with pytest.raises(ValueError, match="'magenta'"):
        pipe.tokens(["the small magenta ball goes straight up."])


def test_denoiser_training_lowers_the_loss():
    torch.manual_seed(0)
    vocab = build_vocabulary(PROMPTS)
    # two "videos" that differ by their caption: a denoiser can only fit them by reading the words
    latents = torch.stack([torch.ones(4, 4, 8, 8), -torch.ones(4, 4, 8, 8)]).repeat(16, 1, 1, 1, 1)
    tokens = torch.from_numpy(tokenize(PROMPTS, vocab, 16)).repeat(16, 1)[:, None]
    model = T.build(len(vocab), frames=4, latent_shape=(4, 8, 8), text_length=16, width=32, depth=1, heads=2, patch=2)
    ema, snapshot, history = train_denoiser(
        model, latents, tokens, steps=300, batch_size=16, lr=3e-3, snapshot_at=10, progress=False, log_every=50
    )
    losses = [h[2] for h in history]
    assert losses[-1] < 0.8 * losses[0]
    assert snapshot is not None and not torch.equal(snapshot.patch_out.weight, ema.patch_out.weight)
    # it learned to read: each caption brings back its own video
    pipe = ToyTextToVideoPipeline(ema, A.build(width=16), vocab, latent_scale=1.0, text_length=16, frames=4)
    _, z = pipe(PROMPTS, num_inference_steps=20, return_latents=True)
    assert z[0].mean() > 0.5 and z[1].mean() < -0.5


def test_autoencoder_training_lowers_the_loss():
    frames = torch.rand(64, 3, 32, 32)
    model = A.build(width=16)
    history = A.train(model, frames, torch.zeros(3, 32, 32), steps=200, batch_size=16, progress=False)
    assert history[-1] < 0.7 * history[0]
    assert model.encode(frames[:2]).shape == (2, 4, 8, 8)


def test_the_shipped_model_loads_verified_and_generates():
    import wmlib
    from wmlib.checkpoints import read_manifest
    from wmlib.registry import checkpoint_dir, get

    pipe = wmlib.load("toy-t2v")
    videos = pipe(PROMPTS, num_inference_steps=5)
    assert videos.shape == (2, 16, 32, 32, 3)
    folder = checkpoint_dir(get("toy-t2v"))
    manifest = read_manifest(folder)
    assert sum(m["bytes"] for m in manifest["files"].values()) <= 20 * 2**20
    assert {"model", "control"} <= set(manifest["scores"])
    control = ToyTextToVideoPipeline.from_pretrained(folder, weights="control.safetensors")
    assert control.vocabulary == pipe.vocabulary


def test_patches_round_trip_and_must_fit_the_width():
    model = T.build(10, frames=3, latent_shape=(4, 8, 8), text_length=4, width=64, depth=1, heads=2, patch=4)
    z = torch.randn(2, 3, 4, 8, 8)
    tokens = model.patchify(z)
    assert tokens.shape == (2, 3, 4, 64)
    assert torch.equal(tokens[0, 1, 3], z[0, 1, :, 4:, 4:].reshape(-1))  # the bottom-right square of frame 1
    assert torch.equal(model.unpatchify(tokens), z)
    assert model(z, torch.zeros(2, 4, dtype=torch.long), torch.tensor([5, 900])).shape == z.shape
    with pytest.raises(ValueError, match="more than the width"):
        T.build(10, latent_shape=(4, 8, 8), width=32, patch=4)
    with pytest.raises(ValueError, match="multiple of the patch"):
        T.build(10, latent_shape=(4, 8, 8), width=64, patch=3)
