"""How fast wmlib.load answers offline, each in a fresh interpreter with HF_HUB_OFFLINE=1.

    python benchmarks/load_time.py

Prints the time `wmlib.load('clip')` takes in auto mode to fall back to the shipped toy CLIP (goal: under
10 s, imports included) and the time `real` mode takes to refuse (goal: under 2 s), with what each printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

PROBE = (
    "import wmlib\ntry:\n    wmlib.load('clip')\nexcept Exception as err:\n    print(type(err).__name__ + ':', err)\n"
)


def run(mode: str) -> tuple[float, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WMLIB_MODE": mode, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env)
    lines = (out.stdout + out.stderr).strip().splitlines()
    said = [line for line in lines if line.startswith(("auto:", "CannotLoad:"))]  # not the progress bars
    return time.perf_counter() - start, (said or lines)[-1]


def main() -> None:
    seconds, said = run("auto")
    print(f"auto, offline: {seconds:.1f} s to the toy CLIP (goal < 10 s: {'met' if seconds < 10 else 'MISSED'})")
    print(f"  it said: {said}")
    seconds, said = run("real")
    print(
        f"real, offline: {seconds:.1f} s to refuse, imports included (goal < 2 s: {'met' if seconds < 2 else 'MISSED'})"
    )
    print(f"  it said: {said}")


if __name__ == "__main__":
    main()
