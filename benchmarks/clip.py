"""What the shipped toy CLIP scores, and how long it took to train.

    python benchmarks/contrastive.py            # evaluate the shipped checkpoint (about half a minute)
    python benchmarks/contrastive.py --retrain  # also train it again from scratch and time that (about 20 min)

Prints zero-shot accuracy on shape, colour and size (1,000 held-out one-object scenes, prompt ensembles;
goal >= 0.95 each), top-1 true-caption retrieval among 1,000 held-out scenes (goal >= 0.9 both ways),
and the training time recorded in the manifest (goal <= 15 min on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOALS = {
    "zero_shot_colour": 0.95,
    "zero_shot_shape": 0.95,
    "zero_shot_size": 0.95,
    "retrieval_image_to_text": 0.9,
    "retrieval_text_to_image": 0.9,
}
TRAIN_GOAL_MIN = 15


def report(scores: dict, manifest: dict) -> None:
    for name, value in scores.items():
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"  (goal >= {goal}: {'met' if value >= goal else 'MISSED'})"
        print(f"{name:30s} {value:.4f}{verdict}")
    minutes = manifest["train_seconds"] / 60
    threads = manifest["settings"]["threads"]
    print(
        f"{'training time (manifest)':30s} {minutes:.1f} min on {threads} threads "
        f"(goal <= {TRAIN_GOAL_MIN} min on 2 cores: {'met' if minutes <= TRAIN_GOAL_MIN else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retrain", action="store_true", help="train the checkpoint again and time it")
    args = parser.parse_args()

    import wmlib
    from wmlib import checkpoints, env, registry
    from wmlib.clip import contrastive

    env.set_threads(2)
    model, proc = wmlib.load("toy-clip", mode="toy")
    manifest = checkpoints.read_manifest(registry.checkpoint_dir(registry.get("toy-clip")))
    start = time.perf_counter()
    scores = contrastive.evaluate(model, proc)
    print(f"toy-clip: {manifest['parameters']:,} parameters; evaluated in {time.perf_counter() - start:.0f} s")
    report(scores, manifest)
    if scores != {k: manifest["scores"][k] for k in scores}:
        print("note: the scores differ from the manifest's", manifest["scores"])
    if args.retrain:
        command = manifest["command"].split()
        out = Path(tempfile.mkdtemp()) / "toy-clip"
        argv = command[command.index("train") :]
        argv[argv.index("--out") + 1] = str(out)
        start = time.perf_counter()
        contrastive.main([*argv, "--threads", "2"])
        print(f"retrained in {(time.perf_counter() - start) / 60:.1f} min (wall clock, with evaluation)")
        fresh = checkpoints.read_manifest(out)
        print(
            "the same weights as shipped:",
            fresh["files"]["model.safetensors"]["sha256"] == manifest["files"]["model.safetensors"]["sha256"],
        )


if __name__ == "__main__":
    main()
