"""Locked-image tuning on the toy world: CLIP's loss on top of two frozen pretrained encoders.

LiT (Zhai et al., "LiT: Zero-Shot Transfer with Locked-image text Tuning", CVPR 2022) keeps a pretrained
image encoder *locked* and trains only the text side to meet it in a shared space. On a CPU we go one
step further and lock both towers: the packaged EfficientNet-Lite0 (ImageNet, ``wmlib.encoders``) for
images and MiniLM (sentence similarity) for captions stay frozen, and only two linear projections and
the temperature are trained with the symmetric InfoNCE loss of ``wmlib.clip.contrastive.clip_loss``.

Neither encoder has ever seen the toy world, nor a caption paired with an image: whatever the
projections find, they find in features learned for something else.

Running EfficientNet on thousands of images takes minutes on a CPU, so the features are computed once
and shipped (``data/features/lit-toy``), reduced by PCA to ``PCA_DIM`` dimensions per tower; PCA is
linear, so a linear projection of the reduced features is still a linear projection of the frozen
features. Rebuild them with::

    python -m wmlib.clip.lit features --out data/features/lit-toy
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

PCA_DIM = 128
SPLITS = {"train": (3000, 7, (1, 3)), "zero_shot": (1000, 99, 1), "retrieval": (1000, 100, (1, 3))}  # n, seed, objects
CAMERA_PX = 64  # the toy-world camera images the features are computed from
IMAGE_SIZE = 128  # EfficientNet's input side here: the toy images are 64-128 px, so 224 would only add cost


@dataclass
class Features:
    """Frozen features of paired images and captions, row i of each from pair i: ``image`` (N, D_image)
    and ``text`` (N, D_text); 1280 and 384 as the encoders give them, 128 each once reduced by PCA."""

    image: "torch.Tensor"
    text: "torch.Tensor"

    def __len__(self) -> int:
        return len(self.image)


def image_features(images: np.ndarray, encoder=None, batch_size: int = 64, progress: bool = False) -> "torch.Tensor":
    """EfficientNet-Lite0 features (N, 1280), unit length, of (N, H, W, 3) images, resized to ``IMAGE_SIZE``."""
    from wmlib.encoders import image_encoder

    encoder = encoder or image_encoder()
    default, encoder.image_size = encoder.image_size, IMAGE_SIZE
    try:
        return encoder.embed(images, batch_size=batch_size, progress=progress)
    finally:
        encoder.image_size = default  # the caller's encoder is left as it was


def text_features(texts: list[str], encoder=None, progress: bool = False) -> "torch.Tensor":
    """MiniLM sentence features (N, 384), unit length."""
    from wmlib.encoders import text_encoder

    return (encoder or text_encoder()).embed(texts, progress=progress)


class Projections:
    """The only trained part: a linear map for each tower into a shared ``dim``-d space, and a
    temperature that starts at CLIP's 0.07."""

    def __init__(self, image_dim: int, text_dim: int, dim: int = 64, seed: int = 0):
        import math

        import torch

        torch.manual_seed(seed)
        self.image = torch.nn.Linear(image_dim, dim, bias=False)
        self.text = torch.nn.Linear(text_dim, dim, bias=False)
        self.logit_scale = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def parameters(self) -> list:
        return [*self.image.parameters(), *self.text.parameters(), self.logit_scale]

    def embed_images(self, features: "torch.Tensor") -> "torch.Tensor":
        import torch

        return torch.nn.functional.normalize(self.image(features), dim=-1)

    def embed_texts(self, features: "torch.Tensor") -> "torch.Tensor":
        import torch

        return torch.nn.functional.normalize(self.text(features), dim=-1)


def train(
    features: Features, dim: int = 64, steps: int = 400, batch_size: int = 256, lr: float = 3e-3, seed: int = 0
) -> tuple[Projections, list[dict]]:
    """Train the two projections with CLIP's loss on random batches of the paired ``features``.
    Returns the projections and the loss every 50 steps."""
    import math

    import torch

    from wmlib.clip.contrastive import clip_loss

    if len(features) < 2:
        raise ValueError("contrastive training needs at least 2 pairs")
    heads = Projections(features.image.shape[1], features.text.shape[1], dim, seed)
    # Decay on the two maps only: on the logit scale it would pull the temperature towards 1 (CLIP and
    # open_clip exempt it, with gains and biases).
    maps = [*heads.image.parameters(), *heads.text.parameters()]
    optimiser = torch.optim.AdamW(
        [{"params": maps, "weight_decay": 0.01}, {"params": [heads.logit_scale], "weight_decay": 0.0}], lr=lr
    )
    generator = torch.Generator().manual_seed(seed)
    history = []
    for step in range(steps):
        batch = torch.randperm(len(features), generator=generator)[:batch_size]
        loss = clip_loss(
            heads.embed_images(features.image[batch]), heads.embed_texts(features.text[batch]), heads.logit_scale
        )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            heads.logit_scale.clamp_(0, math.log(100))
        if step % 50 == 0 or step == steps - 1:
            history.append({"step": step, "loss": round(loss.item(), 4)})
    return heads, history


def zero_shot_correct(
    heads: Projections, image: "torch.Tensor", scenes, prompt_features, ensemble: bool = True
) -> dict[str, np.ndarray]:
    """Per scene, whether zero-shot colour, shape and size of its first object are right (one bool each),
    from the images' frozen features ``image`` and the same prompts as the toy CLIP
    (``wmlib.clip.contrastive.class_prompts``); ``prompt_features`` turns a list of prompts into text features
    (MiniLM, then the shipped PCA)."""
    import torch

    from wmlib.clip.contrastive import FACTORS, class_prompts, classify

    with torch.no_grad():
        embedded = heads.embed_images(image)
        out = {}
        for factor in FACTORS:
            prompts = [heads.embed_texts(prompt_features(p)) for p in class_prompts(factor, ensemble)]
            out[factor] = classify(embedded, prompts) == getattr(scenes, factor)[:, 0]
    return out


def zero_shot_accuracy(
    heads: Projections, image: "torch.Tensor", scenes, prompt_features, ensemble: bool = True
) -> dict[str, float]:
    """Zero-shot accuracy on colour, shape and size: the mean of ``zero_shot_correct``."""
    return {f: float(c.mean()) for f, c in zero_shot_correct(heads, image, scenes, prompt_features, ensemble).items()}


def retrieval_hits(heads: Projections, features: Features, scenes, claims) -> dict[str, np.ndarray]:
    """Per item, whether top-1 image->text and text->image retrieval among all pairs of ``features`` is
    right (``wmlib.clip.contrastive.top1_hits``); a caption counts when it is true of the scene (``claims`` of the
    captions, see ``wmlib.world.captions.truth_matrix``)."""
    import torch

    from wmlib.clip.contrastive import top1_hits
    from wmlib.world.captions import truth_matrix

    with torch.no_grad():
        sim = (heads.embed_images(features.image) @ heads.embed_texts(features.text).T).numpy()
    return top1_hits(sim, truth_matrix(claims, scenes).T)


def retrieval(heads: Projections, features: Features, scenes, claims) -> dict[str, float]:
    """Top-1 retrieval scores: the hit rates of ``retrieval_hits``."""
    return {k: float(v.mean()) for k, v in retrieval_hits(heads, features, scenes, claims).items()}


# --- the shipped features ---------------------------------------------------------------------------


def _pca(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean, the top ``dim`` principal axes (dim, D) of the rows of ``x``, and the variance they keep."""
    mean = x.mean(0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean, vt[:dim], float((s[:dim] ** 2).sum() / (s**2).sum())


def build_features(out: Path, progress: bool = True) -> dict:
    """Compute and save the frozen features of every split of ``SPLITS`` (camera images of ``CAMERA_PX``
    pixels and one caption each, seed 0), reduced by a PCA fitted on the training split; returns the manifest."""
    import torch
    import transformers

    from wmlib.checkpoints import sha256, write_manifest
    from wmlib.encoders import image_encoder, text_encoder
    from wmlib.world import camera_image, sample_scenes
    from wmlib.world.captions import captions

    start = time.perf_counter()
    images, texts = image_encoder(), text_encoder()
    raw = {}
    for split, (n, seed, n_objects) in SPLITS.items():
        scenes = sample_scenes(n, seed=seed, n_objects=n_objects)
        raw[f"{split}_image"] = image_features(camera_image(scenes, size=CAMERA_PX), images, progress=progress).numpy()
        raw[f"{split}_text"] = text_features(captions(scenes, seed=0), texts, progress=progress).numpy()
    arrays, kept = {}, {}
    for tower in ("image", "text"):
        mean, axes, kept[tower] = _pca(raw[f"train_{tower}"], PCA_DIM)
        arrays[f"{tower}_mean"], arrays[f"{tower}_axes"] = mean.astype(np.float32), axes.astype(np.float32)
        for split in SPLITS:
            arrays[f"{split}_{tower}"] = ((raw[f"{split}_{tower}"] - mean) @ axes.T).astype(np.float16)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "features.npz", **arrays)
    manifest = {
        "name": out.name,
        "description": "frozen EfficientNet-Lite0 and MiniLM features of toy-world "
        f"images and captions, PCA to {PCA_DIM} dimensions",
        "command": f"python -m wmlib.clip.lit features --out {out}",
        "splits": {k: {"n": n, "seed": seed, "n_objects": o} for k, (n, seed, o) in SPLITS.items()},
        "camera_image_px": CAMERA_PX,
        "encoder_input_px": IMAGE_SIZE,
        "variance_kept": {k: round(v, 4) for k, v in kept.items()},
        "seconds": round(time.perf_counter() - start, 1),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "files": {
            "features.npz": {"sha256": sha256(out / "features.npz"), "bytes": (out / "features.npz").stat().st_size}
        },
    }
    write_manifest(out, manifest)
    return manifest


def features_path() -> Path:
    """Where the shipped features live: ``data/features/lit-toy`` (``$WMLIB_DATA`` moves ``data/``)."""
    from wmlib.registry import data_dir

    return data_dir() / "features" / "lit-toy"


def load_features(folder: Path | None = None) -> dict:
    """The shipped features (checked against their manifest): ``Features`` for each split of ``SPLITS``
    and ``reduce_text``, which maps new MiniLM features (prompts) into the same reduced space."""
    import torch

    from wmlib.checkpoints import verify_checkpoint

    folder = Path(folder or features_path())
    verify_checkpoint(folder)
    z = np.load(folder / "features.npz")
    as_tensor = lambda a: torch.from_numpy(a.astype(np.float32))  # noqa: E731
    out = {split: Features(as_tensor(z[f"{split}_image"]), as_tensor(z[f"{split}_text"])) for split in SPLITS}
    mean, axes = as_tensor(z["text_mean"]), as_tensor(z["text_axes"])
    out["reduce_text"] = lambda t: (t - mean) @ axes.T
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wmlib.clip.lit", description="Features for locked-image tuning.")
    parser.add_argument("what", choices=["features"])
    parser.add_argument("--out", type=Path, default=Path("data/features/lit-toy"))
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    from wmlib import env

    env.set_threads(args.threads)
    manifest = build_features(args.out)
    print(json.dumps({k: manifest[k] for k in ("variance_kept", "seconds")}))


if __name__ == "__main__":
    main()
