"""Will it fit? Decide how to run a model on this machine before loading anything.

``preflight(name)`` measures the machine (or takes a described one, for tests and for planning) and
returns a ``Plan``: the dtype, the memory option (everything on the GPU, model CPU offload, or
sequential CPU offload), VAE slicing and tiling, or a plain one-sentence refusal when nothing fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wmlib.registry import HubModel, OfflineModel, get

OPTIONS = ("none", "model_offload", "sequential_offload")  # fastest first
HEADROOM = 0.9  # use at most 90% of GPU memory and RAM: the CUDA context and fragmentation take the rest
CPU_PIPELINE_LIMIT_GB = 2.0  # a generation pipeline this small (a toy) may run on a CPU


@dataclass(frozen=True)
class Machine:
    """What preflight needs to know about a machine."""

    device: str                 # "cuda", "mps" or "cpu"
    gpu_gb: float = 0.0         # GPU memory, GiB
    ram_gb: float = 16.0        # system RAM, GiB
    bf16: bool = False          # whether the GPU computes in bfloat16 (a T4 does not)
    name: str = ""

    @classmethod
    def here(cls) -> "Machine":
        """This machine, measured."""
        from wmlib import env

        dev = env.device()
        gpu = env.gpu()
        bf16 = False
        if gpu is not None:
            import torch

            bf16 = torch.cuda.is_bf16_supported()
        return cls(dev, gpu.total_gb if gpu else 0.0, env.ram_gb()[0], bf16, gpu.name if gpu else dev)


# Described machines, for planning ("will it fit on a T4?") and for the tests.
MACHINES = {
    "cpu": Machine("cpu", 0.0, 16.0, False, "a laptop CPU"),
    "t4": Machine("cuda", 15.0, 12.7, False, "Colab T4"),
    "l4": Machine("cuda", 22.0, 53.0, True, "L4 24 GB"),
    "a100": Machine("cuda", 79.0, 83.0, True, "A100 80 GB"),
    "h100": Machine("cuda", 79.0, 200.0, True, "H100 80 GB"),
}


@dataclass(frozen=True)
class Plan:
    name: str
    fits: bool
    reason: str                       # one plain sentence: what was chosen and why, or why nothing fits
    device: str = "cpu"
    dtype: str = "float32"
    memory: str = "none"              # one of OPTIONS
    vae_slicing: bool = False
    vae_tiling: bool = False
    options_that_fit: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        return self.reason


def _dtype(entry: HubModel, machine: Machine) -> str:
    if machine.device == "cuda":
        return entry.dtypes.get("cuda" if machine.bf16 else "cuda-fp16", "float16")
    return entry.dtypes.get(machine.device, "float32")


def preflight(name: str | HubModel, machine: Machine | str | None = None, local_gb: float | None = None) -> Plan:
    """How ``name`` would run on ``machine`` (default: this one), decided without loading anything.

    ``local_gb``: the size of a local copy's weights; when given, the memory needs are estimated from it
    instead of the hub model's published figures (how tiny test copies of a pipeline run on a CPU).
    """
    entry = get(name) if isinstance(name, str) else name
    if isinstance(machine, str):
        if machine not in MACHINES:
            raise ValueError(f"unknown machine {machine!r}; described machines: {', '.join(MACHINES)}")
        machine = MACHINES[machine]
    machine = machine or Machine.here()
    if isinstance(entry, OfflineModel):
        return Plan(entry.name, True, f"{entry.name} is an offline model; it runs on the CPU", "cpu", "float32")

    dtype = _dtype(entry, machine)
    if entry.memory is None or (local_gb is not None and local_gb < CPU_PIPELINE_LIMIT_GB):
        # Models small enough to load whole: on the GPU if there is one, else on the CPU where allowed.
        size = local_gb if local_gb is not None else entry.download_gb
        if machine.device == "cpu" and not (entry.cpu_ok or size < CPU_PIPELINE_LIMIT_GB):
            return Plan(entry.name, False, f"{entry.name} needs a GPU; this machine has none")
        if machine.device != "cpu" and machine.gpu_gb and size * 1.5 > HEADROOM * machine.gpu_gb:
            return Plan(entry.name, False, f"{entry.name} needs about {size * 1.5:.1f} GB of GPU memory; "
                                           f"this machine has {machine.gpu_gb:.1f} GB")
        device = machine.device if machine.device != "cpu" else "cpu"
        dtype = dtype if device != "cpu" else "float32"
        where = {"cuda": "the GPU", "mps": "Apple's GPU (MPS)", "cpu": "the CPU"}[device]
        return Plan(entry.name, True, f"{entry.name}: {dtype} on {where}", device, dtype)

    mem = entry.memory
    if machine.device != "cuda":
        return Plan(entry.name, False,
                    f"{entry.name} needs a CUDA GPU with at least {mem.sequential_offload:g} GB of memory even with "
                    f"sequential CPU offload; this machine has none")
    vram, ram = HEADROOM * machine.gpu_gb, HEADROOM * machine.ram_gb
    gpu_need = {"none": mem.none, "model_offload": mem.model_offload, "sequential_offload": mem.sequential_offload}
    ram_need = {"none": mem.ram_none, "model_offload": mem.ram_offload, "sequential_offload": mem.ram_offload}
    fitting = tuple(o for o in OPTIONS if gpu_need[o] <= vram and ram_need[o] <= ram)
    if not fitting:
        if mem.sequential_offload > vram:
            reason = (f"{entry.name} needs at least {mem.sequential_offload:g} GB of GPU memory even with sequential "
                      f"CPU offload; this machine has {machine.gpu_gb:.1f} GB")
        else:
            need = min(ram_need[o] for o in OPTIONS if gpu_need[o] <= vram)
            reason = (f"{entry.name} needs about {need:g} GB of system RAM to hold its offloaded weights; "
                      f"this machine has {machine.ram_gb:.1f} GB")
        return Plan(entry.name, False, reason, "cuda", dtype)
    choice = fitting[0]
    words = {"none": "everything on the GPU", "model_offload": "model CPU offload",
             "sequential_offload": "sequential CPU offload (slow, but the least GPU memory)"}
    reason = (f"{entry.name}: {dtype}, {words[choice]}, VAE slicing and tiling "
              f"(needs about {gpu_need[choice]:g} GB of the {machine.gpu_gb:.0f} GB GPU)")
    return Plan(entry.name, True, reason, "cuda", dtype, choice, True, True, fitting)
