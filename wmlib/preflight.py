"""Will it fit? Decide how to run a model on this machine before loading anything.

``preflight(name)`` measures the machine (or takes a described one, for tests and for planning) and
returns a ``Plan``: the dtype, the memory option (everything on the GPU, model CPU offload, or
sequential CPU offload), VAE slicing and tiling, or a plain one-sentence refusal when nothing fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from wmlib.registry import HubModel, OfflineModel, get

OPTIONS = ("none", "model_offload", "sequential_offload")  # fastest first
HEADROOM = 0.9  # use at most 90% of GPU memory and RAM: the CUDA context and fragmentation take the rest
CPU_PIPELINE_LIMIT_GB = 2.0  # a generation pipeline this small (a toy) may run on a CPU


@dataclass(frozen=True)
class Machine:
    """What preflight needs to know about a machine."""

    device: str  # "cuda", "mps" or "cpu"
    gpu_gb: float = 0.0  # GPU memory free for models, GiB (a described machine: all of it)
    ram_gb: float = 16.0  # system RAM available, GiB
    bf16: bool = False  # whether the GPU computes in bfloat16 natively (compute capability >= 8.0)
    name: str = ""
    held: tuple[str, ...] = ()  # pipelines this kernel already holds (loaded by wmlib.load and still referenced)

    @classmethod
    def here(cls) -> "Machine":
        """This machine, measured: the GPU memory and RAM free now, not the totals, so that a pipeline loaded
        earlier in this kernel counts."""
        import gc

        from wmlib import env

        dev = env.device()
        if dev == "cuda":
            gc.collect()  # a pipeline nothing refers to any more should not count as held
        gpu = env.gpu()
        total, available = env.ram_gb()
        return cls(
            dev,
            gpu.free_gb if gpu else 0.0,
            available if available is not None else total,
            env.native_bf16() if gpu else False,
            gpu.name if gpu else dev,
            held_pipelines(),
        )


# Described machines, for planning ("will it fit on a T4?") and for the tests: GPU memory as torch reports it
# (GiB; a "16 GB" T4 reports 14.75), and the RAM of the usual host (Colab's free T4 has 12.7 GB).
MACHINES = {
    "cpu": Machine("cpu", 0.0, 16.0, False, "a laptop CPU"),
    "t4": Machine("cuda", 14.75, 12.7, False, "Colab T4 (free)"),
    "t4-high-ram": Machine("cuda", 14.75, 51.0, False, "Colab T4, high RAM"),
    "v100": Machine("cuda", 31.7, 64.0, False, "V100 32 GB"),
    "l4": Machine("cuda", 22.05, 53.0, True, "Colab L4"),
    "a10g": Machine("cuda", 22.05, 16.0, True, "A10G 24 GB (AWS g5.xlarge, 16 GB RAM)"),
    "a100-40": Machine("cuda", 39.39, 83.5, True, "Colab A100 40 GB"),
    "a100": Machine("cuda", 79.15, 83.0, True, "A100 80 GB"),
    "h100": Machine("cuda", 79.1, 200.0, True, "H100 80 GB"),
}

# Pipelines loaded by wmlib.load, held weakly: preflight can say which are still alive in this kernel.
_loaded: list = []  # (name, weakref.ref)


def note_loaded(name: str, pipeline) -> None:
    """Remember that ``pipeline`` (model ``name``) was loaded in this kernel, without keeping it alive."""
    import weakref

    _loaded.append((name, weakref.ref(pipeline)))


def held_pipelines() -> tuple[str, ...]:
    """Names of the pipelines loaded in this kernel that something still refers to."""
    _loaded[:] = [(name, ref) for name, ref in _loaded if ref() is not None]
    return tuple(name for name, _ in _loaded)


@dataclass(frozen=True)
class Plan:
    name: str
    fits: bool
    reason: str  # one plain sentence: what was chosen and why, or why nothing fits
    device: str = "cpu"
    dtype: str = "float32"
    memory: str = "none"  # one of OPTIONS
    vae_slicing: bool = False
    vae_tiling: bool = False
    options_that_fit: tuple[str, ...] = field(default_factory=tuple)
    blocker: str = ""  # what stops it, when nothing fits: one of BLOCKERS

    def __str__(self) -> str:
        return self.reason

    def verdict(self) -> str:
        """The plan in a few words, for a figure or a table cell."""
        if self.fits:
            return {"none": "fits whole", "model_offload": "model offload", "sequential_offload": "sequential offload"}[
                self.memory
            ]
        return BLOCKERS[self.blocker]


# Why nothing fits, in a few words (Plan.blocker's values).
BLOCKERS = {
    "": "does not fit",
    "dtype": "no native bfloat16",
    "gpu": "too little GPU memory",
    "ram": "too little RAM",
    "device": "needs a CUDA GPU",
}


def _dtype(entry: HubModel, machine: Machine) -> str | None:
    """The dtype ``entry`` runs in on ``machine``; None where it cannot run on that GPU."""
    if machine.device == "cuda":
        return entry.dtypes.get("cuda" if machine.bf16 else "cuda-fp16")
    return entry.dtypes.get(machine.device, "float32")


def _no_bf16(entry: HubModel, machine: Machine) -> str:
    """The sentence refusing ``entry`` on a GPU without native bfloat16, naming what runs there instead."""
    from wmlib.registry import HUB

    instead = [m.name for m in HUB.values() if m.memory is not None and "cuda-fp16" in m.dtypes]
    offer = f"; {instead[0]} runs there in {HUB[instead[0]].dtypes['cuda-fp16']}" if instead else ""
    return (
        f"{entry.name} needs a GPU that computes in bfloat16 natively (compute capability 8.0 or newer: A100, "
        f"A10G, L4, RTX 30xx/40xx, H100), and in float16 it makes black or NaN frames; {machine.name or 'this GPU'} "
        f"has no native bfloat16{offer}"
    )


def preflight(name: str | HubModel, machine: Machine | str | None = None, local_gb: float | None = None) -> Plan:
    """How ``name`` would run on ``machine`` (default: this one, measured now), decided without loading anything.

    ``local_gb``: the size of a local copy's weights; when given, the memory needs are estimated from it
    instead of the hub model's figures (how tiny test copies of a pipeline run on a CPU).
    """
    entry = get(name) if isinstance(name, str) else name
    if isinstance(machine, str):
        if machine not in MACHINES:
            raise ValueError(f"unknown machine {machine!r}; described machines: {', '.join(MACHINES)}")
        machine = MACHINES[machine]
    machine = machine or Machine.here()
    if isinstance(entry, OfflineModel):
        return Plan(entry.name, True, f"{entry.name} is an offline model; it runs on the CPU", "cpu", "float32")
    plan = _plan(entry, machine, local_gb)
    if machine.held and machine.device == "cuda":
        held = ", ".join(machine.held)
        plan = replace(
            plan,
            reason=f"{plan.reason} (this kernel already holds {held}, loaded earlier: free it with "
            f"`del` on its variable before loading another, or restart the kernel)",
        )
    return plan


def _plan(entry: HubModel, machine: Machine, local_gb: float | None) -> Plan:
    dtype = _dtype(entry, machine)
    if dtype is None:
        return Plan(entry.name, False, _no_bf16(entry, machine), "cuda", blocker="dtype")
    if entry.memory is None or (local_gb is not None and local_gb < CPU_PIPELINE_LIMIT_GB):
        # Models small enough to load whole: on the GPU if there is one, else on the CPU where allowed.
        size = local_gb if local_gb is not None else entry.download_gb
        if machine.device == "cpu" and not (entry.cpu_ok or size < CPU_PIPELINE_LIMIT_GB):
            return Plan(entry.name, False, f"{entry.name} needs a GPU; this machine has none", blocker="device")
        if machine.device != "cpu" and machine.gpu_gb and size * 1.5 > HEADROOM * machine.gpu_gb:
            return Plan(
                entry.name,
                False,
                f"{entry.name} needs about {size * 1.5:.1f} GiB of GPU memory; "
                f"this machine has {machine.gpu_gb:.1f} GiB free",
                blocker="gpu",
            )
        device = machine.device if machine.device != "cpu" else "cpu"
        dtype = dtype if device != "cpu" else "float32"
        where = {"cuda": "the GPU", "mps": "Apple's GPU (MPS)", "cpu": "the CPU"}[device]
        return Plan(entry.name, True, f"{entry.name}: {dtype} on {where}", device, dtype)

    mem = entry.memory
    if machine.device != "cuda":
        return Plan(
            entry.name,
            False,
            f"{entry.name} needs a CUDA GPU with at least {mem.sequential_offload:g} GiB of memory even with "
            f"sequential CPU offload; this machine has none",
            blocker="device",
        )
    vram, ram = HEADROOM * machine.gpu_gb, HEADROOM * machine.ram_gb
    gpu_need = {o: mem.gpu_gb(o) for o in OPTIONS}
    ram_need = {o: mem.ram_gb(o) for o in OPTIONS}
    fitting = tuple(o for o in OPTIONS if gpu_need[o] <= vram and ram_need[o] <= ram)
    if not fitting:
        blocker = "gpu" if gpu_need["sequential_offload"] > vram else "ram"
        if blocker == "gpu":
            reason = (
                f"{entry.name} needs at least {mem.sequential_offload:g} GiB of GPU memory even with sequential "
                f"CPU offload; this machine has {machine.gpu_gb:.1f} GiB free"
            )
        else:
            need = min(ram_need[o] for o in OPTIONS if gpu_need[o] <= vram)
            reason = (
                f"{entry.name} needs about {need:.1f} GiB of system RAM to hold its {mem.weights_gb:.1f} GiB of "
                f"weights while they wait off the GPU; this machine has {machine.ram_gb:.1f} GiB"
            )
        return Plan(entry.name, False, reason, "cuda", dtype, blocker=blocker)
    choice = fitting[0]
    words = {
        "none": "everything on the GPU",
        "model_offload": "model CPU offload",
        "sequential_offload": "sequential CPU offload (slow, but the least GPU memory)",
    }
    reason = (
        f"{entry.name}: {dtype}, {words[choice]}, VAE slicing and tiling "
        f"(needs about {gpu_need[choice]:.1f} GiB of the {machine.gpu_gb:.1f} GiB free on the GPU)"
    )
    return Plan(entry.name, True, reason, "cuda", dtype, choice, True, True, fitting)
