"""The action-conditioned world model: what the next frame looks like if the agent does this.

Ha and Schmidhuber's *World Models* (2018) split the job in two, and so do we: a vision model that
compresses each frame (their VAE; here the frame autoencoder of notebook 04, 32x32x3 -> 8x8x4, coding
only what differs from the empty cave), and a memory model that predicts the next code from the
codes so far and the action (their MDN-RNN; here a small convolutional network). It sees the last two
codes, because one still frame cannot tell which way an object is moving, and it reads the action
(a horizontal and an upward push, m/s) both as two extra input planes and through a scale and shift
of every block (FiLM), so that the push reaches the whole object.

It predicts the *change* of the code, ``z_{t+1} = z_t + f(z_{t-1}, z_t, a_t)``: standing still is the
easiest thing to learn, and motion is what is left. ``imagine`` rolls it forward on its own
predictions, which is what an agent that plans with it does (and where errors compound).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from wmlib.video.autoencoder import FrameAutoencoder

HISTORY = 2  # codes the dynamics network sees
ACTION_DIM = 2  # (horizontal push, upward push) in m/s


class Block(nn.Module):
    """Two 3x3 convolutions with a residual connection, modulated by the action (FiLM)."""

    def __init__(self, width: int):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.film = nn.Linear(ACTION_DIM, 2 * width)
        nn.init.zeros_(self.film.weight), nn.init.zeros_(self.film.bias)

    def forward(self, h, action):
        scale, shift = self.film(action)[:, :, None, None].chunk(2, dim=1)
        y = self.conv1(nn.functional.silu(h)) * (1 + scale) + shift
        return h + self.conv2(nn.functional.silu(y))


class Dynamics(nn.Module):
    """(z_{t-1}, z_t, a_t) -> z_{t+1}; codes (B, C, 8, 8), actions (B, 2)."""

    def __init__(self, latent_channels: int = 4, width: int = 64, blocks: int = 3):
        super().__init__()
        self.width, self.blocks = width, blocks
        # two coordinate planes let it know where the walls and the ground are
        self.stem = nn.Conv2d(HISTORY * latent_channels + ACTION_DIM + 2, width, 3, padding=1)
        self.body = nn.ModuleList(Block(width) for _ in range(blocks))
        self.head = nn.Conv2d(width, latent_channels, 3, padding=1)
        nn.init.zeros_(self.head.weight), nn.init.zeros_(self.head.bias)  # starts by predicting "no change"

    def forward(self, z_prev, z, action):
        B, _, H, W = z.shape
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, H), torch.linspace(-1, 1, W), indexing="ij")
        planes = [
            z_prev,
            z,
            action[:, :, None, None].expand(B, ACTION_DIM, H, W),
            xs.expand(B, 1, H, W),
            ys.expand(B, 1, H, W),
        ]
        h = self.stem(torch.cat(planes, 1))
        for block in self.body:
            h = block(h, action)
        return z + self.head(nn.functional.silu(h))


class WorldModel(nn.Module):
    """A frame autoencoder and a latent dynamics network; frames are (B, H, W, 3) floats in [0, 1]."""

    def __init__(self, latent_channels: int = 4, ae_width: int = 64, width: int = 64, blocks: int = 3):
        super().__init__()
        self.config = {"latent_channels": latent_channels, "ae_width": ae_width, "width": width, "blocks": blocks}
        self.autoencoder = FrameAutoencoder(latent_channels, ae_width, plate=True)
        self.dynamics = Dynamics(latent_channels, width, blocks)

    @classmethod
    def from_pretrained(cls, folder):
        """The model saved in ``folder`` by ``save_pretrained`` (``config.json``, ``model.safetensors``)."""
        from wmlib.checkpoints import load_weights, read_config

        model = cls(**read_config(folder))
        model.load_state_dict(load_weights(folder))
        return model.eval()

    def save_pretrained(self, folder) -> None:
        from wmlib.checkpoints import save_weights

        save_weights(folder, self.state_dict(), config=self.config)

    def encode(self, frames):
        """(..., H, W, 3) frames -> (..., C, 8, 8) codes."""
        x = torch.as_tensor(np.asarray(frames, np.float32))
        lead = x.shape[:-3]
        z = self.autoencoder.encode(x.reshape(-1, *x.shape[-3:]).permute(0, 3, 1, 2))
        return z.reshape(*lead, *z.shape[1:])

    def decode(self, z):
        """(..., C, 8, 8) codes -> (..., H, W, 3) frames, clipped to [0, 1]."""
        lead = z.shape[:-3]
        x = self.autoencoder.decode(z.reshape(-1, *z.shape[-3:])).clamp(0, 1).permute(0, 2, 3, 1)
        return x.reshape(*lead, *x.shape[1:])

    def rollout_codes(self, z_prev, z, actions):
        """Codes (B, T, C, 8, 8) of the T frames after (z_prev, z) under actions (B, T, 2), each step
        fed the model's own previous predictions."""
        out = []
        for t in range(actions.shape[1]):
            z_prev, z = z, self.dynamics(z_prev, z, actions[:, t])
            out.append(z)
        return torch.stack(out, 1)

    @torch.no_grad()
    def imagine(self, context: np.ndarray, actions: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Dream: from ``context`` (B, 2, H, W, 3), the two frames seen last, and ``actions``
        (B, T, 2), the (B, T, H, W, 3) frames the model expects next."""
        context, actions = np.asarray(context, np.float32), np.asarray(actions, np.float32)
        check_inputs(context, actions)
        self.eval()
        out = []
        for i in range(0, len(context), batch_size):
            z = self.encode(context[i : i + batch_size])
            codes = self.rollout_codes(z[:, 0], z[:, 1], torch.as_tensor(actions[i : i + batch_size]))
            out.append(self.decode(codes).numpy())
        return np.concatenate(out)


def check_inputs(context: np.ndarray, actions: np.ndarray) -> None:
    """Clear errors for a context or actions of the wrong shape."""
    if context.ndim != 5 or context.shape[1] != HISTORY or context.shape[-1] != 3:
        raise ValueError(
            f"context must be (batch, {HISTORY}, H, W, 3): the last {HISTORY} frames seen; got {context.shape}"
        )
    if actions.ndim != 3 or actions.shape[-1] != ACTION_DIM or len(actions) != len(context):
        raise ValueError(
            f"actions must be (batch, steps, {ACTION_DIM}) (horizontal and upward push, m/s) with "
            f"the context's batch {len(context)}; got {actions.shape}"
        )
    if actions.shape[1] < 1:
        raise ValueError("need at least one action to imagine a frame")


def build(latent_channels: int = 4, ae_width: int = 64, width: int = 64, blocks: int = 3, seed: int = 0):
    """A fresh ``WorldModel`` with seeded weights."""
    torch.manual_seed(seed)
    return WorldModel(latent_channels, ae_width, width, blocks)
