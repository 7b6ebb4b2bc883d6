"""The learned simulator of notebook 06 against the true one.

    python benchmarks/world_model.py [--episodes 100]   # a few minutes on 2 cores

Prints the world model's pixel error one step and 16 steps ahead (dreaming on its own predictions
from two real frames, under the true actions), the share of imagined throws whose fitted gravity is
within 20% of the world's, object permanence, and the planning success rate of the same CEM planner
with the learned model and with the true simulator, and of a random agent, each over ``--episodes``
tasks (bring a resting object within 0.2 m of a target in 12 pushes).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100)
    args = parser.parse_args()

    import wmlib
    from wmlib import env
    from wmlib.simulator import evaluate, planning

    env.set_threads(2)
    model = wmlib.load("toy-world-model", mode="toy")
    n = args.episodes

    start = time.perf_counter()
    scores = evaluate.manifest_scores(model, n=max(n, 100))
    print(f"prediction on {scores['episodes']} held-out episodes of random pushes (mean |pixel error|, "
          f"frames in [0, 1]), {time.perf_counter() - start:.1f} s:")
    err, held = scores["error_by_step"]["model"], scores["error_by_step"]["last frame held"]
    print(f"  one step ahead     {err[0]:.4f}   (last frame held still: {held[0]:.4f})")
    print(f"  16 steps ahead     {err[15]:.4f}   (last frame held still: {held[15]:.4f})")
    g = scores["gravity_within_20"]
    print(f"imagined throws with gravity within 20% of the world's: {g['model']:.0%}   (true videos: {g['true']:.0%})")
    for who in ("model", "true"):
        e = scores["restitution"][who]
        print(f"bounces, {who + ':':7s} measurable in {e['measurable']:.0%} of throws, median restitution "
              f"{e['median']:.2f} (world: 0.6), within 20% in {e['within_20_of_measurable']:.0%} of those")
    for who in ("model", "true"):
        p = scores["permanence"][who]
        print(f"object permanence, {who + ':':7s} found in every frame {p['present']:.0%}, colour kept "
              f"{p['colour kept']:.0%}, both {p['permanent']:.0%}")

    tasks = planning.sample_tasks(n, seed=planning.SEED)
    rows = {}
    agents = (("CEM planner, learned world model", lambda: planning.run_planner(planning.LearnedWorld(model), tasks)),
              ("CEM planner, true simulator", lambda: planning.run_planner(planning.TrueWorld(), tasks)),
              ("random agent", lambda: planning.random_agent(tasks)))
    for name, run in agents:
        t0 = time.perf_counter()
        result = run()
        rows[name] = (result["success"].mean(), time.perf_counter() - t0)
    print(f"planning: bring a resting object within {planning.TOLERANCE} m of a target in {planning.STEPS} pushes, "
          f"{n} tasks")
    for name, (rate, seconds) in rows.items():
        print(f"  {name:34s} success {rate:6.1%}   ({seconds:.1f} s)")
    learned, random = rows["CEM planner, learned world model"][0], rows["random agent"][0]
    far_above = learned >= max(2 * random, random + 0.3)
    print(f"learned-model planner far above random (at least 2x and +30 points): {far_above}")


if __name__ == "__main__":
    main()
