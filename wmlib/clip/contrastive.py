"""CLIP from scratch on the toy world: a real ``transformers`` ``CLIPModel``, its tokenizer, its loss,
its training, and the scores that say what it learned.

The loss is CLIP's symmetric InfoNCE (Radford et al., 2021, Fig. 3): for a batch of N matching
image-caption pairs, the N x N cosine similarities scaled by a learned temperature are classified
row-wise (which caption goes with this image?) and column-wise (which image goes with this caption?),
and the two cross-entropies are averaged. The temperature starts at 0.07 (logit scale log(1/0.07))
and its scale is clipped at 100, as in the paper.

Reproduce the shipped checkpoint with::

    python -m wmlib.clip.contrastive train --out data/models/toy-clip --seed 0

(the exact command, with every setting, is in the checkpoint's ``manifest.json``). The controlled experiment
on why contrastive training skips shape (``shape_study``, notebook 02) reruns with::

    python -m wmlib.clip.contrastive shape-study --out data/runs/clip-shape-study
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import CLIPModel

IMAGE_SIZE = 64  # the camera images the toy CLIP sees
PATCH = 8  # 8 x 8 patches, as ViT-B/32 sees 224 px as 7 x 7
STEM = (16, 32, 64)  # channels of the convolutional stem: three stride-2 3x3 convolutions make 8 x 8 patches
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
    from wmlib.world.captions import caption_vocabulary, words
    from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZES

    prompts = [
        p.format(w) for templates in PROMPTS.values() for p in templates for w in (*COLOUR_NAMES, *SHAPES, *SIZES)
    ]
    return sorted(set(caption_vocabulary()) | {w for t in prompts for w in words(t)})


def tokenizer(words: list[str] | None = None):
    """A CLIP byte-level BPE tokenizer whose merges spell each toy-world word as one token."""
    from wmlib.tiny import clip_tokenizer

    return clip_tokenizer(words or vocabulary(), max_length=MAX_TOKENS)


def processor(tok=None, image_size: int = IMAGE_SIZE):
    """The CLIPProcessor of the toy CLIP: square images of ``image_size`` pixels, CLIP normalisation,
    77-token texts."""
    from transformers import CLIPImageProcessorPil, CLIPProcessor

    images = CLIPImageProcessorPil(
        size={"shortest_edge": image_size},
        crop_size={"height": image_size, "width": image_size},
        image_mean=list(MEAN),
        image_std=list(STD),
    )
    return CLIPProcessor(image_processor=images, tokenizer=tok or tokenizer())


class ConvStem(nn.Module):
    """A convolutional stem in place of ViT's patchify layer (Xiao et al., 2021, "Early convolutions help
    transformers see better"): stride-2 3x3 convolutions, each halving the image, then a 1x1
    convolution to the transformer's width. Same output as the patchify layer: one vector per patch."""

    def __init__(self, channels: list[int], in_channels: int, width: int):
        super().__init__()
        layers, c_in = [], in_channels
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), nn.GELU()]
            c_in = c
        layers.append(nn.Conv2d(c_in, width, 1))
        self.layers = nn.Sequential(*layers)
        # CLIPVisionEmbeddings reads ``patch_embedding.weight.dtype`` (and initialises ``weight``):
        # an empty tensor answers the first and makes the second a no-op.
        self.register_buffer("weight", torch.empty(0), persistent=False)

    def forward(self, x):
        return self.layers(x)


class ToyCLIPModel(CLIPModel):
    """``CLIPModel`` whose vision transformer starts with a convolutional stem when the vision config
    says ``conv_stem`` (a list of channels); everything else, the loss included, is ``CLIPModel``'s."""

    def __init__(self, config):
        super().__init__(config)
        vision = config.vision_config
        stem = getattr(vision, "conv_stem", None)
        if stem:
            if 2 ** len(stem) != vision.patch_size:
                raise ValueError(
                    f"{len(stem)} stride-2 convolutions make {2 ** len(stem)}-pixel patches, "
                    f"but the config's patch_size is {vision.patch_size}"
                )
            self.vision_model.embeddings.patch_embedding = ConvStem(list(stem), vision.num_channels, vision.hidden_size)


def build(
    seed: int = 0,
    width: int = 64,
    layers: int = 3,
    embed_dim: int = 32,
    patch: int = PATCH,
    image_size: int = IMAGE_SIZE,
    stem: tuple[int, ...] | None = STEM,
    temperature: float = 0.07,
):
    """(model, processor): an untrained toy CLIP, a ViT (``image_size`` pixels square, cut into patches of
    ``patch`` pixels) and a text transformer of ``width`` and ``layers``. ``stem``: channels of a
    convolutional stem (one stride-2 convolution per halving of the patch), or None for ViT's plain
    patchify layer. ``temperature``: the initial one (CLIP's 0.07 suits many dimensions; in 3, random
    cosines are large and 0.07 makes the first logits huge)."""
    from transformers import CLIPConfig

    if image_size % patch:
        raise ValueError(f"the image ({image_size} pixels) must be a whole number of patches ({patch} pixels)")
    proc = processor(image_size=image_size)
    tok = proc.tokenizer
    vision = dict(
        hidden_size=width,
        intermediate_size=2 * width,
        num_hidden_layers=layers,
        num_attention_heads=4,
        image_size=image_size,
        patch_size=patch,
        num_channels=3,
    )
    if stem:
        vision["conv_stem"] = list(stem)
    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(tok),
            hidden_size=width,
            intermediate_size=2 * width,
            num_hidden_layers=layers,
            num_attention_heads=4,
            max_position_embeddings=MAX_TOKENS,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        ),
        vision_config=vision,
        projection_dim=embed_dim,
        logit_scale_init_value=math.log(1 / temperature),
    )
    torch.manual_seed(seed)
    model = ToyCLIPModel(config)
    model.config.architectures = ["ToyCLIPModel"]
    return model, proc


def pixel_values(images: np.ndarray):
    """(N, 3, H, W) normalised tensor from (N, H, W, 3) images (uint8, or float in [0, 1]); the same as
    the processor's output for images already at the model's size, without a trip through PIL."""
    x = torch.as_tensor(np.asarray(images))
    x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
    x = (x - torch.tensor(MEAN)) / torch.tensor(STD)
    return x.permute(0, 3, 1, 2).contiguous()


def clip_loss(image_embeds, text_embeds, logit_scale):
    """Symmetric InfoNCE on L2-normalised embeddings: mean of the image->text and text->image
    cross-entropies over the batch's similarity matrix."""
    import torch.nn.functional as F

    logits = logit_scale.exp() * image_embeds @ text_embeds.T
    labels = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def embed(model, proc, images: np.ndarray | None = None, texts: list[str] | None = None, batch_size: int = 256):
    """L2-normalised image and/or text embeddings (float32 torch tensors on the CPU), in batches, without
    gradients, on whatever device the model is."""
    from wmlib.encoders import pooled
    from wmlib.env import to_model

    out = []
    with torch.no_grad():
        if images is not None:
            chunks = [
                model.get_image_features(pixel_values=to_model(model, pixel_values(images[i : i + batch_size])))
                for i in range(0, len(images), batch_size)
            ]
            out.append(torch.nn.functional.normalize(torch.cat([pooled(c).float().cpu() for c in chunks]), dim=-1))
        if texts is not None:
            chunks = []
            for i in range(0, len(texts), batch_size):
                tokens = proc.tokenizer(texts[i : i + batch_size], padding=True, truncation=True, return_tensors="pt")
                chunks.append(pooled(model.get_text_features(**to_model(model, tokens))).float().cpu())
            out.append(torch.nn.functional.normalize(torch.cat(chunks), dim=-1))
    return out[0] if len(out) == 1 else tuple(out)


def classify(image_embeds, prompt_embeds: list) -> np.ndarray:
    """Zero-shot classification: the class of each image is the one whose prompts it is most similar to.
    ``prompt_embeds[c]`` holds the (unit-length) embeddings of class ``c``'s prompts; their mean,
    renormalised, is the class embedding (prompt ensembling in embedding space, Radford et al., 2021,
    section 3.1.4)."""
    classes = torch.stack([torch.nn.functional.normalize(e.mean(0), dim=0) for e in prompt_embeds])
    return (image_embeds @ classes.T).argmax(1).numpy()


def class_prompts(factor: str, ensemble: bool = True) -> list[list[str]]:
    """The prompts of each class of ``factor`` ("colour", "shape" or "size"): with ``ensemble`` every
    template of ``PROMPTS`` and every word for the class; otherwise the first template and word only."""
    from wmlib.world.scene import COLOUR_NAMES, SIZES

    names = {"colour": [(c,) for c in COLOUR_NAMES], "shape": shape_names(), "size": [(z,) for z in SIZES]}
    if factor not in names:
        raise ValueError(f"unknown factor {factor!r}; allowed: {', '.join(names)}")
    templates = PROMPTS[factor] if ensemble else PROMPTS[factor][:1]
    return [[t.format(w) for t in templates for w in (words if ensemble else words[:1])] for words in names[factor]]


FACTORS = ("colour", "shape", "size")


# The eight photographs of the openai/CLIP notebook "Interacting with CLIP", with its descriptions; all
# of them ship inside scikit-image, so they need no download.
PHOTOS = {
    "page": "a page of text about segmentation",
    "chelsea": "a facial photo of a tabby cat",
    "astronaut": "a portrait of an astronaut with the American flag",
    "rocket": "a rocket standing on a launchpad",
    "motorcycle_right": "a red motorcycle standing in a garage",
    "camera": "a person looking at a camera on a tripod",
    "horse": "a black-and-white silhouette of a horse",
    "coffee": "a cup of coffee on a saucer",
}


def real_photos() -> tuple[list[str], list, list[str]]:
    """(names, RGB PIL images, descriptions) of the eight photographs in ``PHOTOS``, read from the files
    scikit-image installs (``pip install scikit-image``)."""
    from importlib.resources import files

    from PIL import Image

    try:
        folder = files("skimage") / "data"
    except ModuleNotFoundError as e:
        raise ImportError("the photographs ship with scikit-image: pip install scikit-image") from e
    images = []
    for name in PHOTOS:
        path = next((folder / f"{name}{ext}" for ext in (".png", ".jpg") if (folder / f"{name}{ext}").is_file()), None)
        if path is None:
            raise FileNotFoundError(f"{name} is not among scikit-image's bundled images in {folder}")
        with Image.open(path) as im:
            images.append(im.convert("RGB"))
    return list(PHOTOS), images, list(PHOTOS.values())


def similarity(model, proc, images: list, texts: list[str]):
    """(N images, M texts) cosine similarities through the model's own processor: resize, crop and
    normalise the images, tokenize the texts, then compare unit-length embeddings (as the openai
    notebook does). Works for the real CLIPs and the toy one alike, on any device; the result is a
    float32 tensor on the CPU."""
    from wmlib.env import to_model

    inputs = proc(text=texts, images=images, return_tensors="pt", padding=True, truncation=True)
    with torch.no_grad():
        out = model(**to_model(model, inputs))
    image = torch.nn.functional.normalize(out.image_embeds.float(), dim=-1)
    text = torch.nn.functional.normalize(out.text_embeds.float(), dim=-1)
    return (image @ text.T).cpu()


def image_size(model) -> int:
    """The side in pixels of the images ``model`` was built for."""
    return int(model.config.vision_config.image_size)


def photos(model, scenes) -> np.ndarray:
    """The camera images of ``scenes`` at the size ``model`` sees (N, H, W, 3) uint8."""
    from wmlib.world import camera_image

    return (camera_image(scenes, size=image_size(model)) * 255).round().astype(np.uint8)


def shape_names() -> list[tuple[str, ...]]:
    """Each shape with the words the captions use for it (a cube is also a box or a block)."""
    from wmlib.world.captions import SHAPE_WORDS
    from wmlib.world.scene import SHAPES

    return [SHAPE_WORDS[s] for s in SHAPES]


def zero_shot_correct(model, proc, scenes, ensemble: bool = True) -> dict[str, np.ndarray]:
    """Per scene, whether zero-shot classification gets colour, shape and size of its first object right
    (one bool per scene and factor; use one-object scenes), with the prompts of ``class_prompts(factor,
    ensemble)``. The items of a bootstrap interval (``wmlib.stats.share_interval``)."""
    image = embed(model, proc, images=photos(model, scenes))
    out = {}
    for factor in FACTORS:
        prompts = [embed(model, proc, texts=p) for p in class_prompts(factor, ensemble)]
        out[factor] = classify(image, prompts) == getattr(scenes, factor)[:, 0]
    return out


def zero_shot_accuracy(model, proc, scenes, ensemble: bool = True) -> dict[str, float]:
    """Zero-shot accuracy on colour, shape and size of the first object of each scene (use one-object
    scenes): the mean of ``zero_shot_correct``."""
    return {f: float(c.mean()) for f, c in zero_shot_correct(model, proc, scenes, ensemble).items()}


def top1_hits(sim: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """Per item, whether top-1 retrieval is right, from ``sim[i, j]``, the similarity of image ``i`` and
    caption ``j`` (caption ``i`` written for image ``i``), and ``truth[i, j]``, whether caption ``j`` is
    true of scene ``i``: image->text and text->image under the true-caption rule (one bool per image, per
    caption), and whether an image finds its own caption."""
    rows = np.arange(len(sim))
    best_text, best_image = sim.argmax(1), sim.argmax(0)
    return {
        "image_to_text": truth[rows, best_text],
        "text_to_image": truth[best_image, rows],
        "image_to_own_caption": best_text == rows,
    }


def top1(sim: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Top-1 retrieval scores: the hit rates of ``top1_hits``."""
    return {k: float(v.mean()) for k, v in top1_hits(sim, truth).items()}


def retrieval_chance(truth: np.ndarray) -> dict[str, float]:
    """What top-1 retrieval scores by picking at random, under the same rules: the share of captions true
    of a scene (image->text; averaged over scenes), of scenes a caption is true of (text->image; the same
    number, the mean of ``truth``), and 1 / N for the own caption. Far above 1 / N when captions are vague."""
    return {
        "image_to_text": float(truth.mean()),
        "text_to_image": float(truth.mean()),
        "image_to_own_caption": 1 / len(truth),
    }


def retrieval_hits(model, proc, scenes, seed: int = 0, pool: int | None = None) -> tuple[dict, dict]:
    """(hits, chance): ``top1_hits`` per item among ``pool`` scenes at a time (default: all of them),
    one caption per scene, drawn with ``seed``, concatenated over the pools; and ``retrieval_chance``
    averaged over the pools.

    A retrieved caption counts as correct when it is *true of the scene* (``wmlib.world.captions.
    truth_matrix``), which is fairer than asking for the one caption written for it: a caption like
    "a small red ball on the left" fits many scenes. Chance rises accordingly.
    """
    from wmlib.world.captions import captions_with_claims, truth_matrix

    texts, claims = captions_with_claims(scenes, seed=seed)
    image, text = embed(model, proc, images=photos(model, scenes), texts=texts)
    pool = pool or len(scenes)
    hits, chance = [], []
    for lo in range(0, len(scenes), pool):
        hi = min(lo + pool, len(scenes))
        truth = truth_matrix(claims[lo:hi], scenes[lo:hi]).T  # [scene, caption]
        hits.append(top1_hits((image[lo:hi] @ text[lo:hi].T).numpy(), truth))
        chance.append((hi - lo, retrieval_chance(truth)))
    return (
        {k: np.concatenate([h[k] for h in hits]) for k in hits[0]},
        {k: sum(n * c[k] for n, c in chance) / len(scenes) for k in chance[0][1]},
    )


def retrieval(model, proc, scenes, seed: int = 0, pool: int | None = None) -> dict[str, float]:
    """Top-1 retrieval scores among ``pool`` scenes at a time: the hit rates of ``retrieval_hits``."""
    return {k: float(v.mean()) for k, v in retrieval_hits(model, proc, scenes, seed, pool)[0].items()}


def evaluate(model, proc, n: int = 1000, seed: int = 99) -> dict[str, float]:
    """What the toy CLIP learned, on ``n`` scenes it never saw (other seeds than training): zero-shot
    accuracy with prompt ensembles for colour, shape and size of one-object scenes (chance: 1/8, 1/3,
    1/2), and top-1 retrieval among all ``n`` scenes of 1 to 3 objects (true-caption rule)."""
    from wmlib.world import sample_scenes

    model.eval()
    scores = {
        f"zero_shot_{k}": v
        for k, v in zero_shot_accuracy(model, proc, sample_scenes(n, seed=seed, n_objects=1)).items()
    }
    found = retrieval(model, proc, sample_scenes(n, seed=seed + 1), seed=0)
    scores.update({f"retrieval_{k}": v for k, v in found.items()})
    return {k: round(v, 4) for k, v in scores.items()}


def contrast_scenes(n: int, seed: int = 0, n_objects=(1, 3), size: bool = True):
    """``n`` random scenes, each followed by its counterfactuals: one object (chosen at random) in each
    of the two other shapes, and (with ``size``) in the other size. ``4 n`` scenes in all, in groups of
    four (``3 n`` in groups of three without ``size``: then only shape tells a group's scenes apart).

    In a batch of random scenes, colour and position alone tell most pairs apart, so CLIP learns
    shape last. A group puts scenes that differ *only* in one object's shape or size side by side:
    hard negatives that a photo collection cannot supply, but a world model can.
    """
    from wmlib.world.scene import SHAPES, sample_scenes, vary

    base = sample_scenes(n, seed=seed, n_objects=n_objects)
    rng = np.random.default_rng([seed, 1])
    slot = (rng.random(n) * base.n_objects).astype(int)  # the objects fill the first slots
    rows = np.arange(n)
    shape, size_now = base.shape[rows, slot], base.size[rows, slot]
    group = [base, vary(base, slot, shape=(shape + 1) % len(SHAPES)), vary(base, slot, shape=(shape + 2) % len(SHAPES))]
    if size:
        group.append(vary(base, slot, size=1 - size_now))
    order = (np.arange(n)[:, None] + n * np.arange(len(group))[None, :]).ravel()  # scene, its variants, next scene
    return type(base).concat(group)[order]


def decays(name: str, parameter) -> bool:
    """Whether weight decay applies to a parameter: to weight matrices only, as in CLIP (Radford et al.,
    2021, section 2.5: "all weights that are not gains or biases") and open_clip, which also spare the
    logit scale (decay would pull the temperature towards 1) and every other 1-D parameter."""
    return parameter.ndim >= 2 and "logit_scale" not in name


def group_loss(logits, group: int):
    """CLIP's symmetric cross-entropy with each image and caption compared only to the others of its
    own group of ``group`` consecutive pairs (the rest of the batch is masked out): only what differs
    within a group can lower it. ``logits``: the (N, N) scaled similarities, N a multiple of ``group``."""
    import torch
    import torch.nn.functional as F

    n = len(logits)
    ids = torch.arange(n, device=logits.device) // group
    masked = logits.masked_fill(ids[:, None] != ids[None, :], float("-inf"))
    labels = torch.arange(n, device=logits.device)
    return (F.cross_entropy(masked, labels) + F.cross_entropy(masked.T, labels)) / 2


def train(
    model,
    proc,
    steps: int = 3000,
    batch_size: int = 128,
    lr: float = 1e-3,
    n_scenes: int = 8000,
    seed: int = 0,
    progress: bool = True,
    log_every: int = 50,
    n_objects=(1, 3),
    hard_negatives: bool = True,
    text_delay: int = 0,
    size_negatives: bool = True,
    within_groups: bool = False,
    decay_all: bool = False,
) -> list[dict]:
    """Train on toy-world image-caption pairs: ``n_scenes`` scenes of ``n_objects`` objects (a count
    or a range), with their counterfactuals in groups of four when ``hard_negatives``
    (``contrast_scenes``; a batch holds ``batch_size / 4`` whole groups). Every caption is re-drawn
    (paraphrased) each epoch. Returns the loss and temperature every ``log_every`` steps.

    ``text_delay``: the number of first steps in which the text tower stays at its random start
    (``steps``: it never learns). Why wait: at first the image tower gives every image almost the same
    embedding (a small object in a large, unchanging cave), and a text tower that learns then lowers the
    loss the cheapest way, by making all captions alike; words it has merged give the image tower
    nothing to tell apart. Held still, the random text tower keeps the captions apart while the image
    tower learns to see.

    ``size_negatives``: the groups hold the size counterfactual (groups of four) or only the two shape
    ones (groups of three). ``within_groups``: the loss compares each pair only with the others of its
    group (``group_loss``), so that only the counterfactual change tells pairs apart; otherwise with the
    whole batch (CLIP's loss). Weight decay (0.1) applies to weight matrices only (``decays``), unless
    ``decay_all``: every parameter, the logit scale, gains and biases too (the recipe of the shipped
    checkpoint, kept so that its manifest's command still reproduces it).
    """
    from wmlib.world.captions import caption
    from wmlib.world.scene import sample_scenes

    group = (4 if size_negatives else 3) if hard_negatives else 1
    if batch_size % group:
        raise ValueError(f"with hard negatives the batch holds whole groups of {group} scenes; batch_size={batch_size}")
    if within_groups and not hard_negatives:
        raise ValueError("within_groups needs the groups of counterfactuals: hard_negatives=True")
    if not 0 <= text_delay <= steps:
        raise ValueError(f"text_delay={text_delay} must be between 0 and steps={steps}")
    start = time.perf_counter()  # the time recorded includes rendering the images
    scenes = (
        contrast_scenes(n_scenes, seed, n_objects, size=size_negatives)
        if hard_negatives
        else sample_scenes(n_scenes, seed, n_objects)
    )
    images = _render(model, scenes, progress)
    generator = torch.Generator().manual_seed(seed)
    groups = {(tower, decay): [] for tower in ("image", "text") for decay in (True, False)}
    for name, q in model.named_parameters():
        tower = "text" if name.startswith(("text_model.", "text_projection.")) else "image"
        groups[tower, decay_all or decays(name, q)].append(q)
    keys = [k for k in groups if groups[k]]
    optimiser = torch.optim.AdamW([{"params": groups[k], "weight_decay": 0.1 if k[1] else 0.0} for k in keys], lr=lr)
    from wmlib.training import warmup_cosine

    warmup = max(1, min(200, steps // 10))

    def cosine(s: int) -> float:
        return warmup_cosine(min(s, steps), steps, warmup)

    # A learning rate of 0 also stops AdamW's weight decay, so the text tower really stays where it started.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, [(lambda s: cosine(s) if s >= text_delay else 0.0) if k[0] == "text" else cosine for k in keys]
    )
    history, order, epoch = [], torch.empty(0, dtype=torch.long), -1
    steps_iter = range(steps)
    if progress:
        from wmlib.progress import progress as bar

        steps_iter = bar(steps_iter, desc="training the toy CLIP")
    model.train()
    for step in steps_iter:
        if len(order) < batch_size:  # a new epoch: a new order of the groups, new paraphrases
            epoch += 1
            groups = torch.randperm(len(scenes) // group, generator=generator)
            order = (groups[:, None] * group + torch.arange(group)).flatten()
        batch, order = order[:batch_size], order[batch_size:]
        # Within a group every caption is drawn with the same rng, so their words differ only where the scenes do.
        draws = [int(i) // group if within_groups else int(i) for i in batch]
        texts = [caption(scenes, int(i), np.random.default_rng([seed, epoch, d])) for i, d in zip(batch, draws)]
        tokens = proc.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        out = model(**tokens, pixel_values=pixel_values(images[batch.numpy()]), return_loss=not within_groups)
        loss = group_loss(out.logits_per_image, group) if within_groups else out.loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))  # CLIP clips the scale at 100
        if step % log_every == 0 or step == steps - 1:
            history.append(
                {
                    "step": step,
                    "loss": round(loss.item(), 4),
                    "temperature": round(1 / model.logit_scale.exp().item(), 4),
                    "seconds": round(time.perf_counter() - start, 1),
                }
            )
    model.eval()
    return history


def _render(model, scenes, progress: bool, chunk: int = 1024) -> np.ndarray:
    """The camera images of all ``scenes`` at the model's size, uint8, rendered ``chunk`` at a time."""
    starts = range(0, len(scenes), chunk)
    if progress:
        from wmlib.progress import progress as bar

        starts = bar(starts, desc=f"rendering {len(scenes)} images", unit="chunk")
    return np.concatenate([photos(model, scenes[i : i + chunk]) for i in starts])


def save(model, proc, out: Path, command: str, seed: int, history: list[dict], scores: dict, settings: dict) -> dict:
    """Save weights, processor and a manifest (command, seed, settings, sha256 and size of every file, scores)."""
    import transformers

    from wmlib.checkpoints import file_records, write_manifest

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    proc.save_pretrained(out)
    files = file_records(out)
    manifest = {
        "name": out.name,
        "description": "a CLIPModel trained from scratch on toy-world image-caption pairs",
        "command": command,
        "seed": seed,
        "settings": settings,
        "scores": scores,
        "final_loss": history[-1]["loss"],
        "temperature": history[-1]["temperature"],
        "train_seconds": history[-1]["seconds"],
        "parameters": sum(p.numel() for p in model.parameters()),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "files": files,
    }
    write_manifest(out, manifest)
    return manifest


# --- why contrastive learning skips shape: a controlled experiment ------------------------------------

# The arms of the shape study: the same small CLIP, the same number of images (3,000 one-object scenes)
# and steps; only what tells the pairs of a batch apart changes.
STUDY_ARMS = {
    "random batches": dict(hard_negatives=False),  # CLIP's recipe: colour, size and place tell most pairs apart
    "only shape tells apart": dict(hard_negatives=True, size_negatives=False, within_groups=True),  # shape twins
}
STUDY_IMAGES = 3000
STUDY_TEST = (1000, 99)  # held-out one-object scenes: n, seed (those of the notebook's zero-shot test)


def shape_study(
    out: Path,
    steps: int = 1500,
    seeds=(0, 1, 2),
    batch_size: int = 48,
    lr: float = 2e-3,
    width: int = 64,
    layers: int = 2,
    progress: bool = True,
) -> dict:
    """Train a small CLIP (``width``, ``layers``) from scratch in every arm of ``STUDY_ARMS``, once per
    seed, on one-object scenes, and save per held-out scene whether zero-shot colour, shape and size are
    right (``results.npz``, keys ``"{arm}|{seed}|{factor}"``) with a manifest. Returns the manifest."""
    import torch
    import transformers

    from wmlib.checkpoints import file_records
    from wmlib.world import sample_scenes

    start = time.perf_counter()
    test = sample_scenes(STUDY_TEST[0], seed=STUDY_TEST[1], n_objects=1)
    arrays, runs = {}, []
    for arm, how in STUDY_ARMS.items():
        for seed in seeds:
            model, proc = build(seed=seed, width=width, layers=layers)
            group = 3 if how["hard_negatives"] else 1
            history = train(
                model,
                proc,
                steps=steps,
                batch_size=batch_size,
                lr=lr,
                n_scenes=STUDY_IMAGES // group,
                seed=seed,
                n_objects=1,
                progress=False,
                **how,
            )
            correct = zero_shot_correct(model, proc, test)
            for factor, c in correct.items():
                arrays[f"{arm}|{seed}|{factor}"] = c
            runs.append(
                {
                    "arm": arm,
                    "seed": seed,
                    "final_loss": history[-1]["loss"],
                    "temperature": history[-1]["temperature"],
                    "seconds": history[-1]["seconds"],
                    **{f"zero_shot_{f}": round(float(c.mean()), 4) for f, c in correct.items()},
                }
            )
            if progress:
                print(json.dumps(runs[-1]), flush=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "results.npz", **arrays)
    seeds_text = " ".join(str(s) for s in seeds)
    manifest = {
        "name": out.name,
        "description": "zero-shot colour, shape and size of small CLIPs trained from scratch with two "
        "kinds of batches (wmlib.clip.contrastive.STUDY_ARMS), per held-out scene",
        "command": f"python -m wmlib.clip.contrastive shape-study --out {out} --steps {steps} --seeds {seeds_text}",
        "settings": {
            "steps": steps,
            "seeds": list(seeds),
            "batch_size": batch_size,
            "lr": lr,
            "width": width,
            "layers": layers,
            "images": STUDY_IMAGES,
            "image_size": IMAGE_SIZE,
            "test": {"n": STUDY_TEST[0], "seed": STUDY_TEST[1], "n_objects": 1},
            "arms": STUDY_ARMS,
            "threads": torch.get_num_threads(),
        },
        "runs": runs,
        "seconds": round(time.perf_counter() - start, 1),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "files": file_records(out),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def study_path() -> Path:
    """Where the shipped shape study lives: ``data/runs/clip-shape-study`` (``$WMLIB_DATA`` moves ``data/``)."""
    from wmlib.registry import data_dir

    return data_dir() / "runs" / "clip-shape-study"


def load_shape_study(folder: Path | None = None) -> tuple[dict, dict[str, dict[int, dict[str, np.ndarray]]]]:
    """(manifest, results) of the shipped shape study, checked against its manifest's sha256:
    ``results[arm][seed][factor]`` is one bool per held-out scene, True where zero-shot was right."""
    from wmlib.checkpoints import verify_checkpoint

    folder = Path(folder or study_path())
    manifest = verify_checkpoint(folder)
    results: dict = {}
    with np.load(folder / "results.npz") as z:
        for key in z.files:
            arm, seed, factor = key.split("|")
            results.setdefault(arm, {}).setdefault(int(seed), {})[factor] = z[key]
    return manifest, results


def study_figure(results: dict, chance: dict[str, float], title: str = "zero-shot accuracy on 1,000 held-out scenes"):
    """One panel per factor: each run of ``results`` (``load_shape_study``) as a dot with its 95%
    bootstrap interval over the held-out scenes, grouped by arm, and chance as a dashed line."""
    import matplotlib.pyplot as plt

    from wmlib.stats import share_interval

    fig, axes = plt.subplots(1, len(FACTORS), figsize=(3.2 * len(FACTORS), 3.2), sharey=True)
    arms = list(results)
    for ax, factor in zip(axes, FACTORS):
        for a, arm in enumerate(arms):
            seeds = sorted(results[arm])
            for k, seed in enumerate(seeds):
                flags = results[arm][seed][factor]
                low, high = share_interval(flags)
                x = a + (k - (len(seeds) - 1) / 2) * 0.12
                ax.errorbar(
                    x,
                    flags.mean(),
                    yerr=[[flags.mean() - low], [high - flags.mean()]],
                    fmt="o",
                    color=f"C{a}",
                    capsize=3,
                    label=arm if k == 0 else None,
                )
        ax.axhline(chance[factor], color="0.5", linestyle="--", lw=1)
        ax.set_xticks(range(len(arms)), [a.replace(" ", "\n", 1) for a in arms], fontsize=8)
        ax.set_xlim(-0.5, len(arms) - 0.5)
        ax.set_ylim(0, 1.02)
        ax.set_title(factor)
    axes[0].set_ylabel("accuracy (dashed: chance)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wmlib.clip.contrastive", description="Train the toy CLIP.")
    parser.add_argument("what", choices=["train", "shape-study"])
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: data/models/toy-clip (train), data/runs/clip-shape-study (shape-study)",
    )
    parser.add_argument("--steps", type=int, default=None, help="default: 2500 (train), 1500 (shape-study)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="shape-study: one run per arm and seed")
    parser.add_argument(
        "--decay-all",
        action="store_true",
        help="weight decay on every parameter, the logit scale, gains and biases too (see train)",
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--scenes", type=int, default=8000, help="scenes, each with 3 counterfactuals")
    parser.add_argument("--text-delay", type=int, default=300, help="steps the text tower waits (see train)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    from wmlib import env

    env.set_threads(args.threads)
    if args.what == "shape-study":
        manifest = shape_study(args.out or study_path(), steps=args.steps or 1500, seeds=tuple(args.seeds))
        print(json.dumps({"seconds": manifest["seconds"]}))
        return
    args.out, args.steps = args.out or Path("data/models/toy-clip"), args.steps or 2500
    env.seed_everything(args.seed)
    model, proc = build(seed=args.seed)
    history = train(
        model,
        proc,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        n_scenes=args.scenes,
        seed=args.seed,
        text_delay=args.text_delay,
        decay_all=args.decay_all,
    )
    scores = evaluate(model, proc)
    command = (
        f"python -m wmlib.clip.contrastive train --out {args.out} --steps {args.steps} --batch-size {args.batch_size} "
        f"--lr {args.lr:g} --scenes {args.scenes} --text-delay {args.text_delay} --seed {args.seed}"
        + (" --decay-all" if args.decay_all else "")
    )
    settings = {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "scenes": args.scenes,
        "hard_negatives": True,
        "text_delay": args.text_delay,
        "image_size": image_size(model),
        "weight_decay": "every parameter" if args.decay_all else "weight matrices only",
        "threads": args.threads or env.default_threads(),
    }
    manifest = save(model, proc, args.out, command, args.seed, history, scores, settings)
    print(json.dumps({k: manifest[k] for k in ("scores", "final_loss", "temperature", "train_seconds", "parameters")}))


if __name__ == "__main__":
    main()
