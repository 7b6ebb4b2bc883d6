"""The toy CLIP: tokenizer, loss, training, and the shipped checkpoint's recorded scores."""

import numpy as np
import pytest

from wmlib import clip, registry
from wmlib.loading import verify_checkpoint


@pytest.fixture(scope="module")
def words():
    return clip.vocabulary()


def test_every_toy_world_word_is_one_token(words):
    tok = clip.tokenizer(words)
    assert len(words) > 80
    assert all(len(tok.tokenize(w)) == 1 for w in words)
    ids = tok("a small red ball rests on the ground.")["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id and len(ids) == 2 + 8 + 1  # 8 words and "."


def test_the_tokenizer_is_the_same_every_time(words):
    a, b = clip.tokenizer(words), clip.tokenizer(words)
    assert a.get_vocab() == b.get_vocab()
    text = "two objects: a large cyan tube hangs in mid-air behind a small pink box."
    assert a(text)["input_ids"] == b(text)["input_ids"]


def test_fast_pixels_equal_the_processor():
    from wmlib.world import camera_image, sample_scenes

    images = (camera_image(sample_scenes(4, seed=0)) * 255).round().astype(np.uint8)
    proc = clip.processor()
    slow = proc(images=list(images), return_tensors="pt")["pixel_values"]
    assert np.allclose(clip.pixel_values(images).numpy(), slow.numpy(), atol=1e-5)


def test_the_loss_by_hand_equals_transformers_clip_loss():
    import torch

    model, proc = clip.build(width=32, layers=1)
    from wmlib.world import camera_image, captions, sample_scenes

    scenes = sample_scenes(6, seed=1)
    tokens = proc.tokenizer(captions(scenes), padding=True, return_tensors="pt")
    pixels = clip.pixel_values(camera_image(scenes))
    with torch.no_grad():
        out = model(**tokens, pixel_values=pixels, return_loss=True)
        ours = clip.clip_loss(torch.nn.functional.normalize(out.image_embeds, dim=-1),
                              torch.nn.functional.normalize(out.text_embeds, dim=-1), model.logit_scale)
    assert abs(ours.item() - out.loss.item()) < 1e-5
    assert abs(model.logit_scale.exp().item() - 1 / 0.07) < 1e-3  # CLIP's initial temperature


def test_random_embeddings_cost_about_log_n():
    import torch

    torch.manual_seed(0)
    n = 256
    x = torch.nn.functional.normalize(torch.randn(n, 64), dim=-1)
    y = torch.nn.functional.normalize(torch.randn(n, 64), dim=-1)
    loss = clip.clip_loss(x, y, torch.tensor(0.0)).item()  # temperature 1
    assert abs(loss - np.log(n)) < 0.05


def test_a_short_training_run_lowers_the_loss():
    model, proc = clip.build(width=32, layers=1, seed=0)
    history = clip.train(model, proc, steps=40, batch_size=32, n_scenes=400, lr=3e-3, progress=False, log_every=10)
    assert history[-1]["loss"] < history[0]["loss"] - 0.3
    assert not model.training


def test_the_shipped_checkpoint_matches_its_manifest_and_its_scores():
    import wmlib

    folder = registry.checkpoint_dir(registry.get("toy-clip"))
    manifest = verify_checkpoint(folder)  # sha256 of every file
    assert manifest["command"].startswith("python -m wmlib.clip train")
    assert sum(f["bytes"] for f in manifest["files"].values()) < 5 * 1024**2
    model, proc = wmlib.load("toy-clip")
    scores = clip.evaluate(model, proc)
    assert scores == pytest.approx(manifest["scores"], abs=1e-3)  # what it scores is what it says
    assert scores["zero_shot_colour"] > 0.9 and scores["retrieval_top1_of_100"] > 0.5
