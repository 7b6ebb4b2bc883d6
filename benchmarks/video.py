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
    args = parser.parse_args(argv)

    import wmlib
    from wmlib import env
    from wmlib.video import benchmark, physics
    from wmlib.video.clips import gravity_px, render_clips, sample_clips
    from wmlib.video.pipeline import ToyTextToVideoPipeline
    from wmlib.video.train import EVAL_SEED, generate

    start = time.perf_counter()
    env.set_threads(2)
    pipe = wmlib.load("toy-t2v", mode="toy")
    control = ToyTextToVideoPipeline.from_pretrained(wmlib.registry.checkpoint_dir(wmlib.registry.get("toy-t2v")),
                                                     weights="control.safetensors")
    judge = physics.load_judge()
    clips = sample_clips(args.n, seed=EVAL_SEED)
    groups = {"model": generate(pipe, clips.captions), "control": generate(control, clips.captions),
              **benchmark.controls(render_clips(clips), pipe.autoencoder)}
    figures = benchmark.measure(groups, clips.attributes(), judge)

    pipe(clips.captions[:8])  # warm up
    t0 = time.perf_counter()
    pipe(clips.captions[:8])
    seconds = time.perf_counter() - t0

    print(f"{args.n} held-out prompts; the world's gravity is {gravity_px():.3f} px/frame² in these videos; "
          "95% intervals by bootstrap over prompts")
    print(benchmark.table(figures))
    print("(e ±20%: restitution within 20%, of the videos where a bounce can be measured)")
    model, judged = figures["model"], figures["autoencoder"]
    print()
    print(f"gravity within 20%: {model['gravity_ok']:.1%} (goal >= {GOALS['gravity']:.0%}: "
          f"{'met' if model['gravity_ok'] >= GOALS['gravity'] else 'MISSED'})")
    print(f"colour and shape as prompted: {model['prompt_ok']:.1%} (goal >= {GOALS['prompt']:.0%}: "
          f"{'met' if model['prompt_ok'] >= GOALS['prompt'] else 'MISSED'})")
    print(f"the judge on the autoencoder's round trips of the true videos: colour {judged['colour_ok']:.1%}, "
          f"shape {judged['shape_ok']:.1%}, size {judged['size_ok']:.1%}")
    print(f"sampling 8 videos of 16x32x32, 25 steps, 2 threads: {seconds:.2f} s (goal <= {GOALS['seconds']:.0f} s: "
          f"{'met' if seconds <= GOALS['seconds'] else 'MISSED'})")
    total = time.perf_counter() - start
    print(f"benchmark run time: {total:.0f} s")
    if args.json:
        summary = {"n": args.n, "true_gravity": round(gravity_px(), 4), **figures,
                   "judge_on_autoencoder": {k: judged[f"{k}_ok"] for k in physics.FACTORS},
                   "sample_seconds_8": round(seconds, 3), "benchmark_seconds": round(total, 1)}
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
