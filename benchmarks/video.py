"""Has the shipped toy text-to-video model learned the toy world's physics, and how fast does it sample?

    python benchmarks/video.py        # about half a minute on 2 cores

For 128 held-out prompts (captions of clips the model never saw), one video each, 25 DDIM steps,
guidance 4, it prints:

- the share of videos whose gravity, fitted on the tracked object, is within 20% of the world's
  (goal >= 70%), with the same figure for the true videos of those prompts (the measurement's ceiling);
- the share whose object has the colour and the shape the prompt names, by the judge (goal >= 90%);
- the same for the control (the same model early in training, shipped beside it), which must fail;
- the same for the true videos with their frames shuffled, which must fail the physics;
- the time to sample 8 videos of 16 frames at 32x32 on 2 threads (goal <= 10 s).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOALS = {"gravity": 0.70, "prompt": 0.90, "seconds": 10.0}


def line(name: str, result: dict) -> str:
    prompt = f"{result['share_prompt_ok']:6.1%}" if "share_prompt_ok" in result else "     -"
    return (f"{name:34s} {result['share_gravity_ok']:6.1%}  {result['median_gravity']:7.3f}  {prompt}  "
            f"{result.get('share_colour_ok', float('nan')):6.1%}  {result.get('share_shape_ok', float('nan')):6.1%}  "
            f"{result['share_found_all']:6.1%}")


def main() -> None:
    import numpy as np

    import wmlib
    from wmlib import env
    from wmlib.video import physics
    from wmlib.video.clips import gravity_px, render_clips, sample_clips
    from wmlib.video.pipeline import ToyTextToVideoPipeline
    from wmlib.video.train import EVAL_SEED, generate

    env.set_threads(2)
    pipe = wmlib.load("toy-t2v", mode="toy")
    control = ToyTextToVideoPipeline.from_pretrained(wmlib.registry.checkpoint_dir(wmlib.registry.get("toy-t2v")),
                                                     weights="control.safetensors")
    judge = physics.load_judge()
    clips = sample_clips(128, seed=EVAL_SEED)
    attributes = clips.attributes()
    truth = render_clips(clips)
    shuffled = truth[:, np.r_[0, 1 + np.random.default_rng(0).permutation(15)]]

    print(f"128 held-out prompts; the world's gravity is {gravity_px():.3f} px/frame² in these videos")
    print(f"{'videos':34s} {'g ±20%':>6s}  {'median g':>7s}  {'prompt':>6s}  {'colour':>6s}  {'shape':>6s}  {'found':>6s}")
    results = {"model": physics.evaluate(generate(pipe, clips.captions), attributes, judge),
               "control (early snapshot)": physics.evaluate(generate(control, clips.captions), attributes, judge),
               "true videos": physics.evaluate(truth, attributes, judge),
               "true videos, frames shuffled": physics.evaluate(shuffled, attributes, judge)}
    for name, result in results.items():
        print(line(name, result))

    pipe(clips.captions[:8])  # warm up
    start = time.perf_counter()
    pipe(clips.captions[:8])
    seconds = time.perf_counter() - start
    model = results["model"]
    print()
    print(f"gravity within 20%: {model['share_gravity_ok']:.1%} (goal >= {GOALS['gravity']:.0%}: "
          f"{'met' if model['share_gravity_ok'] >= GOALS['gravity'] else 'MISSED'})")
    print(f"colour and shape as prompted: {model['share_prompt_ok']:.1%} (goal >= {GOALS['prompt']:.0%}: "
          f"{'met' if model['share_prompt_ok'] >= GOALS['prompt'] else 'MISSED'})")
    print(f"sampling 8 videos of 16x32x32, 25 steps, 2 threads: {seconds:.2f} s (goal <= {GOALS['seconds']:.0f} s: "
          f"{'met' if seconds <= GOALS['seconds'] else 'MISSED'})")


if __name__ == "__main__":
    main()
