"""CLIP from scratch on the toy world: a real ``transformers`` ``CLIPModel``, its tokenizer, its loss,
its training, and the scores that say what it learned.

The loss is CLIP's symmetric InfoNCE (Radford et al., 2021, Fig. 3): for a batch of N matching
image-caption pairs, the N x N cosine similarities scaled by a learned temperature are classified
row-wise (which caption goes with this image?) and column-wise (which image goes with this caption?),
and the two cross-entropies are averaged. The temperature starts at 0.07 (logit scale log(1/0.07))
and its scale is clipped at 100, as in the paper.

Reproduce the shipped checkpoint with::

    python -m wmlib.clip train --out data/models/toy-clip --seed 0
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
from pathlib import Path

import numpy as np

IMAGE_SIZE = 64
MAX_TOKENS = 77  # as real CLIP: the longest toy captions have 74 words and punctuation marks
MEAN = (0.48145466, 0.4578275, 0.40821073)  # CLIP's image normalisation, kept so real and toy agree
STD = (0.26862954, 0.26130258, 0.27577711)
PROMPTS = {  # zero-shot templates, one slot for the class name
    "colour": ["a photo of a {} object.", "a {} thing.", "something {}."],
    "shape": ["a photo of a {}.", "a {} in the cave.", "there is a {}."],
    "size": ["a photo of a {} object.", "a {} thing.", "something {}."],
}


def vocabulary() -> list[str]:
    """Every word the toy world's captions and prompts use, sorted (the same list on every machine)."""
    from wmlib.world import captions, sample_scenes
    from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZES

    scenes = sample_scenes(3000, seed=12345)
    texts = [t for seed in range(3) for t in captions(scenes, seed=seed)]
    texts += [p.format(w) for templates in PROMPTS.values() for p in templates for w in (*COLOUR_NAMES, *SHAPES, *SIZES)]
    return sorted({w for t in texts for w in re.findall(r"[a-z]+", t)})


def tokenizer(words: list[str] | None = None):
    """A CLIP byte-level BPE tokenizer whose merges spell each toy-world word as one token."""
    from wmlib.tiny import clip_tokenizer

    return clip_tokenizer(words or vocabulary(), max_length=MAX_TOKENS)


def processor(tok=None):
    """The CLIPProcessor of the toy CLIP: 64x64 images, CLIP normalisation, 77-token texts."""
    from transformers import CLIPImageProcessorPil, CLIPProcessor

    images = CLIPImageProcessorPil(size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
                                   image_mean=list(MEAN), image_std=list(STD))
    return CLIPProcessor(image_processor=images, tokenizer=tok or tokenizer())


def build(seed: int = 0, width: int = 64, layers: int = 3, embed_dim: int = 32, patch: int = 8):
    """(model, processor): an untrained toy CLIP, a ViT (``patch`` pixels square) and a text transformer
    of ``width`` and ``layers``."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    proc = processor()
    tok = proc.tokenizer
    config = CLIPConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=width, intermediate_size=2 * width, num_hidden_layers=layers,
                         num_attention_heads=4, max_position_embeddings=MAX_TOKENS, bos_token_id=tok.bos_token_id,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id),
        vision_config=dict(hidden_size=width, intermediate_size=2 * width, num_hidden_layers=layers,
                           num_attention_heads=4, image_size=IMAGE_SIZE, patch_size=patch, num_channels=3),
        projection_dim=embed_dim, logit_scale_init_value=math.log(1 / 0.07))
    torch.manual_seed(seed)
    return CLIPModel(config), proc


def pixel_values(images: np.ndarray):
    """(N, 3, 64, 64) normalised tensor from (N, 64, 64, 3) images (uint8, or float in [0, 1]); the same
    as the processor's output for 64x64 images, without a trip through PIL."""
    import torch

    x = torch.as_tensor(np.asarray(images))
    x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
    x = (x - torch.tensor(MEAN)) / torch.tensor(STD)
    return x.permute(0, 3, 1, 2).contiguous()


def clip_loss(image_embeds, text_embeds, logit_scale):
    """Symmetric InfoNCE on L2-normalised embeddings: mean of the image->text and text->image
    cross-entropies over the batch's similarity matrix."""
    import torch
    import torch.nn.functional as F

    logits = logit_scale.exp() * image_embeds @ text_embeds.T
    labels = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def embed(model, proc, images: np.ndarray | None = None, texts: list[str] | None = None, batch_size: int = 256):
    """L2-normalised image and/or text embeddings (torch tensors), in batches, without gradients."""
    import torch

    out = []
    with torch.no_grad():
        if images is not None:
            chunks = [model.get_image_features(pixel_values=pixel_values(images[i:i + batch_size]))
                      for i in range(0, len(images), batch_size)]
            out.append(torch.nn.functional.normalize(torch.cat([_tensor(c) for c in chunks]), dim=-1))
        if texts is not None:
            chunks = []
            for i in range(0, len(texts), batch_size):
                tokens = proc.tokenizer(texts[i:i + batch_size], padding=True, truncation=True, return_tensors="pt")
                chunks.append(_tensor(model.get_text_features(**tokens)))
            out.append(torch.nn.functional.normalize(torch.cat(chunks), dim=-1))
    return out[0] if len(out) == 1 else tuple(out)


def _tensor(output):
    """``get_*_features`` return a tensor in transformers 4 and a ModelOutput in 5."""
    return output if hasattr(output, "shape") else output.pooler_output


def zero_shot(model, proc, images: np.ndarray, factor: str, names: list, templates: list[str] | None = None):
    """Index of the class whose prompts are most similar to each image. A class is a name or a list of
    synonyms (``["cube", "box", "block"]``); its embedding is the mean over synonyms and ``templates``
    (prompt ensembling, Radford et al., 2021, section 3.1.4)."""
    import torch

    templates = templates or PROMPTS[factor]
    image = embed(model, proc, images=images)
    class_embeds = []
    for name in names:
        synonyms = [name] if isinstance(name, str) else list(name)
        t = embed(model, proc, texts=[template.format(w) for template in templates for w in synonyms]).mean(0)
        class_embeds.append(torch.nn.functional.normalize(t, dim=0))
    return (image @ torch.stack(class_embeds).T).argmax(1).numpy()


def evaluate(model, proc, n: int = 600, seed: int = 99) -> dict[str, float]:
    """What the toy CLIP learned, on scenes it never saw: zero-shot accuracy for colour, shape and size
    of one-object scenes (chance: 1/8, 1/3, 1/2), and image->caption retrieval top-1 among 100 scenes."""
    import torch

    from wmlib.world import captions, camera_image, sample_scenes
    from wmlib.world.captions import SHAPE_WORDS
    from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZES

    model.eval()
    single = sample_scenes(n, seed=seed, n_objects=1)
    images = camera_image(single)
    scores = {}
    shapes = [SHAPE_WORDS[s] for s in SHAPES]  # the captions call a cube a box or a block too
    for factor, names, truth in [("colour", COLOUR_NAMES, single.colour[:, 0]), ("shape", shapes, single.shape[:, 0]),
                                 ("size", SIZES, single.size[:, 0])]:
        scores[f"zero_shot_{factor}"] = float((zero_shot(model, proc, images, factor, list(names)) == truth).mean())
    mixed = sample_scenes(n, seed=seed + 1)
    image, text = embed(model, proc, images=camera_image(mixed), texts=captions(mixed, seed=seed))
    hits = [((image[i:i + 100] @ text[i:i + 100].T).argmax(1) == torch.arange(len(image[i:i + 100]))).float().mean().item()
            for i in range(0, n, 100)]
    scores["retrieval_top1_of_100"] = float(np.mean(hits))
    return {k: round(v, 4) for k, v in scores.items()}


def train(model, proc, steps: int = 3000, batch_size: int = 128, lr: float = 1e-3, n_scenes: int = 20000,
          seed: int = 0, progress: bool = True, log_every: int = 50, n_objects=(1, 3)) -> list[dict]:
    """Train on toy-world image-caption pairs (scenes of ``n_objects`` objects: a count or a range);
    captions are re-drawn (paraphrased) every epoch. Returns the loss and temperature every
    ``log_every`` steps."""
    import torch

    from wmlib.world import ImageCaptionDataset, captions

    data = ImageCaptionDataset(n_scenes, seed=seed, n_objects=n_objects, progress=progress)
    images = pixel_values(data.images)
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    warmup = min(200, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    history, order, tokens, epoch, start = [], torch.empty(0, dtype=torch.long), None, -1, time.perf_counter()
    steps_iter = range(steps)
    if progress:
        from wmlib.plots import progress as bar

        steps_iter = bar(steps_iter, desc="training the toy CLIP")
    model.train()
    for step in steps_iter:
        if len(order) < batch_size:  # a new epoch: new order, new paraphrases of every caption
            epoch += 1
            order = torch.randperm(n_scenes, generator=generator)
            tokens = proc.tokenizer(captions(data.scene, seed=seed * 1000 + epoch), padding="max_length",
                                    max_length=MAX_TOKENS, truncation=True, return_tensors="pt")
        batch, order = order[:batch_size], order[batch_size:]
        out = model(input_ids=tokens["input_ids"][batch], attention_mask=tokens["attention_mask"][batch],
                    pixel_values=images[batch], return_loss=True)
        optimiser.zero_grad()
        out.loss.backward()
        optimiser.step()
        schedule.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))  # CLIP clips the scale at 100
        if step % log_every == 0 or step == steps - 1:
            history.append({"step": step, "loss": round(out.loss.item(), 4),
                            "temperature": round(1 / model.logit_scale.exp().item(), 4),
                            "seconds": round(time.perf_counter() - start, 1)})
    model.eval()
    return history


def save(model, proc, out: Path, command: str, seed: int, history: list[dict], scores: dict, settings: dict) -> dict:
    """Save weights, processor and a manifest (command, seed, settings, sha256 and size of every file, scores)."""
    import torch
    import transformers

    from wmlib.loading import sha256

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    proc.save_pretrained(out)
    files = {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size}
             for p in sorted(out.iterdir()) if p.is_file() and p.name != "manifest.json"}
    manifest = {"name": out.name, "description": "a CLIPModel trained from scratch on toy-world image-caption pairs",
                "command": command, "seed": seed, "settings": settings, "scores": scores,
                "final_loss": history[-1]["loss"], "temperature": history[-1]["temperature"],
                "train_seconds": history[-1]["seconds"],
                "parameters": sum(p.numel() for p in model.parameters()),
                "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
                "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wmlib.clip", description="Train the toy CLIP.")
    parser.add_argument("what", choices=["train"])
    parser.add_argument("--out", type=Path, default=Path("data/models/toy-clip"))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    from wmlib import env

    env.set_threads(args.threads)
    env.seed_everything(args.seed)
    model, proc = build(seed=args.seed)
    history = train(model, proc, steps=args.steps, batch_size=args.batch_size, seed=args.seed)
    scores = evaluate(model, proc)
    command = f"python -m wmlib.clip train --out {args.out} --steps {args.steps} --batch-size {args.batch_size} --seed {args.seed}"
    manifest = save(model, proc, args.out, command, args.seed, history, scores,
                    {"steps": args.steps, "batch_size": args.batch_size, "threads": args.threads or env.default_threads()})
    print(json.dumps({k: manifest[k] for k in ("scores", "final_loss", "temperature", "train_seconds", "parameters")}))


if __name__ == "__main__":
    main()
