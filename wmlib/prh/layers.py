"""Every layer of a vision model and of a language model, on the same image-caption pairs: the raw
material of the Platonic Representation Hypothesis's cross-modal experiment (Huh et al., 2024, Fig. 3).

The protocol is the paper's (App. C.2) as its repository ``minyoungg/platonic-rep`` runs it:

- data: 1,024 image-caption pairs from WIT, Wikipedia-based Image Text (``wit_pairs``);
- a vision transformer gives, for each image, the class token of every block's output
  (``vision_layer_features``: L blocks, so (L, N, D));
- a language model gives, for each caption, every hidden state (the token embeddings, then each block)
  averaged over the caption's real tokens (``language_layer_features``: (L + 1, N, D)), and its
  language-modelling score, 1 - bits per byte, the paper's measure of how good the model is;
- alignment: clip each model's features above the 95th percentile of their magnitude, L2-normalise,
  score every (vision layer, language layer) pair with mutual k-NN (k = 10) and keep the best
  (``family_alignment``; the metrics are in ``wmlib.prh.alignment``).

Everything runs on whatever device the model is on; the results come back as float32 on the CPU.

Example (``real`` mode: a GPU and the model hub)::

    import wmlib
    from wmlib.prh.layers import family_alignment, language_layer_features, vision_layer_features, wit_pairs

    images, captions = wit_pairs()
    vision = {n: vision_layer_features(*wmlib.load(n, mode="real"), images) for n in ("dinov2-small", "dinov2-base")}
    language, bpb = {}, {}
    for n in ("pythia-70m", "pythia-160m"):
        language[n], bpb[n] = language_layer_features(*wmlib.load(n, mode="real"), captions)
    scores, best_layers = family_alignment(vision, language)   # (2, 2) mutual k-NN, best layer pairs
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from wmlib.encoders import batches  # a light import: the encoders load torch only when they run

if TYPE_CHECKING:  # only for the type hints: importing these at run time would make the import slow
    import numpy as np
    import torch
    from PIL import Image

WIT_REPO = "minhuh/prh"  # the paper's data, as its repository loads it
WIT_REVISION = "wit_1024"  # the branch that holds the exact 1,024 pairs of the paper
WIT_SIZE = 1024


def _device_and_dtype(model: Any) -> tuple[torch.device, torch.dtype]:
    from wmlib.env import model_device

    return model_device(model), next(model.parameters()).dtype


# --- vision -----------------------------------------------------------------------------------------


def vision_layer_features(
    model: Any, processor: Any, images: Sequence[Image.Image | np.ndarray], batch_size: int = 32, progress: bool = True
) -> torch.Tensor:
    """The class token of every transformer block's output, for every image: shape (L, N, D).

    ``model``: a transformers vision transformer whose first token is the class token (``Dinov2Model``,
    ``ViTModel``, ...), on any device, in any dtype. ``processor``: its image processor.
    ``images``: a sequence of PIL images (a list, or ``EncodedImages``, decoded a batch at a time) or of
    uint8 arrays of shape (H, W, 3).

    As the paper's repository, which reads timm's ``blocks.{i}.add_1``: the residual stream after each
    block, before the final layer norm. In transformers these are ``hidden_states[1:]``
    (``hidden_states[0]`` is the patch embeddings, before any block).
    """
    import torch

    if len(images) == 0:  # images may be lazy (``EncodedImages``): index them, never list them all
        raise ValueError("no images: the list is empty")
    device, dtype = _device_and_dtype(model)
    per_batch = []
    with torch.inference_mode():
        for i in batches(len(images), batch_size, progress, "vision layers"):
            pixels = processor(images=images[i : i + batch_size], return_tensors="pt")["pixel_values"]
            hidden = model(pixel_values=pixels.to(device, dtype), output_hidden_states=True).hidden_states
            per_batch.append(torch.stack([h[:, 0] for h in hidden[1:]]).float().cpu())  # (L, B, D)
    return torch.cat(per_batch, dim=1)


# --- language ---------------------------------------------------------------------------------------


def language_layer_features(
    model: Any, tokenizer: Any, texts: Sequence[str], batch_size: int = 4, progress: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every hidden state averaged over each text's tokens, and each text's bits per byte.

    Returns ``(features, bits_per_byte)``: ``features`` (L + 1, N, D), the token embeddings then the
    output of each of the L blocks, each the mean over the text's real tokens (padding is masked out);
    ``bits_per_byte`` (N,), the model's cross-entropy on the text in bits, divided by the text's UTF-8
    bytes. The paper's language-modelling score is ``language_score(bits_per_byte)``.

    ``model``: a transformers causal language model (``AutoModelForCausalLM``), on any device, in any
    dtype. ``tokenizer``: its tokenizer (left unchanged). Texts are padded on the left, as the paper's
    repository does (batch size 4 there too), so that every text ends at the last position.
    """
    import inspect

    import torch
    import torch.nn.functional as F

    if isinstance(texts, str):
        raise TypeError("pass a list of texts, e.g. [text], not a single string")
    texts = list(texts)
    if not texts:
        raise ValueError("no texts: the list is empty")
    ids = tokenizer(texts)["input_ids"]
    empty = [i for i, x in enumerate(ids) if not x]
    if empty:
        raise ValueError(f"text {empty[0]} has no tokens ({texts[empty[0]]!r}); every text needs at least one")
    # Where the tokenizer has no padding token, the reference pads with end-of-text; the value never
    # matters, because the attention mask hides it.
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    # Positions counted from each text's first real token, as ``generate`` does: models with absolute
    # positions then see a padded text exactly as they see it alone (rotary ones, like Pythia, would
    # anyway, up to rounding).
    takes_positions = "position_ids" in inspect.signature(model.forward).parameters
    device, _ = _device_and_dtype(model)

    features, bits_per_byte = [], []
    with torch.inference_mode():
        for i in batches(len(texts), batch_size, progress, "language layers"):
            input_ids, mask = left_pad(ids[i : i + batch_size], pad_id)
            input_ids, mask = input_ids.to(device), mask.to(device)
            extra = {"position_ids": (mask.cumsum(-1) - 1).clamp(min=0)} if takes_positions else {}
            out = model(input_ids=input_ids, attention_mask=mask, output_hidden_states=True, **extra)
            hidden = torch.stack(out.hidden_states).float()  # (L + 1, B, T, D)
            weights = mask[None, :, :, None].float()
            features.append(((hidden * weights).sum(2) / weights.sum(2)).cpu())
            # Position t predicts token t + 1. With left padding, t is real only if t + 1 is, so the mask
            # of the predicting position keeps exactly the real targets (all tokens but the first).
            nats = F.cross_entropy(out.logits[:, :-1].float().transpose(1, 2), input_ids[:, 1:], reduction="none")
            bits = (nats * mask[:, :-1]).sum(1) * math.log2(math.e)
            n_bytes = torch.tensor([len(t.encode("utf-8")) for t in texts[i : i + batch_size]], device=device)
            bits_per_byte.append((bits / n_bytes).cpu())
    return torch.cat(features, dim=1), torch.cat(bits_per_byte)


def left_pad(ids: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id lists -> ``(input_ids, attention_mask)``, both (B, T), with the padding on the left."""
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, x in enumerate(ids):
        input_ids[row, width - len(x) :] = torch.as_tensor(x, dtype=torch.long)
        mask[row, width - len(x) :] = 1
    return input_ids, mask


def language_score(bits_per_byte: torch.Tensor | np.ndarray | Sequence[float]) -> float:
    """The paper's language-modelling score: 1 - the mean bits per byte (higher is better)."""
    import numpy as np

    return 1.0 - float(np.mean(np.asarray(bits_per_byte, dtype=np.float64)))


# --- data -------------------------------------------------------------------------------------------


class EncodedImages(Sequence):
    """Images kept as their encoded files (JPEG, PNG...) and decoded to RGB PIL images only when
    indexed: the WIT photographs are stored as they were downloaded, not resized, and decoding 1,024 of
    them at once can take gigabytes of memory. A sequence: ``len``, ``images[i]``, ``images[i:j]`` (a
    list), iteration."""

    def __init__(self, files: Sequence[bytes]) -> None:
        self.files = list(files)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [_decode(f) for f in self.files[index]]
        return _decode(self.files[index])

    def __repr__(self) -> str:
        return f"EncodedImages({len(self)} images, {sum(map(len, self.files)) / 1e6:.1f} MB encoded)"


def _decode(file: bytes) -> Image.Image:
    import io

    from PIL import Image

    return Image.open(io.BytesIO(file)).convert("RGB")


def wit_pairs(n: int = WIT_SIZE) -> tuple[EncodedImages, list[str]]:
    """The paper's WIT image-caption pairs: ``(images, captions)``, the first ``n`` of 1,024.

    Dataset ``minhuh/prh`` on the Hugging Face hub, revision ``wit_1024``, split ``train``: each row has
    an ``image`` and a list of texts ``text``, whose first entry is the image's caption (the one the
    paper uses). The parquet files are downloaded once with ``huggingface_hub`` into its cache and read
    with ``pyarrow`` (preinstalled in Colab; elsewhere ``pip install pyarrow``). ``images`` decodes each
    image when it is indexed (``EncodedImages``); ``images[i]`` is an RGB PIL image.
    """
    if not 1 <= n <= WIT_SIZE:
        raise ValueError(f"n must be between 1 and {WIT_SIZE}, got {n}")
    table = _read_parquet(_download_wit())
    if "image" not in table.column_names or "text" not in table.column_names:
        raise ValueError(f"{WIT_REPO}@{WIT_REVISION} has columns {table.column_names}, not 'image' and 'text'")
    rows = table.slice(0, n).select(["image", "text"]).to_pylist()
    # The datasets library stores an image as {"bytes": the encoded file, "path": its name}.
    images = EncodedImages([row["image"]["bytes"] for row in rows])
    captions = [str(row["text"][0]) for row in rows]
    return images, captions


def _download_wit() -> list[str]:
    """The local paths of the train split's parquet files, downloading them if they are not cached."""
    from pathlib import Path

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    from wmlib import env
    from wmlib.loading import CannotLoad

    hub = env.hub_status()  # within 2 s: an offline machine is told at once, not after retries
    try:
        folder = snapshot_download(
            WIT_REPO,
            repo_type="dataset",
            revision=WIT_REVISION,
            allow_patterns=["*.parquet"],
            local_files_only=not hub.reachable,
        )
    except LocalEntryNotFoundError:
        raise CannotLoad(
            f"the paper's WIT pairs ({WIT_REPO}, revision {WIT_REVISION}) come from the Hugging "
            f"Face hub, which is unreachable here ({hub.reason}), and they are not in the local "
            "cache. Run this once where the hub can be reached (e.g. Colab); later runs read the "
            "cache."
        ) from None
    files = sorted(Path(folder).rglob("*.parquet"))
    train = [f for f in files if "train" in f.name] or files
    if not train:
        raise CannotLoad(
            f"{WIT_REPO}@{WIT_REVISION} has no parquet files (in {folder}); read it with the datasets "
            f"library instead: pip install datasets, then datasets.load_dataset({WIT_REPO!r}, "
            f"revision={WIT_REVISION!r}, split='train')"
        )
    return [str(f) for f in train]


def _read_parquet(paths: list[str]):
    """One pyarrow table of the parquet files, in order."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ImportError(
            "reading the WIT pairs needs pyarrow, which is not installed. Install it with:\n    pip install pyarrow"
        ) from err
    return pa.concat_tables([pq.read_table(p) for p in paths])


# --- alignment --------------------------------------------------------------------------------------


def family_alignment(
    vision_feats: dict[str, torch.Tensor],
    language_feats: dict[str, torch.Tensor],
    metric: str = "mutual_knn",
    k: int = 10,
    q: float = 0.95,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The alignment of every vision model with every language model, each at its best pair of layers.

    ``vision_feats`` and ``language_feats``: name -> (layers, N, D) features of the same N pairs, in the
    same order (as ``vision_layer_features`` and ``language_layer_features`` return them). Returns
    ``(scores, layers)``: ``scores[i, j]`` (float) is the best ``metric`` over all layer pairs of vision
    model i and language model j (in the dicts' order); ``layers[i, j]`` (int) holds that pair's
    (vision layer, language layer).

    As the paper: each model's features are clipped at the ``q`` quantile of their magnitude, one
    threshold over all its layers ("emergent outliers"), then L2-normalised
    (``wmlib.prh.alignment.prepare_layers``); then the max over layer pairs, as
    ``wmlib.prh.alignment.best_layer_pair``, with ``k`` neighbours.
    """
    import itertools

    import numpy as np

    if not vision_feats or not language_feats:
        raise ValueError("family_alignment needs at least one vision model and one language model")
    everything = {
        **{f"vision {n}": f for n, f in vision_feats.items()},
        **{f"language {n}": f for n, f in language_feats.items()},
    }
    for name, feats in everything.items():
        if feats.ndim != 3:
            raise ValueError(f"{name}: features must be (layers, N, D), got shape {tuple(feats.shape)}")
    counts = {name: feats.shape[1] for name, feats in everything.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(f"every model must see the same N pairs; N per model: {counts}")

    from wmlib.prh.alignment import layer_neighbours, neighbour_overlap, prepare_layers, score

    # Prepare (and for mutual k-NN, find the neighbours of) each model once, not once per model pair.
    if metric == "mutual_knn":
        vision = [layer_neighbours(list(f), k, q) for f in vision_feats.values()]
        language = [layer_neighbours(list(f), k, q) for f in language_feats.values()]
        compare = neighbour_overlap
    else:
        vision = [prepare_layers(list(f), q) for f in vision_feats.values()]
        language = [prepare_layers(list(f), q) for f in language_feats.values()]
        compare = lambda a, b: score(a, b, metric, k=k)  # noqa: E731
    scores = np.zeros((len(vision), len(language)))
    layers = np.zeros((len(vision), len(language), 2), dtype=int)
    pairs = list(itertools.product(range(len(vision)), range(len(language))))
    if progress:
        from wmlib.progress import progress as bar

        pairs = bar(pairs, desc=f"{metric} over layer pairs", unit="model pair")
    for i, j in pairs:
        found = {(a, b): compare(x, y) for a, x in enumerate(vision[i]) for b, y in enumerate(language[j])}
        best = max(found, key=found.get)
        scores[i, j], layers[i, j] = found[best], best
    return scores, layers
