"""The family's image encoders kept as weights: the untrained ones rebuilt, the trained ones read back, and a
read-back encoder reproduces the kernel of the features the family shipped for it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wmlib.prh import families, image_weights


def test_untrained_encoders_are_rebuilt_from_their_seed():
    a = image_weights.load_encoder("untrained", 8, 1)
    b = families.build_image_encoder("classifier", 8, 1)
    for x, y in zip(a.blocks.state_dict().values(), b.blocks.state_dict().values()):
        torch.testing.assert_close(x, y)


@pytest.mark.skipif(not image_weights.weights_path().exists(), reason="the encoder weights are not shipped here")
def test_a_shipped_encoder_reproduces_its_shipped_features():
    encoder = image_weights.load_encoder("classifier", 8, 0)
    untrained = image_weights.load_encoder("untrained", 8, 0)
    family = families.load_features()
    _, images, _ = families.eval_set()
    shipped = family.layers[families.model_name("image", "classifier", 8, 800, "cnn")][-1]
    ours = families._reduce(families.image_features(encoder, images)[-1], families.FEATURE_DIM)
    before = families._reduce(families.image_features(untrained, images)[-1], families.FEATURE_DIM)
    assert image_weights._kernel_gap(ours, shipped) < 0.01  # float16 weights: the same kernel, nearly exactly
    assert image_weights._kernel_gap(before, shipped) > 0.1  # while the network it started from differs


@pytest.mark.skipif(not image_weights.weights_path().exists(), reason="the encoder weights are not shipped here")
def test_a_missing_encoder_is_named():
    with pytest.raises(KeyError, match="classifier/w5/s0"):
        image_weights.load_encoder("classifier", 5, 0)


def test_keys_name_objective_width_and_seed():
    assert image_weights.key("contrastive", 32, 2) == "contrastive/w32/s2"
    assert np.isfinite(image_weights._kernel_gap(np.eye(3), np.ones((3, 3)) + np.eye(3)))
