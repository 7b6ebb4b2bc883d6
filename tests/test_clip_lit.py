"""Locked-image tuning: two frozen encoders, two trained linear maps, and the shipped features."""

import numpy as np
import pytest

from wmlib.clip import lit


def paired(n=600, seed=0, noise=0.3):
    """Image and text features that share a hidden code through two different linear maps."""
    import torch

    g = torch.Generator().manual_seed(seed)
    code = torch.randn(n, 8, generator=g)
    image = code @ torch.randn(8, 40, generator=g) + noise * torch.randn(n, 40, generator=g)
    text = code @ torch.randn(8, 24, generator=g) + noise * torch.randn(n, 24, generator=g)
    return lit.Features(image, text)


def test_the_projections_learn_to_pair_what_belongs_together():
    import torch

    both = paired(800)
    features = lit.Features(both.image[:600], both.text[:600])
    heads, history = lit.train(features, dim=16, steps=300, batch_size=128, seed=0)
    assert history[-1]["loss"] < history[0]["loss"] - 1.0
    test = lit.Features(both.image[600:], both.text[600:])  # pairs it never saw
    with torch.no_grad():
        sim = heads.embed_images(test.image) @ heads.embed_texts(test.text).T
    assert (sim.argmax(1) == torch.arange(200)).float().mean() > 0.5  # chance: 1 in 200


def test_training_needs_two_pairs():
    with pytest.raises(ValueError, match="at least 2"):
        lit.train(lit.Features(*[np.zeros((1, 4), np.float32)] * 2))


@pytest.fixture(scope="module")
def shipped():
    return lit.load_features()


def test_the_shipped_features_match_their_manifest_and_splits(shipped):
    for split, (n, _, _) in lit.SPLITS.items():
        assert shipped[split].image.shape == (n, lit.PCA_DIM) and shipped[split].text.shape == (n, lit.PCA_DIM)
        assert np.isfinite(shipped[split].image.numpy()).all()


def test_the_shipped_features_are_what_the_encoders_give_today(shipped):
    """A change to the renderer, the captions or an encoder would make the shipped features stale."""
    from wmlib.encoders import image_encoder, text_encoder
    from wmlib.world import camera_image, captions, sample_scenes

    n, seed, n_objects = lit.SPLITS["train"]
    scenes = sample_scenes(n, seed=seed, n_objects=n_objects)[:4]
    encoder = image_encoder()
    image = lit.image_features(camera_image(scenes, size=lit.CAMERA_PX), encoder)
    assert encoder.image_size == 224  # the encoder is given back as it was
    text = lit.text_features(captions(scenes, seed=0), text_encoder())
    z = np.load(lit.features_path() / "features.npz")
    fresh_image = (image.numpy() - z["image_mean"]) @ z["image_axes"].T
    assert np.allclose(fresh_image, shipped["train"].image[:4].numpy(), atol=2e-3)
    assert np.allclose(shipped["reduce_text"](text).numpy(), shipped["train"].text[:4].numpy(), atol=2e-3)


def test_lit_on_the_toy_world_beats_chance(shipped):
    from wmlib.encoders import text_encoder
    from wmlib.world import sample_scenes

    heads, _ = lit.train(shipped["train"], steps=200, seed=0)
    n, seed, n_objects = lit.SPLITS["zero_shot"]
    minilm = text_encoder()
    scores = lit.zero_shot_accuracy(
        heads,
        shipped["zero_shot"].image,
        sample_scenes(n, seed=seed, n_objects=n_objects),
        lambda p: shipped["reduce_text"](lit.text_features(p, minilm)),
    )
    assert scores["colour"] > 0.125 + 0.25


def test_decay_spares_the_temperature():
    import torch

    heads, _ = lit.train(paired(64), dim=4, steps=1, batch_size=16, seed=0)
    assert abs(heads.logit_scale.item() - np.log(1 / 0.07)) < 0.01  # one step of lr 3e-3, no pull towards 0
    assert isinstance(heads.logit_scale, torch.nn.Parameter)
