"""The denoiser: an expert transformer over text tokens and frame tokens, CogVideoX's design at toy size.

CogVideoX (Yang et al. 2025, section 2.2) concatenates the caption's tokens and the video's latent
patches into one sequence and runs full attention over all of them, so every frame can look at every
other frame and at every word. The diffusion timestep steers each block through adaptive LayerNorm,
with one set of modulation weights for the video tokens and another for the text tokens ("expert
adaptive LayerNorm"). This file is that, small:

- each latent frame is cut into patches, as in CogVideoX (2x2 there); here a frame's 8x8x4 latent is
  cut into four 4x4 patches of 64 numbers, so 16 frames make 64 video tokens, where CogVideoX-2b makes
  17,550. A patch must hold fewer numbers than the model is wide: at low noise the target is mostly the
  noise itself, all of it, and it has to pass through;
- word tokens come from an embedding table learned with the model (CogVideoX uses a frozen T5);
- learned position embeddings for frames and for words;
- the output is the v-prediction target for every video token (CogVideoX is also a v-prediction model).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim: int):
    """Sinusoidal features of the diffusion timestep ``t`` (B,), as in DDPM and DiT."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.cos(), angles.sin()], dim=1)


def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


class ExpertBlock(nn.Module):
    """Joint attention over [text; video] and an MLP, each wrapped in adaLN-Zero with one modulation
    per modality (the 'experts')."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(approximate="tanh"), nn.Linear(4 * width, width))
        # shift, scale, gate for attention and for the MLP: six vectors per expert
        self.video_ada = nn.Linear(width, 6 * width)
        self.text_ada = nn.Linear(width, 6 * width)
        for ada in (self.video_ada, self.text_ada):  # adaLN-Zero: every block starts as the identity
            nn.init.zeros_(ada.weight)
            nn.init.zeros_(ada.bias)

    def forward(self, text, video, c):
        L = text.shape[1]
        mt = self.text_ada(F.silu(c)).chunk(6, dim=1)
        mv = self.video_ada(F.silu(c)).chunk(6, dim=1)
        h = torch.cat([modulate(self.norm1(text), mt[0], mt[1]), modulate(self.norm1(video), mv[0], mv[1])], 1)
        B, N, W = h.shape
        q, k, v = self.qkv(h).view(B, N, 3, self.heads, W // self.heads).permute(2, 0, 3, 1, 4)
        a = self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, N, W))
        text = text + mt[2][:, None] * a[:, :L]
        video = video + mv[2][:, None] * a[:, L:]
        text = text + mt[5][:, None] * self.mlp(modulate(self.norm2(text), mt[3], mt[4]))
        video = video + mv[5][:, None] * self.mlp(modulate(self.norm2(video), mv[3], mv[4]))
        return text, video


class ToyVideoTransformer(nn.Module):
    """Predicts v for noisy frame latents (B, T, C, h, w), given token ids (B, L) and timesteps (B,).

    With ``condition_channels`` it also takes ``condition`` (B, T, condition_channels, h, w), joined to
    the latents channel-wise: for image-to-video, the start frame's latent (all zeros: no image)."""

    def __init__(
        self,
        vocab_size: int,
        frames: int = 16,
        latent_shape=(4, 8, 8),
        text_length: int = 32,
        width: int = 128,
        depth: int = 6,
        heads: int = 4,
        patch: int = 4,
        condition_channels: int = 0,
    ):
        super().__init__()
        self.config = dict(
            vocab_size=vocab_size,
            frames=frames,
            latent_shape=list(latent_shape),
            text_length=text_length,
            width=width,
            depth=depth,
            heads=heads,
            patch=patch,
        )
        if condition_channels:  # only written when used, so text-to-video configs stay as they were
            self.config["condition_channels"] = condition_channels
        self.condition_channels = condition_channels
        channels, h, w = latent_shape
        if h % patch or w % patch:
            raise ValueError(f"the latent grid {h}x{w} must be a multiple of the patch size {patch}")
        self.latent_shape = tuple(latent_shape)
        self.patch = patch
        self.grid = (h // patch, w // patch)
        token = channels * patch * patch
        if token > width:
            # A token wider than the model cannot pass its noise through: at low noise levels the target
            # is mostly that noise, and a narrower stream can only return part of it.
            raise ValueError(f"a patch holds {token} numbers, more than the width {width}; use smaller patches")
        self.patch_in = nn.Linear((channels + condition_channels) * patch * patch, width)
        self.frame_pos = nn.Parameter(torch.zeros(1, frames, 1, width))
        self.patch_pos = nn.Parameter(torch.zeros(1, 1, self.grid[0] * self.grid[1], width))
        self.word = nn.Embedding(vocab_size, width)
        self.word_pos = nn.Parameter(torch.zeros(1, text_length, width))
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList([ExpertBlock(width, heads) for _ in range(depth)])
        self.norm_out = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.ada_out = nn.Linear(width, 2 * width)
        self.patch_out = nn.Linear(width, token)
        for pos in (self.frame_pos, self.patch_pos, self.word_pos):
            nn.init.normal_(pos, std=0.02)
        for layer in (self.ada_out, self.patch_out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def patchify(self, latents):
        """(B, T, C, h, w) -> (B, T, patches, C*p*p): each frame cut into p x p squares of the latent grid."""
        B, T, C, h, w = latents.shape
        p, (gh, gw) = self.patch, self.grid
        x = latents.reshape(B, T, C, gh, p, gw, p).permute(0, 1, 3, 5, 2, 4, 6)
        return x.reshape(B, T, gh * gw, C * p * p)

    def unpatchify(self, tokens):
        B, T = tokens.shape[:2]
        (C, h, w), p, (gh, gw) = self.latent_shape, self.patch, self.grid
        x = tokens.reshape(B, T, gh, gw, C, p, p).permute(0, 1, 4, 2, 5, 3, 6)
        return x.reshape(B, T, C, h, w)

    def forward(self, latents, tokens, t, condition=None):
        B, T = latents.shape[:2]
        if self.condition_channels:
            # image-to-video, as CogVideoX-I2V: the conditioning latents join the noisy ones channel-wise
            if condition is None:  # nothing given: zeros, as in training when nothing is shown
                condition = latents.new_zeros(B, T, self.condition_channels, *latents.shape[3:])
            latents = torch.cat([latents, condition], dim=2)
        elif condition is not None:
            raise ValueError("this transformer was built without condition_channels; it takes no condition")
        video = self.patch_in(self.patchify(latents)) + self.frame_pos[:, :T] + self.patch_pos
        video = video.flatten(1, 2)  # one sequence: frame after frame, patch after patch
        text = self.word(tokens) + self.word_pos[:, : tokens.shape[1]]
        c = self.time(timestep_embedding(t, video.shape[-1]))
        for block in self.blocks:
            text, video = block(text, video, c)
        shift, scale = self.ada_out(F.silu(c)).chunk(2, dim=1)
        out = self.patch_out(modulate(self.norm_out(video), shift, scale))
        return self.unpatchify(out.view(B, T, self.grid[0] * self.grid[1], -1))


def build(vocab_size: int, seed: int = 0, **config):
    """A fresh ``ToyVideoTransformer`` with seeded weights (``config``: frames, latent_shape, text_length,
    width, depth, heads, patch, condition_channels)."""
    torch.manual_seed(seed)
    return ToyVideoTransformer(vocab_size, **config)
