"""A notebook's session: ``setup()`` decides the mode once, sets threads and seeds; ``report()`` prints the
machine (``wmlib.env``) and the mode ``auto`` resolves to (``wmlib.modes``), and why."""

from __future__ import annotations

import platform

from wmlib import env, modes


def setup(mode: str | None = None, seed: int = 0, threads: int | None = None) -> str:
    """Start a notebook: check and resolve the mode, set threads, seed everything.

    ``mode`` is the notebook's ``MODE`` parameter; None reads ``$WMLIB_MODE`` (default ``auto``). The
    resolved mode becomes this session's: every later ``wmlib.load`` without a ``mode`` honours it, so in
    ``real`` a model that cannot load here is refused in one sentence instead of replaced by a toy.
    Prints one line saying what was chosen and why; returns the resolved mode, ``"toy"`` or ``"real"``.
    """
    previous = modes.decided()
    modes.decide(None)  # a second setup in the same kernel decides afresh
    try:
        resolution = modes.resolve_mode(mode)  # raises on an unknown mode before anything else happens
    except modes.ModeError:
        modes.decide(previous)  # a refused mode leaves the session's decision as it was
        raise
    modes.decide(resolution)
    n = env.set_threads(threads)
    env.seed_everything(seed)
    print(f"Mode {resolution}. Seed {seed}, {n} torch thread{'s' if n != 1 else ''}.")
    return resolution.mode


def info(mode: str | None = None) -> dict[str, str]:
    """Everything ``report()`` shows, as strings keyed by row name."""
    from importlib.metadata import PackageNotFoundError, version

    import torch

    try:
        wmlib_version = version("wmlib")
    except PackageNotFoundError:  # imported from a checkout without `pip install`
        wmlib_version = "not installed"
    dev = env.device()
    g = env.gpu()
    total, avail = env.ram_gb()
    hub = env.hub_status()
    return {
        "Python": f"{platform.python_version()} ({platform.system()} {platform.machine()})",
        "wmlib": wmlib_version,
        "torch": torch.__version__,
        "device": dev,
        "dtype": str(env.default_dtype(dev)).replace("torch.", ""),
        "GPU": g.name if g else "none",
        "GPU memory": f"{g.total_gb:.1f} GiB total, {g.free_gb:.1f} GiB free" if g else "none",
        "RAM": f"{total:.1f} GiB total" + (f", {avail:.1f} GiB available" if avail is not None else ""),
        "free disk": f"{env.free_disk_gb():.1f} GiB (for the model cache)",
        "CPU cores": f"{env.cpu_count()} (torch uses {torch.get_num_threads()} thread"
        f"{'s' if torch.get_num_threads() != 1 else ''})",
        "Colab": "yes" if env.in_colab() else "no",
        "model hub": ("reachable" if hub.reachable else "unreachable") + f" ({hub.reason})",
        "mode": str(modes.resolve_mode(mode, device=dev, hub_reachable=hub.reachable, hub_reason=hub.reason)),
    }


def report(mode: str | None = None) -> None:
    """Print the environment as a small table, ending with the mode ``auto`` resolves to and why."""
    rows = info(mode)
    width = max(map(len, rows))
    print("\n".join(f"{key:<{width}}  {value}" for key, value in rows.items()))
