"""What the training of every toy model shares: the learning-rate schedule and the command line.

Each lesson trains its own model (``python -m wmlib.video.train``, ``wmlib.frame2frame.train``,
``wmlib.simulator.train``, ...) but they warm up and decay the learning rate the same way, and take the
same core options, so that a manifest's ``command`` reads alike in every model folder.

>>> [round(warmup_cosine(s, steps=100, warmup=10), 2) for s in (0, 4, 9, 50, 99)]  # up for 10 steps, then down
[0.1, 0.5, 0.98, 0.5, 0.0]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path


def warmup_cosine(step: int, steps: int, warmup: int, lr: float = 1.0) -> float:
    """The learning rate at ``step`` of ``steps``: a linear warm-up over the first ``warmup`` steps, then a
    cosine decay to 0 at ``steps`` (Loshchilov and Hutter 2017); ``lr`` is the peak. ``warmup <= 1``: no warm-up."""
    return lr * min(1.0, (step + 1) / max(warmup, 1)) * 0.5 * (1 + math.cos(math.pi * step / steps))


def set_learning_rate(optimiser, lr: float) -> None:
    """Give every parameter group of ``optimiser`` the learning rate ``lr``."""
    for group in optimiser.param_groups:
        group["lr"] = lr


def parser(
    prog: str, description: str, out: Path, steps: int, lr: float, batch_size: int = 32, score_only: bool = True
) -> argparse.ArgumentParser:
    """The options every toy model's training command takes: ``--out``, ``--steps``, ``--batch-size``,
    ``--lr``, ``--seed``, ``--threads`` and (``score_only``) ``--score-only``; a lesson adds its own."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--out", type=Path, default=out, help="the model's folder")
    p.add_argument("--steps", type=int, default=steps, help="optimiser steps")
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=lr, help="peak learning rate (warm-up, then cosine decay)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: $WMLIB_THREADS, $OMP_NUM_THREADS, else half the cores)",
    )
    if score_only:
        p.add_argument("--score-only", action="store_true", help="re-score the model saved in --out")
    return p
