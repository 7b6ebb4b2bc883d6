"""Frame2Frame on the toy edit benchmark, against SDEdit, with the temporal-caption ablation, graded apart.

    python benchmarks/frame2frame.py --write   # 120 edits x 3 seeds; about 25 min on one thread
    python benchmarks/frame2frame.py --shipped # the tables from the shipped data/models/toy-i2v/benchmark.json

For held-out edits of the four kinds (drop, move, slide a ball or cylinder, bring two objects
together) and several generation seeds, the shipped toy image-to-video model edits each source
(``wmlib.frame2frame.benchmark``): Frame2Frame's earliest-satisfying frame and last frame, Frame2Frame
with the raw target caption (the paper's Table S4), SDEdit at strengths 0.3, 0.5, 0.7 and 0.9, a
one-jump edit with no source, and the true video. It prints for each the share of edits done (by the
probe that selects the frames, and by the simulator, which selects nothing), the distance to the
nearest true edited state, the pixel distance to the source (all of it, and outside the swept region),
the share of bystanders kept, CLIP-I with the toy CLIP and the mean chosen frame, with 95% intervals by
bootstrap over edits; then the paired differences (over edits and seeds) with their intervals, and how
well the simulator grade and the probe tell "done" on states off the true path. ``--write`` ships every
figure of every edit and seed to ``data/models/toy-i2v/benchmark.json``, which notebook 05 reads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=120)
    parser.add_argument("--seeds", type=int, default=3, help="generation seeds 0, 1, ... (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: wmlib's choice)")
    parser.add_argument(
        "--write",
        action="store_true",
        help="also write every figure to data/models/toy-i2v/benchmark.json (notebook 05 reads it)",
    )
    parser.add_argument("--shipped", action="store_true", help="print the tables of the shipped benchmark.json")
    args = parser.parse_args(argv)

    import wmlib
    from wmlib import env
    from wmlib.frame2frame import benchmark
    from wmlib.frame2frame.scorers import ClipScorer
    from wmlib.registry import checkpoint_dir, get

    path = checkpoint_dir(get("toy-i2v")) / "benchmark.json"
    start = time.perf_counter()
    if args.shipped:
        data = json.loads(path.read_text())
        measures = benchmark.from_json(data)
        print(f"shipped {path}: {data['command']}")
    else:
        threads = env.set_threads(args.threads)
        pipe = wmlib.load("toy-i2v", mode="toy")
        clip_model, processor = wmlib.load("toy-clip", mode="toy")
        result = benchmark.run(
            pipe, n=args.edits, seeds=tuple(range(args.seeds)), clip=ClipScorer(clip_model, processor), progress=False
        )
        measures = result["measures"]
    seconds = time.perf_counter() - start
    n, seeds = next(iter(measures.values()))["done"].shape
    print(
        f"{n} held-out edits (seed {benchmark.SEED}) x {seeds} generation seeds, 25 DDIM steps, guidance 4, "
        "candidates every 4th frame; 95% intervals by bootstrap over edits"
    )
    print(benchmark.table(benchmark.summarise(measures)))
    print()
    print("paired differences (over edits and seeds):")
    rows = benchmark.comparisons(measures)
    print(benchmark.comparison_table(rows))
    if not args.shipped:
        check = benchmark.grader_check(pipe)
        print()
        print(
            f"telling 'done' on {check['frames']} frames off the true path (velocities scaled, through the "
            f"autoencoder; {check['done']:.0%} done): simulator grade {check['simulator'].mean():.1%}, "
            f"probe {check['probe'].mean():.1%}; an empty cave graded done for {check['empty_done']:.0%} of the edits"
        )
        print(f"time: {seconds:.0f} s on {threads} thread(s)")
    if args.write and not args.shipped:
        command = f"python benchmarks/frame2frame.py --edits {args.edits} --seeds {args.seeds} --write" + (
            f" --threads {args.threads}" if args.threads else ""
        )
        data = {
            "command": command,
            "seconds": round(seconds, 1),
            "threads": threads,
            "settings": {
                "num_inference_steps": 25,
                "guidance_scale": 4.0,
                "every": 4,
                "blur_px": benchmark.BLUR,
                "strengths": list(benchmark.STRENGTHS),
                "clip": "toy-clip",
            },
            **benchmark.to_json(result),
            "comparisons": rows,
            "grader_check": {
                "simulator": round(float(check["simulator"].mean()), 4),
                "probe": round(float(check["probe"].mean()), 4),
                "done": round(check["done"], 4),
                "empty_done": check["empty_done"],
                "frames": check["frames"],
            },
        }
        path.write_text(json.dumps(data) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
