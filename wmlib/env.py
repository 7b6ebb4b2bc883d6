"""The machine the course runs on: device, memory, disk, Colab, the model hub, seeds, threads.

Everything here is cheap to import; torch is imported only by the functions that need it. Nothing here
knows about modes or lessons: ``wmlib.session`` puts these facts together for ``setup()`` and ``report()``.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import sys
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

GiB = 1024**3
HUB_ENDPOINT = "https://huggingface.co"
_TRUE = {"1", "true", "yes", "on"}


# --- device and memory -----------------------------------------------------------------------


def device() -> str:
    """The best torch device here: ``"cuda"``, ``"mps"`` or ``"cpu"``."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def native_bf16() -> bool:
    """Whether the CUDA GPU computes in bfloat16 natively: compute capability 8.0 or newer (A100, A10G,
    L4, RTX 30xx/40xx, H100).

    Not ``torch.cuda.is_bf16_supported()``: by default it also answers True where bfloat16 is only
    emulated (a T4 or V100), which has no fused attention and no cuDNN convolutions in bfloat16, so
    CogVideoX-5b runs out of memory there (zai-org/CogVideo#204).
    """
    import torch

    return torch.cuda.is_available() and torch.cuda.get_device_capability(0)[0] >= 8


def default_dtype(dev: str | None = None):
    """The dtype models should run in on ``dev``.

    bfloat16 on GPUs that compute in it natively (``native_bf16``); float16 on older GPUs (a T4 or V100)
    and on Apple's MPS; float32 on the CPU, where half precision is slow and inexact.
    """
    import torch

    dev = dev or device()
    if dev == "cuda":
        return torch.bfloat16 if native_bf16() else torch.float16
    if dev == "mps":
        return torch.float16
    return torch.float32


def model_device(model):
    """The torch device ``model`` computes on.

    For a diffusers pipeline, its execution device: under CPU offload its weights wait on the CPU or on
    ``meta`` and are brought to the GPU layer by layer, so their own device is not where inputs belong.
    For anything else (a transformers model, a torch module), the device of its first parameter.
    """
    import torch

    if hasattr(model, "_execution_device"):
        return torch.device(model._execution_device)
    return next(model.parameters()).device


def to_model(model, inputs):
    """``inputs`` (a tensor, or a mapping of them such as a processor's output) on the device ``model``
    computes on (``model_device``): the one place wmlib moves a model's inputs. Non-tensors pass as they are."""
    dev = model_device(model)
    if hasattr(inputs, "to") and not isinstance(inputs, dict):
        return inputs.to(dev)
    return {k: v.to(dev) if hasattr(v, "to") else v for k, v in inputs.items()}


@dataclass(frozen=True)
class GPU:
    name: str
    total_gb: float
    free_gb: float  # free for this process: what the driver reports free, plus what torch holds cached but unused


def gpu() -> GPU | None:
    """Name and memory of the first CUDA GPU, or None when there is none."""
    import torch

    if not torch.cuda.is_available():
        return None
    free, total = torch.cuda.mem_get_info(0)
    # torch keeps freed blocks cached for reuse: the driver counts them as taken, but this process can use them.
    cached = torch.cuda.memory_reserved(0) - torch.cuda.memory_allocated(0)
    return GPU(torch.cuda.get_device_name(0), total / GiB, (free + cached) / GiB)


def ram_gb() -> tuple[float, float | None]:
    """(total, available) system memory in GiB; available is None where it cannot be read."""
    try:
        import psutil

        vm = psutil.virtual_memory()
        return vm.total / GiB, vm.available / GiB
    except ImportError:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB
        return total, None


def model_cache_dir() -> str:
    """Where downloaded hub models go (``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or ``~/.cache/huggingface/hub``)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return os.path.join(home, "hub")


def free_disk_gb(path: str | os.PathLike | None = None) -> float:
    """Free disk space in GiB at ``path`` (default: the model cache, or its nearest existing parent)."""
    path = os.path.abspath(path if path is not None else model_cache_dir())
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return shutil.disk_usage(path).free / GiB


def cpu_count() -> int:
    """CPU cores this process may use (respects affinity and container limits on Linux)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def in_colab() -> bool:
    """Whether this runs in a Google Colab kernel (which imports ``google.colab`` at start)."""
    return "google.colab" in sys.modules


# --- the model hub ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HubStatus:
    reachable: bool
    reason: str


_hub_cache: dict[tuple[str, int], HubStatus] = {}


def hub_offline_flag() -> str | None:
    """The environment variable that switches the hub off (``HF_HUB_OFFLINE=1``), if one does."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return f"{var}=1"
    return None


def _connect(host: str, port: int, timeout: float) -> None:
    socket.create_connection((host, port), timeout=timeout).close()


def hub_status(timeout: float = 2.0, refresh: bool = False) -> HubStatus:
    """Whether the model hub answers, decided within ``timeout`` seconds and cached.

    Honours ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` and ``HF_ENDPOINT`` (a mirror). The probe
    runs in a daemon thread, because a DNS lookup ignores socket timeouts and can hang for long.
    """
    flag = hub_offline_flag()
    if flag:
        return HubStatus(False, flag)
    url = urlparse(os.environ.get("HF_ENDPOINT") or HUB_ENDPOINT)
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    key = (host, port)
    if key in _hub_cache and not refresh:
        return _hub_cache[key]

    outcome: list[HubStatus] = []

    def probe() -> None:
        try:
            _connect(host, port, timeout)
            outcome.append(HubStatus(True, f"{host} answers"))
        except OSError as err:
            outcome.append(HubStatus(False, f"cannot connect to {host}: {err.__class__.__name__}"))

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout)
    status = outcome[0] if outcome else HubStatus(False, f"no answer from {host} within {timeout:g} s")
    _hub_cache[key] = status
    return status


# --- reproducibility and threads -------------------------------------------------------------


def seed_everything(seed: int = 0) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed``."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def default_threads() -> int:
    """Torch threads to use: ``$WMLIB_THREADS``, else ``$OMP_NUM_THREADS``, else half the cores (1-4).

    Half, because a notebook's kernel shares the machine with Jupyter, pytest or a second kernel,
    and an oversubscribed core made torch 10-40x slower on a 2-core machine.
    """
    for var in ("WMLIB_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return max(1, min(4, cpu_count() // 2))


def set_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count (``default_threads()`` if ``n`` is None); returns it."""
    import torch

    n = default_threads() if n is None else int(n)
    if n < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    torch.set_num_threads(n)
    return n
