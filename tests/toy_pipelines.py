"""Tiny, randomly initialised toy video pipelines for the tests (not a test module: pytest collects
``test_*.py`` only). One recipe for the text-to-video, continuing and image-to-video pipelines, which differ
only in their pipeline class and in the extra condition channels their transformer reads."""

from __future__ import annotations

import torch

from wmlib.video import autoencoder as A
from wmlib.video import transformer as T
from wmlib.video.clips import build_vocabulary


def tiny_video_pipeline(prompts, seed: int = 0, frames: int = 4, condition_channels: int = 0, cls=None, **kwargs):
    """A width-32, depth-1 pipeline of class ``cls`` (default: the text-to-video one) that knows every word of
    ``prompts``; ``kwargs`` go to the pipeline (e.g. ``first_frames``)."""
    from wmlib.video.pipeline import ToyTextToVideoPipeline

    vocab = build_vocabulary(prompts)  # a pipeline refuses words outside it: give it every prompt it will read
    tr = T.build(
        len(vocab),
        seed=seed,
        frames=frames,
        latent_shape=(4, 8, 8),
        text_length=16,
        width=32,
        depth=1,
        patch=2,
        heads=2,
        **({"condition_channels": condition_channels} if condition_channels else {}),
    )
    torch.manual_seed(seed)
    for p in tr.parameters():  # adaLN-Zero starts as the identity; give it something to compute
        p.data.normal_(0, 0.05)
    cls = cls or ToyTextToVideoPipeline
    return cls(tr, A.build(width=16, seed=seed), vocab, latent_scale=2.0, text_length=16, frames=frames, **kwargs)
