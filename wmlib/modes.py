"""The mode switch: which scale of model every notebook runs at.

- ``toy``:  the toy world, shipped toy checkpoints and packaged encoders; CPU, offline.
- ``real``: pretrained models from the model hub, best on a GPU.
- ``auto``: ``real`` where a CUDA GPU and the hub are both there, else ``toy``.

A notebook decides its mode once, in ``wmlib.setup(MODE)`` (``MODE`` is its papermill parameter;
``None`` reads the ``WMLIB_MODE`` environment variable), and every ``wmlib.load`` after that honours the
decision, so nbval, papermill, JupyterLab and Colab all follow the same switch. Without ``setup``, the
mode comes from an argument, else ``WMLIB_MODE``, else ``auto``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MODES = ("auto", "toy", "real")
ENV_VAR = "WMLIB_MODE"


class ModeError(ValueError):
    """An unknown mode was asked for."""


# What ``wmlib.setup`` decided for this Python session (a notebook's kernel); None before it runs.
_session: "Resolution | None" = None


def decide(resolution: "Resolution | None") -> None:
    """Record ``resolution`` as this session's mode (``wmlib.setup`` does), or forget it (None)."""
    global _session
    _session = resolution


def decided() -> "Resolution | None":
    """This session's decision (what ``wmlib.setup`` recorded), or None before ``setup`` runs."""
    return _session


def get_mode(mode: str | None = None) -> str:
    """The requested mode: ``mode`` if given, else the mode ``setup`` decided for this session, else
    ``$WMLIB_MODE``, else ``"auto"``.

    Raises ModeError, naming the allowed modes, for anything else.
    """
    source = "argument"
    if mode is None and _session is not None:
        return _session.mode
    if mode is None:
        mode, source = os.environ.get(ENV_VAR) or "auto", ENV_VAR
    if not isinstance(mode, str) or mode.strip().lower() not in MODES:
        origin = f" (from {ENV_VAR})" if source == ENV_VAR else ""
        raise ModeError(f"Unknown mode {mode!r}{origin}. Allowed modes: {', '.join(MODES)}.")
    return mode.strip().lower()


@dataclass(frozen=True)
class Resolution:
    """What a mode request came to on this machine, and why."""

    requested: str
    mode: str  # "toy" or "real"
    reason: str

    def __str__(self) -> str:
        if self.requested == "auto":
            return f"auto → {self.mode}: {self.reason}"
        return f"{self.mode}: {self.reason}"


def resolve_mode(
    mode: str | None = None,
    *,
    device: str | None = None,
    hub_reason: str | None = None,
    hub_reachable: bool | None = None,
) -> Resolution:
    """Resolve ``auto`` to ``toy`` or ``real`` from the device and the model hub.

    ``device`` and the hub status are measured when not given (tests pass them in). With no ``mode``
    after ``setup``, the session's decision is returned as it was made.
    """
    if mode is None and _session is not None:
        return _session
    requested = get_mode(mode)
    if requested == "toy":
        return Resolution(requested, "toy", "asked for; toy models on the CPU, offline")

    from wmlib import env  # the probes import torch and touch the network: only when needed

    device = device or env.device()
    if hub_reachable is None:
        status = env.hub_status()
        hub_reachable, hub_reason = status.reachable, status.reason

    missing = []
    if device != "cuda":
        missing.append(f"no CUDA GPU (device: {device})")
    if not hub_reachable:
        missing.append(f"the model hub is unreachable ({hub_reason})")

    if requested == "real":
        if missing:
            return Resolution(
                requested,
                "real",
                "asked for, although " + " and ".join(missing) + "; models that cannot load will say so",
            )
        return Resolution(requested, "real", "asked for; a CUDA GPU and the model hub are available")
    if missing:
        return Resolution(requested, "toy", "; ".join(missing))
    return Resolution(requested, "real", "a CUDA GPU and the model hub are both available")
