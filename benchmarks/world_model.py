"""The learned simulator of notebook 06 against the true one, every figure with its 95% interval.

    python benchmarks/world_model.py [--episodes 500] [--throws 1200] [--tasks 150] [--write]   # about 15 min

Prints, on held-out episodes and throws (95% bootstrap intervals over them):
- where the dream draws the object, 1 to 16 steps ahead, for the world model, for its control trained only
  one step ahead (``--one-step-control`` in ``wmlib.simulator.train``), for holding the last real frame
  still, and for the autoencoder's round trip of the true frames (the tracker's floor);
- imagined throws: gravity fitted on the dreamed frames only (the true fall's frames), the landing frame
  against the truth's (paired), the height error, and restitution where both show a bounce;
- object permanence in dreams, in true videos and in their autoencoder round trips (the judge's control);
- planning: the share of ``--tasks`` tasks solved (the object within ``planning.TOLERANCE`` of a target
  after ``planning.STEPS`` pushes) and the median final distance, for CEM with the learned model, with
  the true simulator and with a physics-free model, the analytic controller and the random agent.

``--write`` keeps it all in ``data/models/toy-world-model/benchmark.json``, which notebook 06 shows.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500, help="held-out episodes")
    parser.add_argument(
        "--throws",
        type=int,
        default=1200,
        help="throws (a bit under half show a true fall of 5 frames after the 2 real ones)",
    )
    parser.add_argument("--tasks", type=int, default=150, help="planning tasks")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="write data/models/toy-world-model/benchmark.json")
    args = parser.parse_args()

    import wmlib
    from wmlib import env
    from wmlib.registry import checkpoint_dir, get
    from wmlib.simulator import evaluate, planning
    from wmlib.simulator.evaluate import fmt

    threads = env.set_threads(args.threads)
    model = wmlib.load("toy-world-model", mode="toy")
    one_step = evaluate.one_step_model(model)
    start = time.perf_counter()

    t0 = time.perf_counter()
    episodes = evaluate.summarise_episodes(evaluate.per_episode(model, one_step, n=args.episodes))
    print(
        f"where the dream draws the object, px off (mean over {episodes['episodes']} held-out episodes, "
        f"[95% interval]), {time.perf_counter() - t0:.0f} s:"
    )
    for who, by_step in episodes["place"].items():
        print(f"  {who:18s} " + "   ".join(f"{k:>2s} ahead {fmt(v)}" for k, v in by_step.items()))
    print(
        "  one-step minus model "
        + "   ".join(f"{k:>2s} ahead {fmt(v)}" for k, v in episodes["one-step minus model"].items())
    )
    for who, p in episodes["permanence"].items():
        print(
            f"object permanence, {who + ':':11s} "
            f"found in every frame {fmt(p['found in every frame'], 'share', pct=True)}, "
            f"colour right in every frame {fmt(p['colour right in every frame'], 'share', pct=True)}"
        )

    t0 = time.perf_counter()
    throws = evaluate.summarise_throws(evaluate.per_throw(model, n=args.throws))
    print(
        f"imagined throws ({throws['throws']}; {throws['with a fall of 5 frames']} with a true fall of 5 frames "
        f"or more after the 2 real ones), {time.perf_counter() - t0:.0f} s:"
    )
    for who, v in throws["fall gravity within 20%"].items():
        print(
            f"  gravity on the fall's frames within 20%, {who + ':':11s} {fmt(v, 'share', pct=True)}   median "
            f"{fmt(throws['fall gravity median'][who], 'median', 3)} px/frame²"
        )
    print(f"  dream minus true (paired): {fmt(throws['fall gravity within 20%, dream minus true'], pct=True)}")
    print(
        f"  landing frame, dream minus true (paired): {fmt(throws['landing frame, dream minus true'])}; "
        f"the same frame in {fmt(throws['landing frame equal'], 'share', pct=True)}"
    )
    print(
        f"  height error (px): dream {fmt(throws['height error px']['dream'])}, "
        f"round trip {fmt(throws['height error px']['round trip'])}"
    )
    print(
        f"  restitution measurable: dream {fmt(throws['restitution measurable']['dream'], 'share', pct=True)}, "
        f"true {fmt(throws['restitution measurable']['true'], 'share', pct=True)} (a true bounce read as two kicks "
        f"in a row: {fmt(throws['true bounce seen as two kicks in a row'], 'share', pct=True)})"
    )
    r = throws["restitution median, both measurable"]
    print(
        f"  median restitution where both are measurable ({r['dream']['n']} throws): "
        f"dream {fmt(r['dream'], 'median')}, "
        f"true {fmt(r['true'], 'median')} (world: 0.6)"
    )

    tasks = planning.sample_tasks(args.tasks, seed=planning.SEED)
    results = {}
    print(
        f"planning: bring a resting object within {planning.TOLERANCE} m of a target in {planning.STEPS} pushes, "
        f"{args.tasks} tasks (share solved and median final distance, [95% interval]):"
    )
    for name, run in planning.agents(model).items():
        t0 = time.perf_counter()
        results[name] = run(tasks)
        row = planning.summarise({name: results[name]})[name]
        print(
            f"  {name:24s} success {fmt(row, 'success', pct=True):18s} median distance "
            f"{fmt(row, 'median distance', 3)} m   ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    plans = planning.summarise(results)

    if args.write:
        path = checkpoint_dir(get("toy-world-model")) / "benchmark.json"
        record = {
            "command": f"python benchmarks/world_model.py --episodes {args.episodes} --throws {args.throws} "
            f"--tasks {args.tasks} "
            f"--threads {args.threads} --write",
            "threads": threads,
            "seconds": round(time.perf_counter() - start),
            "tolerance_m": planning.TOLERANCE,
            "steps": planning.STEPS,
            "episodes": episodes,
            "throws": throws,
            "planning": plans,
        }
        path.write_text(json.dumps(record, indent=1) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
