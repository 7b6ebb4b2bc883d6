"""Has the shipped toy text-to-video model learned the toy world's physics, and how fast does it sample?

    python benchmarks/video.py          # the table; about two minutes on 2 cores
    python benchmarks/video.py --json   # the same, then one line: a JSON object with every figure

For 256 held-out prompts (captions of clips the model never saw, clip seed ``EVAL_SEED``), one video
each, 25 DDIM steps, guidance 4, it measures five groups of videos (``wmlib.video.benchmark``):

- ``model``: the shipped model; goals: gravity within 20% of the world's in >= 70% of videos, colour
  and shape as prompted (by the judge) in >= 90%;
- ``control``: the same model early in training, shipped beside it, which must fail;
- ``truth``: the true videos of those prompts (the measurement's ceiling);
- ``autoencoder``: the true videos through the model's frame autoencoder (the ceiling of anything the
  model can draw; the judge's accuracy on them is ``judge_on_autoencoder``);
- ``shuffled``: the true videos with frames 1..15 shuffled, which must fail the physics;

each share with its 95% interval (bootstrap over prompts), and the time to sample 8 videos of 16 frames
at 32x32 on 2 threads (goal <= 10 s). A later group is one more entry in ``groups``.
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

GOALS = {"gravity": 0.70, "prompt": 0.90, "seconds": 10.0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="end with one line: a JSON object with every figure")
    parser.add_argument("--n", type=int, default=256, help="held-out prompts (default 256)")
    parser.add_argument(
        "--write",
        action="store_true",
        help="also write the figures to data/models/toy-video/benchmark.json (notebook 04 reads them)",
    )
    args = parser.parse_args(argv)

    import wmlib
    from wmlib import env
    from wmlib.registry import checkpoint_dir, get
    from wmlib.video import benchmark, physics
    from wmlib.video.generalisation import continue_clips
    from wmlib.video.pipeline import ToyTextToVideoPipeline
    from wmlib.video.train import EVAL_SEED
    from wmlib.world.studio import gravity_px

    start = time.perf_counter()
    env.set_threads(2)
    pipe = wmlib.load("toy-video", mode="toy")
    control = ToyTextToVideoPipeline.from_pretrained(checkpoint_dir(get("toy-video")), weights="control.safetensors")
    judge = physics.load_judge()
    clips, truth = benchmark.held_out(args.n, EVAL_SEED)
    conditioned, made = benchmark.conditioned(pipe, clips, truth, judge)
    groups = {
        "model": made[0],
        "control": continue_clips(control, clips["id"], 0, truth["id"]),
        **benchmark.controls(truth["id"], pipe.autoencoder),
    }
    figures = benchmark.measure(groups, clips["id"].attributes(), judge)
    by_c = {k: conditioned[k] for k in ("c0", "c1", "c3")}
    split = {k: conditioned[k] for k in ("id", "ood")}
    pipe(clips["id"].captions[:8])  # warm up
    t0 = time.perf_counter()
    pipe(clips["id"].captions[:8])
    seconds = time.perf_counter() - t0

    print(
        f"{args.n} held-out prompts; the world's gravity is {gravity_px():.3f} px/frame² in these videos; "
        "95% intervals by bootstrap over prompts"
    )
    print(benchmark.table(figures))
    print("(e ±20%: restitution within 20%, of the videos where a bounce can be measured)")
    print()
    print("given the caption and the first c true frames (gravity fitted on the made frames only):")
    print(benchmark.table(by_c))
    for c in (0, 1, 3):
        f = by_c[f"c{c}"]
        print(
            f"c = {c}: the object {f['track_error_px']:.2f} px from its true place at the last frame "
            f"[{f['track_error_ci'][0]:.2f}, {f['track_error_ci'][1]:.2f}]"
        )
    print(f"  the true videos through the autoencoder: {by_c['c3']['track_error_floor_px']:.2f} px (the floor)")
    print()
    print("velocity error with c = 3 (median over clips of the mean |v - v_true|, px/frame):")
    for k, f in split.items():
        print(
            f"  {'in distribution' if k == 'id' else 'faster throws than any training clip':38s} model "
            f"{f['velocity_error']:.3f} [{f['velocity_error_ci'][0]:.3f}, {f['velocity_error_ci'][1]:.3f}]   "
            f"floor (truth through the autoencoder) {f['floor_velocity_error']:.3f}   "
            f"gravity within 20% {f['gravity_ok']:.1%}"
        )
    model, judged = figures["model"], figures["autoencoder"]
    goals = [
        ("text-to-video gravity within 20%", model["gravity_ok"], ">=", 0.70),
        ("text-to-video colour and shape as prompted", model["prompt_ok"], ">=", 0.90),
        ("prediction (c = 3) gravity within 20%", by_c["c3"]["gravity_ok"], ">=", 0.90),
        ("prediction (c = 3) track error, px", by_c["c3"]["track_error_px"], "<=", 1.0),
        (
            "in-distribution velocity error / floor",
            split["id"]["velocity_error"] / split["id"]["floor_velocity_error"],
            "<=",
            3.0,
        ),
        ("sampling 8 videos, 25 steps, 2 threads, s", seconds, "<=", 10.0),
    ]
    print()
    for name, value, sign, goal in goals:
        met = value >= goal if sign == ">=" else value <= goal
        print(f"{name}: {value:.3g} (goal {sign} {goal:g}: {'met' if met else 'MISSED'})")
    ood_above = split["ood"]["velocity_error_ci"][0] > split["id"]["velocity_error_ci"][1]
    print(f"out of distribution above the in-distribution interval: {'yes' if ood_above else 'no'}")
    print(
        f"the judge on the autoencoder's round trips of the true videos: colour {judged['colour_ok']:.1%}, "
        f"shape {judged['shape_ok']:.1%}, size {judged['size_ok']:.1%}"
    )
    total = time.perf_counter() - start
    print(f"benchmark run time: {total:.0f} s")
    summary = {
        "n": args.n,
        "true_gravity": round(gravity_px(), 4),
        **figures,
        **by_c,
        **split,
        "judge_on_autoencoder": {k: judged[f"{k}_ok"] for k in physics.FACTORS},
        "sample_seconds_8": round(seconds, 3),
        "benchmark_seconds": round(total, 1),
    }
    if args.write:
        path = checkpoint_dir(get("toy-video")) / "benchmark.json"
        path.write_text(json.dumps(summary, indent=1) + "\n")
        print(f"wrote {path}")
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
