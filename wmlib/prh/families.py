"""The Platonic Representation Hypothesis, tested in a world whose reality Z we know.

Huh et al. (2024, "The Platonic Representation Hypothesis") conjecture that as models become more
capable, their representations converge, across objectives and across modalities, toward one
representation of the reality Z that images (X) and text (Y) are projections of. With real data nobody
knows Z, so the second half of the claim cannot be checked. In the toy world it can: ``z_features``
writes down the true state of each scene, and its kernel is "the kernel of Z".

The family of models trained here, all from scratch on a CPU, each at three widths and saved at several
points of its training (step 0, untrained, included):

- image encoders on 32-pixel camera images: an ``autoencoder`` (reconstruct the pixels), a factor
  ``classifier`` (predict Z's factors) and a ``contrastive`` encoder (InfoNCE between two renders of the
  same objects lit by two different fires: two views of one Z, as in the paper's section 4);
- text encoders on the captions: a ``next-token`` language model (GPT-2), a ``masked`` language model
  (BERT) and a ``contrastive`` encoder (InfoNCE between two captions of the same scene, SimCSE-style, the
  language model of the paper's Fig. 8c).

No model ever sees the other modality: whatever alignment between images and captions appears, nobody
trained for it.

Features follow the paper (App. C.2): every block (images) or hidden state (text: the token embeddings
and every layer) pooled, and the alignment of two models is the best mutual k-NN over all their layer
pairs (``wmlib.prh.alignment.best_layer_pair``). Capability is one number per model, higher is better: the
held-out score of a linear probe of Z's factors from the model's features (the paper's VTAB linear
probes of Fig. 2 with one task, the same for both modalities and every objective). Language models also
get ``lm_score`` = 1 - bits per byte on held-out captions (the paper's Fig. 3 uses OpenWebText): true
bpb for next-token models, pseudo-likelihood bpb for masked ones, two scales never pooled.

``convergence`` and ``plot_convergence`` read the shipped family naively, every snapshot a point. The
controls are in ``load_replicas`` (independent models only: each run's final checkpoint and the
untrained networks, for several training seeds), ``replica_measures`` (capability on the very features
alignment compares, ``same_features_capability``; each model's competence at its own objective; the
kernel of Z under other weightings, ``weighted_z``), ``rho_table`` (rank correlations with a bootstrap
interval over models) and ``training_gain`` (what training adds over the untrained network of the same
width and seed). Notebook 03 prints what they find.

Training the whole family takes about 11 minutes on one thread, so its features are shipped in
``data/features/prh-toy``, and the final checkpoints of other training seeds in ``prh-toy-seed<s>``;
rebuild them with::

    python -m wmlib.prh.families features --out data/features/prh-toy
    python -m wmlib.prh.families features --out data/features/prh-toy-seed1 --seed 1 --steps 0 800

``train_image_encoder`` and ``train_text_model`` train one model in seconds, for a notebook to watch.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from wmlib.world.scene import COLOUR_NAMES, MAX_OBJECTS, SHAPES, SIZES

if TYPE_CHECKING:
    from wmlib.world.scene import Scene

IMAGE_OBJECTIVES = ("autoencoder", "classifier", "contrastive")
TEXT_OBJECTIVES = ("next-token", "masked", "contrastive")
IMAGE_PX = 32  # what the encoders see: 64-pixel renders averaged 2 x 2 (smooth edges), cheap to train on
RENDER_PX = 64
IMAGE_WIDTHS = (8, 16, 32)  # channels of the first block; the next two have 2x and 4x as many
TEXT_WIDTHS = (16, 32, 64)  # hidden size of the transformer
TEXT_LAYERS = 3
IMAGE_STEPS = (0, 50, 200, 800)  # snapshots along each training run (step 0: untrained)
TEXT_STEPS = (0, 50, 200, 800)
SPLITS = {  # scenes: how many, seed, objects per scene; every split has its own seed
    "image_train": (8000, 1, (1, 3)),
    "probe": (2000, 2, (1, 3)),  # linear probes of Z: fitted on the first PROBE_FIT, scored on the rest
    "eval": (1000, 3, (1, 3)),  # the N = 1000 paired scenes every alignment is measured on
    "text_train": (12000, 4, (1, 3)),  # captions (two paraphrases each) to train the text encoders
    "held_out": (200, 5, (1, 3)),  # each objective's held-out loss (bits per byte for language models)
}
PROBE_FIT = 1500
K = 10  # neighbours in mutual k-NN, as the paper
CONTRASTIVE_TEMPERATURE = 0.1
FEATURE_DIM = 24  # stored dimensions per layer (``_reduce``) when a layer has more

# Z's positions are standardised with the mean and standard deviation of the world's prior over
# present objects (measured on 20,000 scenes of ``sample_scenes``): x and z are uniform, y mixes
# objects resting on the ground with objects in the air.
POSITION_MEAN = np.array([0.0, 0.70, 1.60], np.float32)
POSITION_STD = np.array([0.70, 0.51, 0.58], np.float32)


# --- Z itself ----------------------------------------------------------------------------------------


def slot_targets(scenes: "Scene") -> dict[str, np.ndarray]:
    """Z's factors in the canonical layout: the objects of each scene sorted left to right (by x) into
    ``MAX_OBJECTS`` slots, empty slots last. Returns (N, slots) arrays ``present``, ``shape`` (-1 when
    empty), ``colour``, ``size`` and (N, slots, 3) ``position``, standardised (0 when empty)."""
    present = scenes.present
    order = np.argsort(np.where(present, scenes.position[..., 0], np.inf), axis=1, kind="stable")
    rows = np.arange(len(scenes))[:, None]
    present = present[rows, order]
    position = (scenes.position[rows, order] - POSITION_MEAN) / POSITION_STD
    return {
        "present": present,
        "shape": np.where(present, scenes.shape[rows, order], -1).astype(np.int64),
        "colour": np.where(present, scenes.colour[rows, order], 0).astype(np.int64),
        "size": np.where(present, scenes.size[rows, order], 0).astype(np.int64),
        "position": np.where(present[..., None], position, 0).astype(np.float32),
    }


def z_features(scenes: "Scene") -> np.ndarray:
    """The true state Z of each scene as a vector, (N, MAX_OBJECTS * 16) float32; its kernel (the dot
    products of these rows) is what this module calls "the kernel of Z".

    One slot of 16 numbers per object: one-hot shape (3), one-hot colour (8), one-hot size (2) and the
    standardised position x, y, z (3). A scene is a *set* of objects, but a vector has an order, so the
    objects are sorted left to right into the slots and empty slots are all zeros: the same scene gives
    the same vector whichever order its objects were listed in. Left to right because that is how the
    image lays them out and how the captions often list them; two objects within a hair of the same x
    can swap slots, a rare discontinuity. Each present object weighs about the same in its three
    categorical factors (three ones) as in its position (three unit-variance numbers). The fire, the
    velocities and the world's constants are left out: the kernel is about the objects, as the captions
    and ``wmlib.world.z_kernel`` are.
    """
    from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZES

    t = slot_targets(scenes)
    present = t["present"][..., None]
    one_hot = lambda index, n: (index[..., None] == np.arange(n)) & present  # noqa: E731
    slots = np.concatenate(
        [
            one_hot(t["shape"], len(SHAPES)),
            one_hot(t["colour"], len(COLOUR_NAMES)),
            one_hot(t["size"], len(SIZES)),
            t["position"],
        ],
        axis=-1,
    )
    return slots.reshape(len(scenes), -1).astype(np.float32)


# --- images --------------------------------------------------------------------------------------------


def relit(scenes: "Scene", seed: int) -> "Scene":
    """The same objects lit by a fire at a new random place: the second view of the contrastive image
    encoder. The light and the shadows change, the objects do not, so the pair shares all of Z that
    ``z_features`` holds and differs only in a nuisance. (A depth map or the shadow on the wall would be
    other projections of the same Z, but neither shows colour: InfoNCE against them would teach the
    camera encoder to drop colour, and a second render under new light keeps the cost at one renderer.)"""
    from wmlib.world.scene import LIGHT_RANGE

    rng = np.random.default_rng([seed, 7])
    light = np.stack([rng.uniform(*LIGHT_RANGE[a], len(scenes)) for a in "xyz"], axis=1).astype(np.float32)
    return scenes.with_(light=light)


def images(scenes: "Scene", chunk: int = 1000) -> np.ndarray:
    """Camera images (N, 3, IMAGE_PX, IMAGE_PX) float32 in [0, 1]: rendered at ``RENDER_PX`` and averaged
    over 2 x 2 pixels, which smooths the edges that a 32-pixel ray cast would leave jagged."""
    from wmlib.world import camera_image

    f = RENDER_PX // IMAGE_PX
    out = []
    for i in range(0, len(scenes), chunk):
        x = camera_image(scenes[i : i + chunk], size=RENDER_PX)
        out.append(x.reshape(len(x), IMAGE_PX, f, IMAGE_PX, f, 3).mean(axis=(2, 4)).transpose(0, 3, 1, 2))
    return np.concatenate(out).astype(np.float32)


@dataclass
class ImageData:
    """Everything an image encoder trains on: ``images`` (N, 3, H, W), ``relit`` (the same scenes under
    another fire, for the contrastive objective; None when not rendered) and ``scenes`` (Z)."""

    images: np.ndarray
    relit: np.ndarray | None
    scenes: "Scene"

    def __len__(self) -> int:
        return len(self.images)


def image_data(n: int, seed: int, n_objects=(1, 3), relit_too: bool = True, progress: bool = False) -> ImageData:
    """``n`` random scenes (``sample_scenes(n, seed)``) rendered, and with ``relit_too`` rendered again
    under another fire (``relit``), which only the contrastive objective needs."""
    from wmlib.world import sample_scenes

    scenes = sample_scenes(n, seed=seed, n_objects=n_objects)
    views = [scenes, relit(scenes, seed)] if relit_too else [scenes]
    if progress:
        from wmlib.progress import progress as bar

        views = bar(views, desc=f"rendering {n} scenes" + (" under two fires" if relit_too else ""))
    rendered = [images(v) for v in views]
    return ImageData(rendered[0], rendered[1] if relit_too else None, scenes)


def _check_choice(value, allowed: Sequence, what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; allowed: {', '.join(map(str, allowed))}")


class ImageModel(nn.Module):
    """A small CNN of three blocks (each halves the image: 32 -> 16 -> 8 -> 4 pixels, with ``width``,
    2 ``width`` and 4 ``width`` channels) and the head its objective trains it through."""

    def __init__(self, objective: str, width: int, seed: int = 0):
        super().__init__()
        self.objective, self.width = objective, width
        torch.manual_seed(seed)
        blocks, c_in = [], 3
        for c in (width, 2 * width, 4 * width):
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(c_in, c, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU()
                )
            )
            c_in = c
        self.blocks = nn.ModuleList(blocks)
        # The heads are drawn from their own seed, so that at step 0 the encoders of every objective
        # are the same network: training alone makes them differ.
        torch.manual_seed(seed + 1)
        flat = c_in * (IMAGE_PX // 8) ** 2
        self.slots, self.classes = MAX_OBJECTS, (len(SHAPES) + 1, len(COLOUR_NAMES), len(SIZES))  # +1: empty
        if objective == "autoencoder":
            self.head = nn.Sequential(
                nn.ConvTranspose2d(c_in, 2 * width, 4, 2, 1),
                nn.ReLU(),
                nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
                nn.ReLU(),
                nn.ConvTranspose2d(width, 3, 4, 2, 1),
            )
        elif objective == "classifier":
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, self.slots * (sum(self.classes) + 3)))
        else:
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, 128), nn.ReLU(), nn.Linear(128, 32))

    def maps(self, x: "torch.Tensor") -> list["torch.Tensor"]:
        """The output of every block for images ``x`` in [0, 1]."""
        x = (x - 0.5) / 0.25
        out = []
        for block in self.blocks:
            x = block(x)
            out.append(x)
        return out

    def features(self, x: "torch.Tensor") -> list["torch.Tensor"]:
        """Every block's output pooled to a 2 x 2 grid and flattened (4 x its channels): a grid
        rather than one global average, because where things are (left, right, up, down) is part
        of Z and of what the captions say."""
        return [F.adaptive_avg_pool2d(m, 2).flatten(1) for m in self.maps(x)]

    def loss(self, x: "torch.Tensor", other: "torch.Tensor", z: dict[str, "torch.Tensor"]) -> "torch.Tensor":
        """The objective's loss on a batch: images ``x``, the same scenes under another fire ``other``
        and their slot targets ``z`` (``slot_targets`` as tensors)."""
        if self.objective == "autoencoder":
            return F.mse_loss(torch.sigmoid(self.head(self.maps(x)[-1])), x)
        if self.objective == "contrastive":
            from wmlib.clip.contrastive import clip_loss

            a = F.normalize(self.head(self.maps(x)[-1]), dim=-1)
            b = F.normalize(self.head(self.maps(other)[-1]), dim=-1)
            return clip_loss(a, b, torch.tensor(math.log(1 / CONTRASTIVE_TEMPERATURE)))
        out = self.head(self.maps(x)[-1]).view(len(x), self.slots, -1)
        n_shape, n_colour, n_size = self.classes
        shape, colour, size, position = out.split([n_shape, n_colour, n_size, 3], dim=-1)
        present = z["present"]
        empty = torch.full_like(z["shape"], n_shape - 1)  # the last shape class means "no object here"
        loss = F.cross_entropy(shape.flatten(0, 1), torch.where(present, z["shape"], empty).flatten())
        loss = loss + F.cross_entropy(colour[present], z["colour"][present])
        loss = loss + F.cross_entropy(size[present], z["size"][present])
        return loss + F.mse_loss(position[present], z["position"][present])


def build_image_encoder(objective: str, width: int, seed: int = 0):
    """An untrained ``ImageModel`` for ``objective`` (one of ``IMAGE_OBJECTIVES``) with ``width`` channels
    in its first block. The same ``width`` and ``seed`` give the same encoder for every objective."""
    _check_choice(objective, IMAGE_OBJECTIVES, "image objective")
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive number of channels, got {width!r}")
    return ImageModel(objective, width, seed)


def _check_steps(steps: int, snapshots: Sequence[int]) -> None:
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    if any(not 0 <= s <= steps for s in snapshots):
        raise ValueError(f"snapshots must be step counts between 0 and steps={steps}, got {list(snapshots)}")


def _as_tensors(targets: dict[str, np.ndarray]) -> dict[str, "torch.Tensor"]:
    return {k: torch.as_tensor(v) for k, v in targets.items()}


def _fit(
    model,
    n: int,
    batch_loss,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    snapshots: Sequence[int],
    desc: str,
    progress: bool,
) -> tuple[list[dict], dict[int, dict]]:
    """The training loop both modalities share: ``steps`` steps of Adam at a constant learning rate on
    batches of ``batch_size`` of the ``n`` examples, drawn without replacement and reshuffled when used
    up, ``batch_loss(rows, generator)`` giving each batch's loss. Returns the loss history (every 20
    updates and at each snapshot: updates done, the last batch's loss, seconds since the start) and a
    copy of the weights after each step count in ``snapshots`` (0 = before any update)."""
    import copy

    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    order = torch.empty(0, dtype=torch.long)
    history, saved, start = [], {}, time.perf_counter()
    steps_iter = range(steps + 1)
    if progress:
        from wmlib.progress import progress as bar

        steps_iter = bar(steps_iter, desc=desc, leave=False)
    model.train()
    for step in steps_iter:
        if step in snapshots:
            saved[step] = copy.deepcopy(model.state_dict())
        if step == steps:
            break
        if len(order) < batch_size:
            order = torch.randperm(n, generator=generator)
        rows, order = order[:batch_size], order[batch_size:]
        loss = batch_loss(rows, generator)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        done = step + 1
        if done % 20 == 0 or done == steps or done in snapshots:
            history.append(
                {"step": done, "loss": round(loss.item(), 4), "seconds": round(time.perf_counter() - start, 2)}
            )
    model.eval()
    return history, saved


def train_image_encoder(
    objective: str,
    width: int,
    steps: int,
    data: ImageData | None = None,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 2e-3,
    snapshots: Sequence[int] = (),
    progress: bool = False,
) -> tuple[object, list[dict], dict[int, dict]]:
    """Train an image encoder for ``steps`` steps of Adam at a constant learning rate (so that a snapshot
    after s steps is the same model as a run of s steps). ``data`` defaults to 2000 scenes of the
    training seed (about 3 s to render; 6 s with the second fire the contrastive objective needs).

    Returns the model, the loss history (every 20 steps and at each snapshot: the number of updates
    done, the loss of the last batch, seconds since the start) and a copy of the weights after each
    step count in ``snapshots`` (0 = before any update).
    """
    model = build_image_encoder(objective, width, seed)
    _check_steps(steps, snapshots)
    if data is None:
        data = image_data(2000, seed=SPLITS["image_train"][1], relit_too=objective == "contrastive")
    if objective == "contrastive" and data.relit is None:
        raise ValueError(
            "the contrastive objective needs the scenes rendered under a second fire: image_data(..., relit_too=True)"
        )
    x = torch.as_tensor(data.images)
    other = torch.as_tensor(data.relit) if data.relit is not None else x
    z = _as_tensors(slot_targets(data.scenes))

    def batch_loss(rows, generator):
        return model.loss(x[rows], other[rows], {k: v[rows] for k, v in z.items()})

    history, saved = _fit(
        model, len(x), batch_loss, steps, batch_size, lr, seed, snapshots, f"{objective} w{width}", progress
    )
    return model, history, saved


def image_features(model, x: np.ndarray, batch_size: int = 500) -> list[np.ndarray]:
    """Every block's pooled features (``ImageModel.features``) of images ``x``: a list of (N, D) arrays."""
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            out.append([f.numpy() for f in model.features(torch.as_tensor(x[i : i + batch_size]))])
    return [np.concatenate(layer) for layer in zip(*out)]


def image_loss(model, data: ImageData, batch_size: int = 500) -> float:
    """The objective's mean loss on ``data`` (for the contrastive loss: within batches of ``batch_size``)."""
    z = _as_tensors(slot_targets(data.scenes))
    losses = []
    with torch.no_grad():
        for i in range(0, len(data), batch_size):
            rows = slice(i, i + batch_size)
            x = torch.as_tensor(data.images[rows])
            other = torch.as_tensor(data.relit[rows]) if data.relit is not None else x
            losses.append(model.loss(x, other, {k: v[rows] for k, v in z.items()}).item())
    return float(np.mean(losses))


# --- linear probes of Z --------------------------------------------------------------------------------


def probe_score(
    train: np.ndarray, train_scenes: "Scene", test: np.ndarray, test_scenes: "Scene", ridge: float = 1.0
) -> float:
    """How much of Z a linear map reads from features: a ridge regression from ``train`` features
    (standardised) to ``z_features`` of ``train_scenes``, scored on ``test``. One number in [0, 1]: the
    mean of four held-out scores over the objects' slots, the accuracy of shape (with "empty" as a 4th
    class, so the number of objects counts), of colour and of size (present objects), and the R^2 of
    the positions (clipped at 0)."""
    from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZES

    mean, std = train.mean(0), train.std(0) + 1e-6
    a = np.hstack([(train - mean) / std, np.ones((len(train), 1))]).astype(np.float64)
    b = np.hstack([(test - mean) / std, np.ones((len(test), 1))]).astype(np.float64)
    target = z_features(train_scenes).astype(np.float64)
    # Ridge in its dual or primal form, whichever is the smaller system.
    if a.shape[1] <= a.shape[0]:
        weights = np.linalg.solve(a.T @ a + ridge * np.eye(a.shape[1]), a.T @ target)
    else:
        weights = a.T @ np.linalg.solve(a @ a.T + ridge * np.eye(len(a)), target)
    guess = (b @ weights).reshape(len(test), -1, 16)
    truth = slot_targets(test_scenes)
    present = truth["present"]
    n_shape, n_colour = len(SHAPES), len(COLOUR_NAMES)
    groups = {
        "colour": slice(n_shape, n_shape + n_colour),
        "size": slice(n_shape + n_colour, n_shape + n_colour + len(SIZES)),
    }
    # Shape with an "empty" class: an empty slot predicts all-zero one-hots, so "empty" wins when every
    # shape score is below one half.
    shape_scores = np.concatenate([guess[..., :n_shape], np.full(present.shape + (1,), 0.5)], axis=-1)
    shape_truth = np.where(present, truth["shape"], n_shape)
    scores = [float((shape_scores.argmax(-1) == shape_truth).mean())]
    for name, cols in groups.items():
        scores.append(float((guess[..., cols].argmax(-1)[present] == truth[name][present]).mean()))
    position, real = guess[..., -3:][present], truth["position"][present]
    r2 = 1 - ((position - real) ** 2).sum(0) / ((real - real.mean(0)) ** 2).sum(0)
    scores.append(float(np.clip(r2, 0, 1).mean()))
    return float(np.mean(scores))


def best_probe(
    train_layers: list[np.ndarray], train_scenes: "Scene", test_layers: list[np.ndarray], test_scenes: "Scene"
) -> float:
    """``probe_score`` of the best layer (as alignment takes the best layer pair)."""
    return max(probe_score(a, train_scenes, b, test_scenes) for a, b in zip(train_layers, test_layers))


# --- text ----------------------------------------------------------------------------------------------

SPECIAL_TOKENS = ("[PAD]", "[BOS]", "[EOS]", "[MASK]", "[UNK]")
PAD, BOS, EOS, MASK, UNK = range(len(SPECIAL_TOKENS))
MAX_TOKENS = 80  # the longest captions have 73 words and marks, plus [BOS] and [EOS]
_TOKEN = re.compile(r"[a-z]+|[^\sa-z]")
ARCHITECTURES = {"next-token": "gpt2", "masked": "bert", "contrastive": "bert"}


@functools.cache
def text_vocabulary() -> tuple[str, ...]:
    """The special tokens, the punctuation marks and every word of the toy world's captions, sorted (one
    token per word: the captions use few words, so a learned sub-word tokenizer would add nothing).
    The words are collected from three paraphrases of 3000 scenes; a word never seen there is [UNK]."""
    from wmlib.world.captions import caption_vocabulary

    return (*SPECIAL_TOKENS, ".", ",", ":", ";", "-", *caption_vocabulary())


def encode(texts: Sequence[str], vocabulary: Sequence[str] | None = None) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Token ids (B, T) as ``[BOS] words and marks [EOS]``, padded on the right with ``[PAD]``, and the
    attention mask (1 for real tokens)."""
    index = {w: i for i, w in enumerate(vocabulary or text_vocabulary())}
    rows = [[BOS, *(index.get(w, UNK) for w in _TOKEN.findall(t.lower())), EOS][:MAX_TOKENS] for t in texts]
    ids = torch.full((len(rows), max(map(len, rows))), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return ids, (ids != PAD).long()


class ContrastiveTextModel(nn.Module):
    """A BERT encoder and a linear head on its last layer averaged over the caption, trained so that
    two captions of the same scene land together (``contrastive_text_loss``)."""

    def __init__(self, bert, head):
        super().__init__()
        self.bert, self.head = bert, head
        self.config = bert.config

    @property
    def base_model(self):
        return self.bert

    def embed(self, ids, mask):
        last = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask[..., None].float()
        return self.head((last * m).sum(1) / m.sum(1))


def build_text_model(objective: str, width: int, seed: int = 0, layers: int = TEXT_LAYERS):
    """An untrained text encoder from a tiny config, ``width`` hidden units, heads of 16 dimensions, no
    dropout: ``GPT2LMHeadModel`` (causal) for ``next-token``, ``BertForMaskedLM`` for ``masked``, and
    for ``contrastive`` the same BERT encoder (identical at step 0 to the masked model's, for the same
    seed) with a linear head."""
    from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

    _check_choice(objective, TEXT_OBJECTIVES, "text objective")
    if not isinstance(width, int) or width < 16 or width % 16:
        raise ValueError(f"width must be a multiple of 16 (heads of 16 dimensions), got {width!r}")
    vocab, heads = len(text_vocabulary()), width // 16
    torch.manual_seed(seed)
    if objective == "next-token":
        config = GPT2Config(
            vocab_size=vocab,
            n_positions=MAX_TOKENS,
            n_embd=width,
            n_layer=layers,
            n_head=heads,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
            bos_token_id=BOS,
            eos_token_id=EOS,
            pad_token_id=PAD,
        )
        model = GPT2LMHeadModel(config)
        model.loss_type = "ForCausalLM"  # what transformers falls back to anyway, minus a warning for GPT-2's name
        return model
    config = BertConfig(
        vocab_size=vocab,
        hidden_size=width,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * width,
        max_position_embeddings=MAX_TOKENS,
        type_vocab_size=1,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        pad_token_id=PAD,
    )
    model = BertForMaskedLM(config)
    if objective == "masked":
        return model
    torch.manual_seed(seed + 1)
    return ContrastiveTextModel(model.bert, torch.nn.Linear(width, 32))


def text_objective(model) -> str:
    """Which of ``TEXT_OBJECTIVES`` a model from ``build_text_model`` is trained for."""
    if hasattr(model, "embed"):
        return "contrastive"
    return "masked" if model.config.model_type == "bert" else "next-token"


def mask_tokens(
    ids: "torch.Tensor", generator: "torch.Generator", rate: float = 0.15
) -> tuple["torch.Tensor", "torch.Tensor"]:
    """BERT's masking: ``rate`` of the words and marks (never [BOS], [EOS], [PAD]) become targets; of
    those, 80% are replaced by [MASK], 10% by a random token and 10% stay, so that the model also
    learns to represent tokens it can see. Returns the input ids and the labels (-100: no target)."""
    real = ids > UNK
    target = real & (torch.rand(ids.shape, generator=generator) < rate)
    labels = torch.where(target, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    inputs = torch.where(target & (roll < 0.8), torch.full_like(ids, MASK), ids)
    random_ids = torch.randint(len(SPECIAL_TOKENS), len(text_vocabulary()), ids.shape, generator=generator)
    inputs = torch.where(target & (roll >= 0.8) & (roll < 0.9), random_ids, inputs)
    return inputs, labels


def _trim(ids: "torch.Tensor", mask: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
    """Drop the columns that are padding in every row."""
    length = int(mask.sum(1).max())
    return ids[:, :length], mask[:, :length]


def contrastive_text_loss(model, a: tuple, b: tuple) -> "torch.Tensor":
    """InfoNCE between two captions of the same scenes: ``a`` and ``b`` are (ids, mask) of B scenes each,
    row i of both describing scene i in different words (SimCSE with paraphrases as positives, the
    language model of the paper's Fig. 8c)."""
    import torch.nn.functional as F

    from wmlib.clip.contrastive import clip_loss

    za, zb = (F.normalize(model.embed(*_trim(*x)), dim=-1) for x in (a, b))
    return clip_loss(za, zb, torch.tensor(math.log(1 / CONTRASTIVE_TEMPERATURE)))


@dataclass
class TextData:
    """Captions of N scenes in several wordings: ``paraphrases[p][i]`` is paraphrase ``p`` of scene ``i``
    (``captions(scenes, seed=p)``). Language models read every caption; the contrastive model pairs two
    paraphrases of the same scene."""

    paraphrases: list[list[str]]

    def __len__(self) -> int:
        return len(self.paraphrases[0])


def text_data(n: int, seed: int, n_objects=(1, 3), paraphrases: int = 2) -> TextData:
    """``paraphrases`` captions (caption seeds 0, 1, ...) of each of ``n`` random scenes."""
    from wmlib.world import captions, sample_scenes

    if paraphrases < 2:
        raise ValueError(f"the contrastive objective needs at least 2 paraphrases per scene, got {paraphrases}")
    scenes = sample_scenes(n, seed=seed, n_objects=n_objects)
    return TextData([captions(scenes, seed=p) for p in range(paraphrases)])


def train_text_model(
    objective: str,
    width: int,
    steps: int,
    data: TextData | None = None,
    seed: int = 0,
    batch_size: int = 32,
    lr: float = 2e-3,
    snapshots: Sequence[int] = (),
    progress: bool = False,
) -> tuple[object, list[dict], dict[int, dict]]:
    """Train a text encoder with Adam at a constant learning rate (so a snapshot after s steps is the
    model a run of s steps would give): language models on ``batch_size`` captions a step, the
    contrastive model on ``batch_size`` pairs of paraphrases. ``data`` defaults to two paraphrases of
    2000 fresh scenes. Returns the model, the loss history (every 20 steps) and copies of the weights
    after each step count in ``snapshots`` (0 = untrained)."""
    model = build_text_model(objective, width, seed)
    _check_steps(steps, snapshots)
    if data is None:
        data = text_data(2000, seed=SPLITS["text_train"][1])
    ids, mask = (torch.stack(t) for t in zip(*_encode_paraphrases(data)))  # (paraphrases, scenes, tokens)
    # Language models draw captions from every paraphrase, the contrastive model draws scenes.
    n = ids.shape[0] * ids.shape[1] if objective != "contrastive" else ids.shape[1]

    def batch_loss(rows, generator):
        if objective == "contrastive":  # two different paraphrases of each scene
            p = len(ids)
            first = torch.randint(p, (len(rows),), generator=generator)
            second = (first + torch.randint(1, p, (len(rows),), generator=generator)) % p
            return contrastive_text_loss(
                model, (ids[first, rows], mask[first, rows]), (ids[second, rows], mask[second, rows])
            )
        return _lm_loss(model, *_trim(ids.flatten(0, 1)[rows], mask.flatten(0, 1)[rows]), generator)

    history, saved = _fit(
        model, n, batch_loss, steps, batch_size, lr, seed, snapshots, f"{objective} w{width}", progress
    )
    return model, history, saved


def _encode_paraphrases(data: TextData) -> list[tuple["torch.Tensor", "torch.Tensor"]]:
    """``encode`` of every paraphrase, all padded to the same length."""
    import torch.nn.functional as F

    encoded = [encode(p) for p in data.paraphrases]
    length = max(e[0].shape[1] for e in encoded)
    return [tuple(F.pad(t, (0, length - t.shape[1])) for t in e) for e in encoded]


def _lm_loss(model, ids, mask, generator) -> "torch.Tensor":
    if text_objective(model) == "next-token":
        return model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)).loss
    inputs, labels = mask_tokens(ids, generator)
    return model(input_ids=inputs, attention_mask=mask, labels=labels).loss


def text_features(model, texts: Sequence[str], batch_size: int = 250) -> list[np.ndarray]:
    """The token embeddings and every transformer layer's output, each averaged over the real tokens of
    each caption, as the paper pools language models (its L + 1 hidden states, like
    ``wmlib.prh.layers.language_layer_features``): a list of 1 + ``TEXT_LAYERS`` (N, width) arrays. The
    first, a mean of word vectors, is a bag of words."""
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            ids, mask = encode(texts[i : i + batch_size])
            hidden = model.base_model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
            m = mask[..., None].float()
            out.append([((h * m).sum(1) / m.sum(1)).numpy() for h in hidden])
    return [np.concatenate(layer) for layer in zip(*out)]


def bits_per_byte(model, texts: Sequence[str], batch_size: int = 100) -> float:
    """Bits a language model needs per UTF-8 byte of ``texts`` (the paper's bpb, independent of the
    tokenizer).

    Next-token models: the cross-entropy of every token after [BOS], [EOS] included. Masked models have
    no left-to-right likelihood; they get the pseudo-log-likelihood (Salazar et al. 2020): each word or
    mark masked in turn and predicted from all the others. It sees both sides, so it is lower than a
    next-token model's bpb would be for the same knowledge: compare the two objectives with care."""
    import torch.nn.functional as F

    objective = text_objective(model)
    if objective == "contrastive":
        raise ValueError(
            "bits per byte needs a language model (next-token or masked); a contrastive encoder "
            "gives no probability to text"
        )
    total_bits, total_bytes = 0.0, sum(len(t.encode("utf-8")) for t in texts)
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            ids, mask = encode(texts[i : i + batch_size])
            if objective == "next-token":
                logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
                nats = F.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")
                total_bits += float((nats * mask[:, 1:]).sum()) / math.log(2)
                continue
            rows, cols = torch.nonzero(ids > UNK, as_tuple=True)  # one masked copy per word or mark
            for j in range(0, len(rows), 2000):
                r, c = rows[j : j + 2000], cols[j : j + 2000]
                masked = ids[r].clone()
                masked[torch.arange(len(r)), c] = MASK
                logits = model(input_ids=masked, attention_mask=mask[r]).logits[torch.arange(len(r)), c]
                total_bits += float(F.cross_entropy(logits, ids[r, c], reduction="sum")) / math.log(2)
    return total_bits / total_bytes


def text_loss(model, data: TextData) -> float:
    """The objective's held-out loss: bits per byte for language models, InfoNCE between the first two
    paraphrases (all of ``data`` in one batch) for the contrastive model."""
    if text_objective(model) != "contrastive":
        return bits_per_byte(model, data.paraphrases[0])
    with torch.no_grad():
        return float(contrastive_text_loss(model, encode(data.paraphrases[0]), encode(data.paraphrases[1])))


# --- the family --------------------------------------------------------------------------------------


@dataclass
class Family:
    """The features of a family of models on the same N paired scenes: ``models`` (one dict of metadata
    per model: name, modality, objective, width, steps, parameters, capability, ...), ``layers``
    (name -> list of (N, D) float32 arrays, one per layer) and ``z`` (the scenes' ``z_features``)."""

    models: list[dict]
    layers: dict[str, list[np.ndarray]]
    z: np.ndarray

    def names(self, modality: str | None = None, objective: str | None = None) -> list[str]:
        """The models' names, in order, optionally only one ``modality`` ("image", "text") or objective."""
        return [
            m["name"] for m in self.models if modality in (None, m["modality"]) and objective in (None, m["objective"])
        ]

    def add(self, meta: dict, layers: list[np.ndarray]) -> None:
        """Add one more model (``measure`` gives both arguments); its name must be new."""
        if meta["name"] in self.layers:
            raise ValueError(f"the family already has a model named {meta['name']!r}")
        if any(len(x) != len(self.z) for x in layers):
            raise ValueError(f"features must describe the family's {len(self.z)} scenes, row for row")
        self.models.append(meta)
        self.layers[meta["name"]] = list(layers)

    def meta(self, name: str) -> dict:
        """The metadata of model ``name``."""
        for m in self.models:
            if m["name"] == name:
                return m
        raise ValueError(
            f"no model named {name!r}; the family has {len(self.models)} models, such as {', '.join(self.names()[:4])}"
        )


def model_name(modality: str, objective: str, width: int, steps: int, architecture: str = "") -> str:
    """``modality/objective/w<width>/<steps>``; untrained text models name their architecture, since
    GPT-2 and BERT start from different networks (``text/untrained-gpt2/w32/0``)."""
    if objective == "untrained" and modality == "text":
        objective = f"untrained-{architecture}"
    return f"{modality}/{objective}/w{width}/{steps}"


def _reduce(x: np.ndarray, dim: int) -> np.ndarray:
    """``x`` in the ``dim`` directions that best keep its kernel (the dot products of its rows: the
    top right singular vectors of uncentred ``x``), or ``x`` itself when it has no more dimensions. A
    rotation does not change the kernel at all; dropping the weakest directions barely moves it."""
    if x.shape[1] <= dim:
        return x
    _, _, vt = np.linalg.svd(x.astype(np.float64), full_matrices=False)
    return (x @ vt[:dim].T).astype(np.float32)


def eval_set() -> tuple["Scene", np.ndarray, list[str]]:
    """The N = 1000 paired scenes every alignment is measured on (split ``eval``): the scenes (Z), their
    camera images (N, 3, 32, 32) and one caption each (caption seed 0)."""
    from wmlib.world import captions, sample_scenes

    n, seed, n_objects = SPLITS["eval"]
    scenes = sample_scenes(n, seed=seed, n_objects=n_objects)
    return scenes, images(scenes), captions(scenes, seed=0)


def _probe(layers_of: Callable[..., list[np.ndarray]], model, probe_inputs, probe_scenes: "Scene") -> float:
    """``best_probe`` of a model's features of the probe scenes, fitted on the first ``PROBE_FIT``."""
    layers = layers_of(model, probe_inputs)
    return best_probe(
        [x[:PROBE_FIT] for x in layers],
        probe_scenes[:PROBE_FIT],
        [x[PROBE_FIT:] for x in layers],
        probe_scenes[PROBE_FIT:],
    )


@functools.cache
def _measuring_sets() -> dict:
    """What every model is measured on (rendered once): the evaluation scenes' images and captions,
    the probe scenes with theirs, and the held-out scenes for each objective's loss."""
    from wmlib.world import captions

    _, eval_images, eval_texts = eval_set()
    probe = image_data(*SPLITS["probe"][:2], n_objects=SPLITS["probe"][2], relit_too=False)
    n, seed, n_objects = SPLITS["held_out"]
    return {
        "eval_images": eval_images,
        "eval_texts": eval_texts,
        "probe": probe,
        "probe_texts": captions(probe.scenes, seed=0),
        "held_out_images": image_data(n, seed, n_objects),
        "held_out_texts": text_data(n, seed, n_objects),
    }


def _measure(model) -> tuple[dict, list[np.ndarray]]:
    """A model's metadata (modality, objective, architecture, width, parameters of the encoder,
    capability, lm_score, held-out loss) and its full-size features on the evaluation scenes."""
    sets = _measuring_sets()
    probe = sets["probe"]
    if hasattr(model, "blocks"):  # an ImageModel
        return (
            {
                "modality": "image",
                "objective": model.objective,
                "architecture": "cnn",
                "width": model.width,
                "parameters": sum(p.numel() for n, p in model.named_parameters() if n.startswith("blocks")),
                "capability": round(_probe(image_features, model, probe.images, probe.scenes), 4),
                "lm_score": None,
                "held_out_loss": round(image_loss(model, sets["held_out_images"]), 4),
            },
            image_features(model, sets["eval_images"]),
        )
    objective = text_objective(model)
    loss = text_loss(model, sets["held_out_texts"])  # bits per byte for language models
    return (
        {
            "modality": "text",
            "objective": objective,
            "architecture": ARCHITECTURES[objective],
            "width": model.config.hidden_size,
            "parameters": sum(p.numel() for p in model.base_model.parameters()),
            "capability": round(_probe(text_features, model, sets["probe_texts"], probe.scenes), 4),
            "lm_score": None if objective == "contrastive" else round(1 - loss, 4),
            "held_out_loss": round(loss, 4),
        },
        text_features(model, sets["eval_texts"]),
    )


def measure(model, name: str, steps: int = 0) -> tuple[dict, list[np.ndarray]]:
    """Measure one model of this module (e.g. one just trained live) as the shipped family was: its
    metadata (capability, 1 - bpb for a language model, held-out loss) and its features on the
    evaluation scenes, reduced as stored. ``family.add(*measure(model, "my model"))`` puts it among them."""
    meta, layers = _measure(model)
    meta.update(name=name, steps=steps)
    return meta, [_reduce(x, FEATURE_DIM) for x in layers]


def build_family(
    image_steps: Sequence[int] = IMAGE_STEPS,
    text_steps: Sequence[int] = TEXT_STEPS,
    image_widths: Sequence[int] = IMAGE_WIDTHS,
    text_widths: Sequence[int] = TEXT_WIDTHS,
    image_objectives: Sequence[str] = IMAGE_OBJECTIVES,
    text_objectives: Sequence[str] = TEXT_OBJECTIVES,
    seed: int = 0,
    progress: bool = True,
) -> tuple[Family, dict]:
    """Train every model of the family and measure each snapshot (``_measure``): features of every
    layer on the evaluation scenes, capability, 1 - bpb for language models, held-out loss, and the
    training seconds up to it. Returns the family (full-size features) and the seconds spent per
    modality (training and measuring), on data, and per objective (training only).

    An untrained network is kept once, though several objectives start from it; its held-out loss
    (and 1 - bpb) is that of the first objective's head: the autoencoder's for the CNN, the masked
    language model's for BERT, the next-token model's for GPT-2."""

    def bar(items, **kw):
        if not progress:
            return items
        from wmlib.progress import progress as tqdm

        return tqdm(items, **kw)

    seconds = {}
    start = time.perf_counter()
    scenes, _, _ = eval_set()
    family = Family([], {}, z_features(scenes))
    _measuring_sets()
    image_train = image_data(*SPLITS["image_train"][:2], n_objects=SPLITS["image_train"][2], progress=progress)
    text_train = text_data(*SPLITS["text_train"])
    seconds["data"] = time.perf_counter() - start

    runs = [("image", objective, width) for width in image_widths for objective in image_objectives]
    runs += [("text", objective, width) for width in text_widths for objective in text_objectives]
    for modality, objective, width in bar(runs, desc="training the family"):
        start = time.perf_counter()
        if modality == "image":
            model, history, saved = train_image_encoder(
                objective, width, max(image_steps), image_train, seed=seed, snapshots=image_steps, progress=progress
            )
            first = image_objectives[0]  # every objective starts from the same untrained encoder: keep it once
        else:
            model, history, saved = train_text_model(
                objective, width, max(text_steps), text_train, seed=seed, snapshots=text_steps, progress=progress
            )
            first = "masked" if objective == "contrastive" and "masked" in text_objectives else objective  # one BERT
        key = f"train {modality} {objective}"
        seconds[key] = seconds.get(key, 0) + history[-1]["seconds"]
        for steps, state in saved.items():
            if steps == 0 and objective != first:
                continue
            model.load_state_dict(state)
            meta, layers = _measure(model)
            meta.update(
                objective=objective if steps else "untrained", steps=steps, train_seconds=_seconds_at(history, steps)
            )
            meta["name"] = model_name(modality, meta["objective"], width, steps, meta["architecture"])
            family.add(meta, layers)
        seconds[modality] = seconds.get(modality, 0) + time.perf_counter() - start
    return family, {k: round(v, 1) for k, v in seconds.items()}


def _seconds_at(history: list[dict], steps: int) -> float:
    """Training seconds up to ``steps`` (0 for step 0), from a history logged every few steps."""
    logged = [h["seconds"] for h in history if h["step"] <= steps]
    return logged[-1] if logged else 0.0


def save_family(family: Family, out: Path, settings: dict, seconds: dict) -> dict:
    """Save the family in ``out``: ``features.npz`` holds every layer's features on the evaluation scenes
    (reduced to at most ``FEATURE_DIM`` dimensions by ``_reduce``, float16), ``z`` and the models'
    metadata; ``manifest.json`` holds the command, splits, ``settings``, ``seconds`` (wall-clock times),
    each model's training seconds and the sha256 of the features. Times live only in the manifest, so
    that the same command gives a byte-identical ``features.npz``. Returns the manifest."""
    import transformers

    from wmlib.checkpoints import sha256, write_manifest

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    metadata = [{k: v for k, v in m.items() if k != "train_seconds"} for m in family.models]
    arrays = {"z": family.z.astype(np.float32), "models": np.array(json.dumps(metadata))}
    for i, m in enumerate(family.models):
        for j, x in enumerate(family.layers[m["name"]]):
            arrays[f"m{i}_l{j}"] = _reduce(x, FEATURE_DIM).astype(np.float16)
    path = out / "features.npz"
    np.savez_compressed(path, **arrays)
    manifest = {
        "name": out.name,
        "description": "features of a family of image and text encoders trained from "
        "scratch on the toy world, on the same 1000 paired scenes, with each model's capability",
        "command": f"python -m wmlib.prh.families features --out {out}"
        + (f" --seed {settings['seed']}" if settings.get("seed") else "")
        + (
            " --steps " + " ".join(map(str, settings["image_steps"]))
            if settings.get("image_steps", list(IMAGE_STEPS)) != list(IMAGE_STEPS)
            else ""
        ),
        "seed": settings.get("seed", 0),
        "splits": {
            k: {"n": n, "seed": s, "n_objects": o if np.isscalar(o) else list(o)} for k, (n, s, o) in SPLITS.items()
        },
        "settings": settings,
        "models": len(family.models),
        "seconds": seconds,
        "train_seconds": {m["name"]: m.get("train_seconds") for m in family.models},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "files": {path.name: {"sha256": sha256(path), "bytes": path.stat().st_size}},
    }
    write_manifest(out, manifest)
    return manifest


def features_path() -> Path:
    """Where the shipped features live: ``data/features/prh-toy`` (``$WMLIB_DATA`` moves ``data/``)."""
    from wmlib.registry import data_dir

    return data_dir() / "features" / "prh-toy"


def load_features(folder: Path | str | None = None) -> Family:
    """The shipped family (``data/features/prh-toy``, or ``folder``), checked against the sha256 in its
    manifest first: a ``Family`` with each model's metadata (training seconds from the manifest), its
    stored features per layer (float32) and ``z``."""
    from wmlib.checkpoints import verify_checkpoint

    folder = Path(folder or features_path())
    manifest = verify_checkpoint(folder)
    with np.load(folder / "features.npz") as z:
        models = json.loads(str(z["models"]))
        for m in models:
            m["train_seconds"] = manifest.get("train_seconds", {}).get(m["name"])
        layers = {}
        for i, m in enumerate(models):
            count = sum(1 for key in z.files if key.startswith(f"m{i}_l"))
            layers[m["name"]] = [z[f"m{i}_l{j}"].astype(np.float32) for j in range(count)]
        return Family(models, layers, z["z"].astype(np.float32))


# --- alignment -----------------------------------------------------------------------------------------


def alignment_matrix(
    family: Family, rows: Sequence[str], cols: Sequence[str], k: int = K, progress: bool = False
) -> np.ndarray:
    """(len(rows), len(cols)) mutual k-NN alignment between models, each the best over all their
    layer pairs (the paper's protocol: ``wmlib.prh.alignment.best_layer_pair``). Each model's neighbours
    are found once, not once per pair, so a 30 x 33 matrix takes seconds, not minutes."""
    from wmlib.prh.alignment import layer_neighbours, neighbour_overlap

    found = {}
    for name in dict.fromkeys([*rows, *cols]):
        if name not in family.layers:
            raise ValueError(f"no model named {name!r} in the family")
        found[name] = layer_neighbours(family.layers[name], k)
    out = np.zeros((len(rows), len(cols)))
    items = range(len(rows))
    if progress:
        from wmlib.progress import progress as bar

        items = bar(items, desc="alignment")
    for i in items:
        for j, col in enumerate(cols):
            out[i, j] = max(neighbour_overlap(a, b) for a in found[rows[i]] for b in found[col])
    return out


def cross_modal_alignment(
    family: Family, k: int = K, progress: bool = False
) -> tuple[np.ndarray, list[str], list[str]]:
    """Every image model against every text model on the same scenes (image model on the images, text
    model on their captions): the (image models, text models) matrix and the two lists of names."""
    image, text = family.names("image"), family.names("text")
    return alignment_matrix(family, image, text, k, progress), image, text


def alignment_to_z(
    family: Family, names: Sequence[str] | None = None, k: int = K, z: np.ndarray | None = None
) -> np.ndarray:
    """Each model's mutual k-NN alignment with the kernel of Z (``family.z``, or another version of it
    such as ``weighted_z``), best over its layers. Z's rows are only scaled to unit length: clipping
    outliers is for the features of trained networks, and would squash Z's largest true positions."""
    from wmlib.prh.alignment import layer_neighbours, neighbour_overlap

    z = layer_neighbours([family.z if z is None else z], k, q=None)[0]
    names = list(names or family.names())
    return np.array([max(neighbour_overlap(a, z) for a in layer_neighbours(family.layers[n], k)) for n in names])


def _per_model(
    family: Family, matrix: np.ndarray | None, to_z: np.ndarray | None, k: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Each model's mean alignment with every model of the other modality, and its alignment with the
    kernel of Z, by name; ``matrix`` and ``to_z`` are computed when not given."""
    image, text = family.names("image"), family.names("text")
    if matrix is None:
        matrix = cross_modal_alignment(family, k)[0]
    z = dict(zip(family.names(), alignment_to_z(family, k=k) if to_z is None else to_z))
    return {**dict(zip(image, matrix.mean(1))), **dict(zip(text, matrix.mean(0)))}, z


def convergence(
    family: Family, matrix: np.ndarray | None = None, to_z: np.ndarray | None = None, k: int = K
) -> dict[str, dict[str, float]]:
    """The hypothesis as rank correlations: Spearman's rho between each model's capability and (a) its
    mean alignment with every model of the other modality (``cross-modal``), (b) its alignment with the
    kernel of Z (``kernel of Z``). Rows: image models, text models, all models (capability is the same
    probe for both modalities), and each kind of language model (with its untrained start) with its
    own 1 - bits per byte as capability instead: true bpb for next-token models, pseudo-likelihood bpb
    for masked ones, which do not share a scale (``bits_per_byte``), so they are never pooled.
    Every snapshot counts as a point here: the naive reading, which ``load_replicas`` and
    ``rho_table`` redo on independent models.
    ``matrix`` (from ``cross_modal_alignment``) and ``to_z`` (``alignment_to_z`` of all models, in
    ``family.names()`` order) are computed when not given."""
    from wmlib.prh.alignment import spearman

    image, text = family.names("image"), family.names("text")
    cross, z = _per_model(family, matrix, to_z, k)
    meta = {m["name"]: m for m in family.models}
    groups = {
        "image models": (image, "capability"),
        "text models": (text, "capability"),
        "all models": (image + text, "capability"),
    }
    for objective, architecture, label in (
        ("next-token", "gpt2", "next-token, 1 - bpb"),
        ("masked", "bert", "masked, 1 - pseudo-bpb"),
    ):
        names = [
            n
            for n in text
            if meta[n]["lm_score"] is not None
            and meta[n]["architecture"] == architecture
            and meta[n]["objective"] in (objective, "untrained")
        ]
        groups[label] = (names, "lm_score")
    return {
        label: {
            "cross-modal": spearman([meta[n][key] for n in names], [cross[n] for n in names]),
            "kernel of Z": spearman([meta[n][key] for n in names], [z[n] for n in names]),
        }
        for label, (names, key) in groups.items()
    }


def _runs(family: Family, modality: str) -> dict[tuple[str, int], list[str]]:
    """The snapshots of each training run, (objective, width) -> names by steps, each starting from
    the untrained model it was trained from."""
    meta = [m for m in family.models if m["modality"] == modality]
    untrained = {(m["architecture"], m["width"]): m["name"] for m in meta if m["objective"] == "untrained"}
    runs: dict[tuple[str, int], list[str]] = {}
    for m in sorted(meta, key=lambda m: m["steps"]):
        if m["objective"] == "untrained":
            continue
        key = (m["objective"], m["width"])
        start = untrained.get((m["architecture"], m["width"]))
        runs.setdefault(key, [start] if start else [])
        runs[key].append(m["name"])
    return runs


def plot_convergence(
    family: Family, matrix: np.ndarray | None = None, to_z: np.ndarray | None = None, x: str = "capability", k: int = K
):
    """The paper's Fig. 2-3 for the toy family: for image models (top) and text models (bottom), the
    alignment with the other modality (left) and with the kernel of Z (right) against capability
    (``x="capability"``, the linear probe; ``"lm_score"``: 1 - bpb, language models only). One line
    per training run, from the untrained model (grey) through its snapshots; bigger markers are wider
    models. The dotted line is chance, k / (N - 1). Returns the figure."""
    import matplotlib.pyplot as plt

    from wmlib.prh.alignment import chance as alignment_chance

    if x not in ("capability", "lm_score"):
        raise ValueError(f"x must be 'capability' or 'lm_score', got {x!r}")
    cross, z = _per_model(family, matrix, to_z, k)
    meta = {m["name"]: m for m in family.models}
    from wmlib.prh.figures import OBJECTIVE_COLOURS, TEXT_OBJECTIVE_COLOURS

    colours = {
        **{("image", o): OBJECTIVE_COLOURS[o] for o in IMAGE_OBJECTIVES},
        **{("text", o): TEXT_OBJECTIVE_COLOURS[o] for o in TEXT_OBJECTIVES},
    }
    modalities = ("image", "text") if x == "capability" else ("text",)  # only language models have a bpb
    fig, axes = plt.subplots(len(modalities), 2, figsize=(10, 3.8 * len(modalities)), squeeze=False)
    chance = alignment_chance("mutual_knn", len(family.z), k)
    for row, modality in enumerate(modalities):
        widths = sorted({m["width"] for m in family.models if m["modality"] == modality})
        other = "text" if modality == "image" else "image"
        for col, (values, label) in enumerate(
            ((cross, f"alignment with {other} models"), (z, "alignment with the kernel of Z"))
        ):
            ax = axes[row, col]
            labelled = set()
            for (objective, width), names in _runs(family, modality).items():
                names = [n for n in names if meta[n][x] is not None]
                if not any(meta[n]["steps"] for n in names):
                    continue  # nothing trained to show (a contrastive encoder has no bits per byte)
                size = 15 + 30 * widths.index(width)
                xs, ys = [meta[n][x] for n in names], [values[n] for n in names]
                untrained = [meta[n]["steps"] == 0 for n in names]
                colour = colours[modality, objective]
                # an arrow per stretch of training: the order reads even where x turns back
                for a in range(len(xs) - 1):
                    ax.annotate(
                        "",
                        (xs[a + 1], ys[a + 1]),
                        (xs[a], ys[a]),
                        arrowprops={
                            "arrowstyle": "-|>",
                            "color": colour,
                            "alpha": 0.6,
                            "linewidth": 0.9,
                            "mutation_scale": 7,
                            "shrinkA": 2,
                            "shrinkB": 3,
                        },
                        zorder=2,
                    )
                ax.scatter(
                    [a for a, u in zip(xs, untrained) if not u],
                    [b for b, u in zip(ys, untrained) if not u],
                    s=size,
                    color=colour,
                    zorder=3,
                    label=None if objective in labelled else objective,
                )
                ax.scatter(
                    [a for a, u in zip(xs, untrained) if u],
                    [b for b, u in zip(ys, untrained) if u],
                    s=size,
                    color="grey",
                    zorder=4,
                    label=None if "untrained" in labelled else "untrained",
                )
                labelled.update({objective, "untrained"})
            ax.axhline(chance, color="black", linestyle=":", linewidth=1, label="chance, k/(N-1)")
            ax.plot(
                [],
                [],
                color="0.4",
                marker=r"$\rightarrow$",
                markersize=9,
                linestyle="-",
                linewidth=0.9,
                label="one run: 0 → "
                + " → ".join(map(str, sorted({meta[n]["steps"] for n in meta if meta[n]["steps"]})))
                + " steps",
            )
            ax.set_xlabel("1 - bits per byte" if x == "lm_score" else "capability (linear probe of Z, held out)")
            ax.set_ylabel(f"{label}\n(mutual k-NN, k={k})")
            ax.set_title(f"{modality} models (bigger dots: wider)", fontsize=10)
            if labelled:
                ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --- controls: the study on final checkpoints, over training seeds, against untrained networks --------

REPLICA_SEEDS = (0, 1, 2)  # training seeds; seed 0 is the shipped family, the others final checkpoints only
N_CATEGORICAL = 13  # of the 16 numbers of a slot of ``z_features``: one-hot shape, colour, size; then x, y, z


def replica_path(seed: int) -> Path:
    """Where the features of the family trained with ``seed`` live: ``data/features/prh-toy`` for seed 0,
    ``prh-toy-seed<seed>`` beside it for the others."""
    return features_path() if seed == 0 else features_path().with_name(f"prh-toy-seed{seed}")


def load_replicas(seeds: Sequence[int] = REPLICA_SEEDS) -> Family:
    """Independent models only: each training seed's untrained networks and the final checkpoint of each
    run (the snapshots along a run are the same model, not new ones). One ``Family``; names end in
    ``@s<seed>`` and each model's metadata has its ``seed``. Raises when a seed's folder is missing
    (``replica_path`` says where, its manifest says how to build it)."""
    models, layers, z = [], {}, None
    for seed in seeds:
        family = load_features(replica_path(seed))
        if z is not None and not np.array_equal(z, family.z):
            raise ValueError(f"seed {seed}'s family was measured on other scenes than seed {seeds[0]}'s")
        z = family.z
        last = {
            m["modality"]: max(n["steps"] for n in family.models if n["modality"] == m["modality"])
            for m in family.models
        }
        for m in family.models:
            if m["steps"] in (0, last[m["modality"]]):
                meta = dict(m, seed=seed, name=f"{m['name']}@s{seed}")
                models.append(meta)
                layers[meta["name"]] = family.layers[m["name"]]
    return Family(models, layers, z)


def weighted_z(z: np.ndarray, categories: float = 1.0, positions: float = 1.0) -> np.ndarray:
    """``z_features`` with every slot's categorical part (one-hot shape, colour and size) multiplied by
    ``categories`` and its standardised position by ``positions``: other, equally defensible, kernels
    of Z (``z_features`` weighs an object's three categories about as much as its three coordinates)."""
    if categories < 0 or positions < 0 or categories == positions == 0:
        raise ValueError(f"weights must be >= 0 and not both 0, got {categories} and {positions}")
    slot = np.r_[np.full(N_CATEGORICAL, categories), np.full(16 - N_CATEGORICAL, positions)]
    return (np.asarray(z) * np.tile(slot, np.shape(z)[1] // 16)).astype(np.float32)


def eval_scenes() -> "Scene":
    """The evaluation scenes (split ``eval``) without rendering them: what ``family.z`` describes."""
    from wmlib.world import sample_scenes

    n, seed, n_objects = SPLITS["eval"]
    return sample_scenes(n, seed=seed, n_objects=n_objects)


def same_features_capability(family: Family, names: Sequence[str] | None = None, folds: int = 5) -> np.ndarray:
    """Capability measured on the very features alignment compares: each model's stored features of the
    evaluation scenes (at most ``FEATURE_DIM`` dimensions a layer), ``probe_score`` cross-validated over
    ``folds`` contiguous folds, best layer. (The shipped ``capability`` probes full-width features of
    other scenes, so a wider network gets more dimensions to probe but not to align.)"""
    scenes = eval_scenes()
    edges = np.linspace(0, len(scenes), folds + 1).astype(int)
    out = []
    for name in names or family.names():
        scores = []
        for x in family.layers[name]:
            folded = []
            for a, b in zip(edges[:-1], edges[1:]):
                fit = np.r_[0:a, b : len(scenes)]
                folded.append(probe_score(x[fit], scenes[fit], x[a:b], scenes[a:b]))
            scores.append(np.mean(folded))
        out.append(max(scores))
    return np.array(out)


def replica_measures(
    family: Family, k: int = K, z_weights: Sequence[tuple[float, float]] = ((1.0, 1.0),)
) -> dict[str, dict[str, float]]:
    """Per model of ``load_replicas``: ``capability`` (``same_features_capability``), ``competence`` on its
    own objective (minus its held-out loss: pixels' squared error, the classifier's loss, InfoNCE, or
    bits per byte; None for untrained networks, whose loss belongs to no objective of theirs),
    ``cross-modal`` (mean mutual k-NN with every trained model of the other modality) and
    ``kernel of Z`` (mutual k-NN with ``weighted_z`` for each (categories, positions) of ``z_weights``,
    keyed ``kernel of Z c:p``; the first also as plain ``kernel of Z``)."""
    from wmlib.prh.alignment import layer_neighbours, neighbour_overlap

    image, text = family.names("image"), family.names("text")
    found = {n: layer_neighbours(family.layers[n], k) for n in image + text}  # once per model, not per pair
    matrix = np.array([[max(neighbour_overlap(a, b) for a in found[i] for b in found[t]) for t in text] for i in image])
    trained = {n: family.meta(n)["objective"] != "untrained" for n in image + text}
    cross = {
        **{n: matrix[i, [trained[t] for t in text]].mean() for i, n in enumerate(image)},
        **{n: matrix[[trained[i] for i in image], j].mean() for j, n in enumerate(text)},
    }
    names = image + text
    capability = dict(zip(names, same_features_capability(family, names)))
    out = {
        n: {
            "objective": family.meta(n)["objective"],
            "capability": float(capability[n]),
            "cross-modal": float(cross[n]),
            "competence": -family.meta(n)["held_out_loss"] if trained[n] else None,
        }
        for n in names
    }
    for i, (c, p) in enumerate(z_weights):
        z = layer_neighbours([weighted_z(family.z, c, p)], k, q=None)[0]  # as alignment_to_z: no clipping of Z
        for n in names:
            out[n][f"kernel of Z {c:g}:{p:g}"] = v = max(neighbour_overlap(a, z) for a in found[n])
            if i == 0:
                out[n]["kernel of Z"] = v
    return out


def replica_groups(family: Family) -> dict[str, list[str]]:
    """The sets of independent models the controlled study correlates over: each objective's final
    checkpoints, the untrained networks, and pooled sets (image models without the Z-supervised
    ``classifier``; text models without the contrastive encoder, i.e. the language models)."""
    meta = {m["name"]: m for m in family.models}
    groups = {}
    for modality, objectives, apart in (
        ("image", IMAGE_OBJECTIVES, "classifier"),
        ("text", TEXT_OBJECTIVES, "contrastive"),
    ):
        names = family.names(modality)
        for objective in objectives:
            groups[f"{modality}: {objective}"] = [n for n in names if meta[n]["objective"] == objective]
        finals = [n for n in names if meta[n]["objective"] != "untrained"]
        groups[f"{modality}: all objectives"] = finals
        groups[f"{modality}: without {apart}"] = [n for n in finals if meta[n]["objective"] != apart]
        groups[f"{modality}: untrained"] = [n for n in names if meta[n]["objective"] == "untrained"]
    return groups


def rho_table(
    measures: dict[str, dict], groups: dict[str, list[str]], x: str, y: str, n_resamples: int = 1999
) -> dict[str, tuple[int, float, float, float]]:
    """For each group: (number of models, Spearman rho of measure ``x`` with measure ``y``, and its 95%
    bootstrap interval over the models, ``wmlib.stats.spearman_interval``). Groups where ``x`` is not
    measured for every model (competence of untrained networks) are left out, and so is competence
    pooled over objectives: one objective's loss is not on another's scale."""
    from wmlib.stats import spearman_interval

    out = {}
    for label, names in groups.items():
        xs = [measures[n][x] for n in names]
        if any(v is None for v in xs) or len(names) < 4:
            continue
        if x == "competence" and len({measures[n]["objective"] for n in names}) > 1:
            continue
        out[label] = (len(names), *spearman_interval(xs, [measures[n][y] for n in names], n_resamples=n_resamples))
    return out


def training_gain(
    family: Family, measures: dict[str, dict], measure: str, n_resamples: int = 1999
) -> dict[str, tuple[int, float, float, float]]:
    """Per objective: what training adds to ``measure`` over the untrained network it started from (same
    width, same seed): (pairs, mean difference, 95% bootstrap interval over the pairs)."""
    from wmlib.stats import interval

    meta = {m["name"]: m for m in family.models}
    start = {
        (m["modality"], m["architecture"], m["width"], m["seed"]): m["name"]
        for m in family.models
        if m["objective"] == "untrained"
    }
    out = {}
    for modality, objectives in (("image", IMAGE_OBJECTIVES), ("text", TEXT_OBJECTIVES)):
        for objective in objectives:
            diffs = [
                measures[n][measure] - measures[start[m["modality"], m["architecture"], m["width"], m["seed"]]][measure]
                for n, m in meta.items()
                if m["modality"] == modality and m["objective"] == objective
            ]
            out[f"{modality}: {objective}"] = (
                len(diffs),
                float(np.mean(diffs)),
                *interval(diffs, n_resamples=n_resamples),
            )
    return out


def format_table(columns: dict[str, dict[str, tuple]], title: str, digits: int = 2) -> str:
    """A printable table: one column per ``rho_table`` or ``training_gain`` result (its label the key),
    one row per group, each cell ``value [low, high]`` with ``digits`` decimals; the number of models of
    each row is given once."""
    rows = list(dict.fromkeys(label for col in columns.values() for label in col))
    width = 17 + 3 * digits
    lines = [title, f"{'':<26}{'n':>3}  " + "".join(f"{c:^{width}}" for c in columns)]
    for label in rows:
        n = next(col[label][0] for col in columns.values() if label in col)
        cells = [
            f"{col[label][1]:+.{digits}f} [{col[label][2]:+.{digits}f}, {col[label][3]:+.{digits}f}]"
            if label in col
            else "-"
            for col in columns.values()
        ]
        lines.append(f"{label:<26}{n:>3}  " + "".join(f"{c:^{width}}" for c in cells))
    return "\n".join(lines)


def plot_replicas(family: Family, measures: dict[str, dict], k: int = K):
    """The controlled picture: for image models (top) and text models (bottom), cross-modal alignment
    (left) and alignment with the kernel of Z (right) against width, the untrained network (grey) beside
    each objective's final checkpoint; dots are training seeds, lines their mean. Returns the figure."""
    import matplotlib.pyplot as plt

    from wmlib.prh.alignment import chance as alignment_chance
    from wmlib.prh.figures import OBJECTIVE_COLOURS as colours
    from wmlib.prh.figures import TEXT_OBJECTIVE_COLOURS as text_colours

    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for row, modality in enumerate(("image", "text")):
        meta = [m for m in family.models if m["modality"] == modality]
        widths = sorted({m["width"] for m in meta})
        kinds = sorted({(m["objective"], m["architecture"]) for m in meta}, key=lambda o: (o[0] != "untrained", o))
        for col, measure in enumerate(("cross-modal", "kernel of Z")):
            ax = axes[row, col]
            for j, (objective, architecture) in enumerate(kinds):
                offset = (j - (len(kinds) - 1) / 2) * 0.04  # side by side at each width
                values = [
                    [
                        measures[m["name"]][measure]
                        for m in meta
                        if m["objective"] == objective and m["architecture"] == architecture and m["width"] == w
                    ]
                    for w in widths
                ]
                xs = [w * 2**offset for w in widths]
                colour = (text_colours if modality == "text" else colours)[objective]
                label = objective if objective != "untrained" or modality == "image" else f"untrained {architecture}"
                ax.plot(
                    xs,
                    [np.mean(v) for v in values],
                    color=colour,
                    alpha=0.8,
                    linestyle="--" if architecture == "gpt2" and objective == "untrained" else "-",
                    label=label,
                )
                for x, v in zip(xs, values):
                    ax.scatter([x] * len(v), v, s=14, color=colour, zorder=3)
            chance = alignment_chance("mutual_knn", len(family.z), k)
            ax.axhline(chance, color="black", linestyle=":", linewidth=1, label="chance")
            ax.set_xscale("log", base=2)
            ax.set_xticks(widths, [str(w) for w in widths])
            ax.set_xlabel("width (channels of the first block)" if modality == "image" else "width (hidden size)")
            other = "text" if modality == "image" else "image"
            ax.set_ylabel(f"alignment with trained {other} models" if col == 0 else "alignment with the kernel of Z")
            ax.set_title(f"{modality} models: untrained and final, {len({m['seed'] for m in meta})} seeds", fontsize=10)
            ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --- command line --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m wmlib.prh.families", description="Train the toy PRH family and save its features."
    )
    parser.add_argument("what", choices=["features"])
    parser.add_argument("--out", type=Path, default=Path("data/features/prh-toy"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--steps",
        type=int,
        nargs="+",
        default=None,
        help="the snapshots to keep, for both modalities (default: 0 50 200 800); the last is the length of training",
    )
    args = parser.parse_args(argv)

    from wmlib import env

    threads = env.set_threads(args.threads)
    start = time.perf_counter()
    image_steps = text_steps = tuple(sorted(args.steps)) if args.steps else None
    family, seconds = build_family(
        image_steps=image_steps or IMAGE_STEPS, text_steps=text_steps or TEXT_STEPS, seed=args.seed
    )
    seconds["total"] = round(time.perf_counter() - start, 1)
    settings = {
        "seed": args.seed,
        "threads": threads,
        "image_px": IMAGE_PX,
        "render_px": RENDER_PX,
        "image_widths": list(IMAGE_WIDTHS),
        "text_widths": list(TEXT_WIDTHS),
        "text_layers": TEXT_LAYERS,
        "image_steps": list(image_steps or IMAGE_STEPS),
        "text_steps": list(text_steps or TEXT_STEPS),
        "feature_dim": FEATURE_DIM,
        "k": K,
        "probe_fit": PROBE_FIT,
        "contrastive_temperature": CONTRASTIVE_TEMPERATURE,
    }
    manifest = save_family(family, args.out, settings, seconds)
    print(
        json.dumps(
            {"models": manifest["models"], "seconds": seconds, "bytes": manifest["files"]["features.npz"]["bytes"]}
        )
    )


if __name__ == "__main__":
    main()
