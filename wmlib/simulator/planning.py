"""Planning with a world model: an agent that tries actions in its head before it acts.

The task: an object rests on the ground; bring it into a target region (``TOLERANCE`` metres either
side of a target point) within ``STEPS`` actions, by pushing it left or right. Pushes add speed,
friction takes it away, and the side walls bounce it back, so the right sequence is not obvious.

The agent plans by **model-predictive control** with the **cross-entropy method** (CEM; Rubinstein
1999, the planner of PlaNet, Hafner et al. 2019): sample ``population`` sequences of pushes from a
Gaussian, imagine where each leaves the object, refit the Gaussian to the ``elites`` best, repeat
``iterations`` times; then carry out the first ``replan`` pushes of the best sequence in the real
world, look again, and plan the rest. One iteration of CEM is plain random shooting.

What the planner imagines with is interchangeable (``LearnedWorld``: the world model, reading the
object's place off its dreamed frames with the tracker of notebook 04; ``TrueWorld``: the true
simulator, the best any model could do), and so is the agent (``random_agent``: pushes at random).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmlib.simulator.episodes import SIDE_X, act, pixel_x, render_scene, sample_starts
from wmlib.world.actions import Actions, random_actions
from wmlib.world.scene import Scene

STEPS = 12            # actions per episode (one second at 12 frames per second)
SEED = 2000           # the held-out tasks of the benchmark and the notebook
TOLERANCE = 0.2       # metres either side of the target
MAX_PUSH = 2.5        # m/s, the strongest push
MIN_PUSH = 0.1        # m/s: a planned push weaker than this is no push


@dataclass(frozen=True)
class Tasks:
    """Start scenes (the object resting on the ground) and a target x (metres) for each."""

    scene: Scene
    target: np.ndarray

    def __len__(self) -> int:
        return len(self.scene)


def sample_tasks(n: int, seed: int = 0, min_distance: float = 0.5) -> Tasks:
    """``n`` tasks: objects at rest anywhere on the floor, targets at least ``min_distance`` m away."""
    scene = sample_starts(n, seed, p_ground=1.0)
    rng = np.random.default_rng([seed, 8])
    x0, r = scene.position[:, 0, 0], scene.radius[:, 0]
    reach = np.maximum(np.abs(SIDE_X - r - x0), np.abs(-(SIDE_X - r) - x0))  # the farthest target inside the walls
    if min_distance > reach.min():
        raise ValueError(f"min_distance {min_distance} m cannot be reached: some starts allow at most "
                         f"{reach.min():.2f} m inside the walls")
    target = np.empty(n)
    for i in range(n):
        while True:  # rejection keeps the target reachable (inside the walls) and far enough
            t = rng.uniform(-(SIDE_X - r[i]), SIDE_X - r[i])
            if abs(t - x0[i]) >= min_distance:
                target[i] = t
                break
    return Tasks(scene, target)


def pushes_to_actions(u: np.ndarray) -> Actions:
    """Signed horizontal pushes (B, T) in m/s as actions: left below 0, right above, none when weak."""
    u = np.clip(np.asarray(u, np.float32), -MAX_PUSH, MAX_PUSH)
    kind = np.where(np.abs(u) < MIN_PUSH, 0, np.where(u < 0, 1, 2)).astype(np.int64)
    return Actions(kind, np.where(kind > 0, np.abs(u), 0.0).astype(np.float32))


class TrueWorld:
    """Imagines with the true simulator: where each candidate sequence leaves the object (metres)."""

    name = "true simulator"

    def final_x(self, scene: Scene, frames: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Final x (metres) of the object for each candidate (N, H) of pushes, from ``scene`` (one scene)."""
        many = scene[np.zeros(len(u), np.int64)]
        return act(many, pushes_to_actions(u)).trajectory.position[:, -1, 0, 0]


class LearnedWorld:
    """Imagines with a world model: decodes the last dreamed frame and tracks the object in it."""

    name = "learned world model"

    def __init__(self, model):
        self.model = model

    def final_x(self, scene: Scene, frames: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Final x (metres) read off the model's last imagined frame; +inf where the object vanished.
        ``frames``: the last two real frames (2, H, W, 3); the true ``scene`` is not looked at."""
        import torch

        from wmlib.world.tracker import track

        n = len(u)
        with torch.no_grad():
            z = self.model.encode(frames[None])
            codes = self.model.rollout_codes(z[:, 0].expand(n, -1, -1, -1), z[:, 1].expand(n, -1, -1, -1),
                                             torch.as_tensor(pushes_to_actions(u).vectors()))
            last = self.model.decode(codes[:, -1]).numpy()
        column = np.array([track(f[None])[0][0, 0] for f in last])
        return np.where(np.isnan(column), np.inf, column_to_x(column))


def column_to_x(column: np.ndarray) -> np.ndarray:
    """The inverse of ``episodes.pixel_x``: the x (metres) of an image column."""
    a, b = pixel_x(np.array([0.0, 1.0]))
    return (np.asarray(column, np.float64) - a) / (b - a)


def refit(u: np.ndarray, cost: np.ndarray, elites: int) -> tuple[np.ndarray, np.ndarray]:
    """The cross-entropy method's update: the mean and standard deviation, per step, of the ``elites``
    candidates (rows of ``u``) with the lowest ``cost``."""
    best = u[np.argsort(cost, kind="stable")[:elites]]
    return best.mean(axis=0), best.std(axis=0)


def cem(world, scene: Scene, frames: np.ndarray, target: float, horizon: int, rng: np.random.Generator,
        population: int = 32, elites: int = 6, iterations: int = 2) -> np.ndarray:
    """The best sequence of ``horizon`` pushes found by the cross-entropy method."""
    mean, std = np.zeros(horizon), np.full(horizon, MAX_PUSH / 2)
    best_u, best_cost = None, np.inf
    for _ in range(iterations):
        u = np.clip(mean + std * rng.standard_normal((population, horizon)), -MAX_PUSH, MAX_PUSH)
        cost = np.abs(world.final_x(scene, frames, u) - target)
        if cost.min() < best_cost:
            best_u, best_cost = u[np.argmin(cost)], cost.min()
        mean, std = refit(u, cost, elites)
        std = std + 0.05  # a floor, so that the search never freezes on one sequence
    return best_u


def run_planner(world, tasks: Tasks, replan: int = 4, seed: int = 0, progress: bool = False, **cem_options) -> dict:
    """Each task played in the true world by an agent planning with ``world``: final x and success."""
    from wmlib.progress import progress as bar

    rng = np.random.default_rng(seed)
    final = np.empty(len(tasks))
    for i in bar(range(len(tasks)), desc=world.name, show=progress):
        scene = tasks.scene[i]
        frames = np.repeat(render_scene(scene), 2, axis=0)  # at rest, the frame before looked the same
        done = 0
        while done < STEPS:
            u = cem(world, scene, frames, float(tasks.target[i]), STEPS - done, rng, **cem_options)
            chunk = act(scene, pushes_to_actions(u[None, :replan]))
            seen = chunk.render()[0]
            frames = np.concatenate([frames, seen[1:]])[-2:]
            scene = chunk.trajectory.frame(chunk.scene, -1)
            done += min(replan, STEPS - done)
        final[i] = scene.position[0, 0, 0]
    return outcome(final, tasks)


def random_agent(tasks: Tasks, seed: int = 0) -> dict:
    """Random pushes (``world.actions.random_actions``): how often luck alone succeeds."""
    episodes = act(tasks.scene, random_actions(len(tasks), STEPS, seed))
    return outcome(episodes.trajectory.position[:, -1, 0, 0], tasks)


def outcome(final_x: np.ndarray, tasks: Tasks) -> dict:
    """Where each object ended (metres) and whether it is within ``TOLERANCE`` of its target."""
    return {"final_x": final_x, "success": np.abs(final_x - tasks.target) <= TOLERANCE}
