"""Import time of wmlib, best of several runs, each in a fresh interpreter.

    python benchmarks/import_time.py [--runs 7]

Target: under 0.5 s, which holds because torch, transformers and diffusers are imported only inside
the functions that use them. The script also lists any heavy library that `import wmlib` pulled in.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

TARGET_S = 0.5
HEAVY = ("torch", "numpy", "transformers", "diffusers", "matplotlib", "PIL", "ipywidgets")
PROBE = f"""
import sys, time
start = time.perf_counter()
import wmlib
elapsed = time.perf_counter() - start
print(elapsed, ",".join(m for m in {HEAVY!r} if m in sys.modules))
"""


def measure(runs: int) -> tuple[list[float], set[str]]:
    times, heavy = [], set()
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
        seconds, _, loaded = out.strip().partition(" ")
        times.append(float(seconds))
        heavy.update(filter(None, loaded.split(",")))
    return times, heavy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    times, heavy = measure(args.runs)
    best = min(times)
    print(
        f"import wmlib: best {best * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms "
        f"over {args.runs} fresh interpreters (target < {TARGET_S * 1000:.0f} ms: "
        f"{'met' if best < TARGET_S else 'MISSED'})"
    )
    print("heavy libraries imported:", ", ".join(sorted(heavy)) or "none")


if __name__ == "__main__":
    main()
