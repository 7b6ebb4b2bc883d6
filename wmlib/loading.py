"""``wmlib.load``: one entry point that returns a ready model or pipeline, on any machine.

The steps, in order, each of which can say no early and plainly:

1. look the name up in the registry (``wmlib.registry``);
2. resolve the mode (``auto`` / ``toy`` / ``real``);
3. in ``real`` mode, check the model hub is reachable (within 2 s) and plan with ``preflight``;
4. load with ``from_pretrained`` at the pinned revision, in the planned dtype, then switch on the planned
   memory savers (CPU offload, VAE slicing and tiling).

Where step 3 says no, ``auto`` falls back to the offline counterpart and says so in one line, while
``real`` raises ``CannotLoad`` with the one sentence that says why. After ``wmlib.setup`` the session's mode is
``toy`` or ``real``, never ``auto``, so code written for a real model never receives a toy one. Shipped toy
checkpoints are verified against the sha256 in their manifest first.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

from wmlib.checkpoints import verify_checkpoint
from wmlib.modes import get_mode, resolve_mode
from wmlib.preflight import OPTIONS, Machine, Plan, note_loaded, preflight
from wmlib.registry import HubModel, OfflineModel, checkpoint_dir, get


class CannotLoad(RuntimeError):
    """A model cannot be loaded here; the message says why and what to use instead."""


def load(
    name: str,
    mode: str | None = None,
    *,
    source: str | Path | None = None,
    machine: Machine | str | None = None,
    memory: str | None = None,
    **options,
):
    """A ready model for ``name`` (see ``wmlib.registry.names()``): a ``(model, processor)`` pair for CLIP and
    the model families, the pipeline itself for video models (it holds its tokenizer), an encoder with an
    ``embed`` method for the packaged encoders.

    ``mode``: ``auto``, ``toy`` or ``real``; by default the mode ``wmlib.setup`` decided for this session, else
    ``$WMLIB_MODE``, else ``auto``. ``source``: a local folder to load
    the hub model from instead of the hub (a copy made with ``save_pretrained``). ``machine``: plan for a
    described machine instead of this one. ``memory``: force a memory option for a pipeline
    (``"none"``, ``"model_offload"``, ``"sequential_offload"``) instead of the planned one. Other options
    go to ``from_pretrained``.
    """
    if memory is not None and memory not in OPTIONS:
        raise ValueError(f"unknown memory option {memory!r}; allowed: {', '.join(OPTIONS)}")
    entry = get(name)
    if isinstance(entry, OfflineModel):
        return load_offline(entry)
    requested = get_mode(mode)
    counterpart = get(entry.counterpart)
    if requested == "toy":
        print(f"toy: {counterpart.name} instead of {entry.name}")
        return load_offline(counterpart)
    if requested == "auto" and source is None:
        resolution = resolve_mode("auto")  # the course-wide rule: real only with a CUDA GPU and the hub
        if resolution.mode == "toy":
            print(f"auto: {counterpart.name} instead of {entry.name}, because {resolution.reason}")
            return load_offline(counterpart)

    plan = _plan_real(entry, source, machine)
    if isinstance(plan, str):
        if requested == "real":
            raise CannotLoad(f"{plan}. Its offline counterpart is {counterpart.name} (mode 'auto' or 'toy').")
        print(f"auto: {counterpart.name} instead of {entry.name}, because {plan[0].lower() + plan[1:]}")
        return load_offline(counterpart)
    if memory is not None and plan.device == "cuda":
        plan = replace(plan, memory=memory, reason=f"{plan.reason}; memory option {memory!r} as asked")
    obj = _from_pretrained(entry, source, plan, **options)
    print(f"{requested}: {plan.reason}")
    return obj


def _plan_real(entry: HubModel, source, machine) -> str | Plan:
    """The plan for loading ``entry`` for real, or the one sentence saying why that cannot work here."""
    from wmlib import env

    local_gb = None
    if source is None:
        hub = env.hub_status()  # answers within 2 s, so an offline machine is told at once
        if not hub.reachable:
            return f"{entry.name} must be downloaded from the model hub, which is unreachable ({hub.reason})"
    else:
        source = Path(source)
        if not source.is_dir():
            return f"{entry.name}: no local copy at {source}"
        local_gb = sum(f.stat().st_size for f in source.rglob("*") if f.is_file()) / 1024**3
    plan = preflight(entry, machine, local_gb=local_gb)
    if not plan.fits:
        return plan.reason
    if source is None and not _cached(entry):
        free = env.free_disk_gb()
        if free < entry.download_gb:
            return (
                f"{entry.name} needs {entry.download_gb:g} GB of free disk for its download into "
                f"{env.model_cache_dir()}; there are {free:.1f} GB free"
            )
    return plan


def _cached(entry: HubModel) -> bool:
    """Whether the hub cache already holds ``entry`` at its pinned revision (then nothing is downloaded)."""
    from wmlib import env

    folder = Path(env.model_cache_dir()) / ("models--" + entry.repo.replace("/", "--")) / "snapshots" / entry.revision
    return folder.is_dir()


def _import(dotted: str):
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _from_pretrained(entry: HubModel, source, plan: Plan, **options):
    import torch

    cls = _import(entry.loader)
    dtype = getattr(torch, plan.dtype)
    where = str(source) if source is not None else entry.repo
    kwargs = dict(options)
    if source is None:
        kwargs.setdefault("revision", entry.revision)  # the pinned commit, not whatever is newest
    kwargs[_dtype_keyword(entry.loader)] = dtype
    pipeline = entry.memory is not None
    if pipeline and plan.memory == "none":
        # Straight onto the device, part by part: loading on the CPU first would need all the weights in RAM
        # (12.7 GB for CogVideoX-2b, all of a free Colab's RAM).
        kwargs.setdefault("device_map", plan.device)
    obj = cls.from_pretrained(where, **kwargs)
    if pipeline:  # a diffusers video pipeline: apply the planned memory savers
        if plan.vae_slicing:
            obj.vae.enable_slicing()
        if plan.vae_tiling:
            obj.vae.enable_tiling()
        if plan.memory == "model_offload":
            obj.enable_model_cpu_offload()
        elif plan.memory == "sequential_offload":
            obj.enable_sequential_cpu_offload()
        obj.set_progress_bar_config(disable=None)
        obj.wmlib_plan = plan  # so that an out-of-memory error can say which option to try next
        note_loaded(entry.name, obj)
    else:
        obj = obj.to(plan.device).eval()
    if entry.processor:
        revision = {"revision": entry.revision} if source is None else {}
        return obj, _import(entry.processor).from_pretrained(where, **revision)
    return obj


def _dtype_keyword(loader: str) -> str:
    """``dtype`` in the libraries that renamed ``torch_dtype`` (transformers 4.56, diffusers 0.42), else the
    old name."""
    from importlib.metadata import version

    from packaging.version import Version

    library = loader.split(".")[0]
    renamed_in = {"transformers": "4.56", "diffusers": "0.42"}[library]
    return "dtype" if Version(version(library)) >= Version(renamed_in) else "torch_dtype"


def load_offline(entry: OfflineModel):
    """A shipped toy checkpoint (verified) or a packaged encoder."""
    if entry.origin.startswith("package:"):
        from wmlib import encoders

        return {"vision": encoders.image_encoder, "language": encoders.text_encoder}[entry.kind]()
    folder = checkpoint_dir(entry)
    if not (folder / "manifest.json").exists():
        raise CannotLoad(
            f"{entry.name} ({entry.description}) is not in {folder} yet; the notebook that builds it "
            f"trains it with a command in wmlib"
        )
    verify_checkpoint(folder)
    model = _import(entry.loader).from_pretrained(str(folder)).eval()
    return (model, _import(entry.processor).from_pretrained(str(folder))) if entry.processor else model
