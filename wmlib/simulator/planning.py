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
simulator, the best any model could do; ``PhysicsFreeWorld``: a model with no physics at all, in which
the object keeps the speed the pushes give it and never slows), and so is the agent
(``analytic_agent``: no planning, the friction law s²/(2μg) solved for the push; ``random_agent``:
pushes toward the target of random strength). Every agent sees only the frames (the true simulator's
planner alone reads the true state), and each is scored by where the object is after ``STEPS``
actions: within ``TOLERANCE`` of the target or not, and how far from it (``outcome``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmlib.simulator.episodes import SIDE_X, act, pixel_x, render_scene, sample_starts
from wmlib.world.actions import Actions
from wmlib.world.scene import FRICTION, GRAVITY, Scene
from wmlib.world.studio import FPS

STEPS = 8  # actions per episode (two thirds of a second at 12 frames per second)
SEED = 2000  # the held-out tasks of the benchmark and the notebook
TOLERANCE = 0.05  # metres either side of the target
MAX_PUSH = 2.5  # m/s, the strongest push
MIN_PUSH = 0.1  # m/s: a planned push weaker than this is no push
POPULATION, ELITES, ITERATIONS = 32, 6, 2  # CEM: candidates, the best kept, rounds (PlaNet: 1000, 100, 10)
REPLAN = 4  # pushes carried out before looking again (PlaNet: 1)


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
        raise ValueError(
            f"min_distance {min_distance} m cannot be reached: some starts allow at most "
            f"{reach.min():.2f} m inside the walls"
        )
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
            codes = self.model.rollout_codes(
                z[:, 0].expand(n, -1, -1, -1),
                z[:, 1].expand(n, -1, -1, -1),
                torch.as_tensor(pushes_to_actions(u).vectors()),
            )
            last = self.model.decode(codes[:, -1]).numpy()
        column = np.array([track(f[None])[0][0, 0] for f in last])
        return np.where(np.isnan(column), np.inf, column_to_x(column))


class PhysicsFreeWorld:
    """Imagines with no physics: the object keeps whatever horizontal speed the pushes give it, never
    slows, falls or bounces. Where it is and how fast it goes now are read off the last two real frames
    with the tracker, as every agent that sees only frames must."""

    name = "physics-free model"

    def final_x(self, scene: Scene, frames: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Final x (metres) for each candidate (N, H) of pushes; the true ``scene`` is not looked at."""
        x, v = observe(frames)
        u = pushes_to_actions(u).vectors()[..., 0]
        steps_left = np.arange(u.shape[1], 0, -1)  # a push before step t moves the object for H - t frames
        return x + (v * u.shape[1] + (u * steps_left).sum(1)) / FPS


def observe(frames: np.ndarray) -> tuple[float, float]:
    """Where the object is (x, metres) in the last of ``frames`` (T, H, W, 3) and its horizontal speed
    (m/s) between the last two, read with the tracker of notebook 04."""
    from wmlib.world.tracker import track

    column = track(np.asarray(frames[-2:]))[0][:, 0]
    x = column_to_x(column)
    return float(x[-1]), float((x[-1] - x[0]) * FPS)


def column_to_x(column: np.ndarray) -> np.ndarray:
    """The inverse of ``episodes.pixel_x``: the x (metres) of an image column."""
    a, b = pixel_x(np.array([0.0, 1.0]))
    return (np.asarray(column, np.float64) - a) / (b - a)


def refit(u: np.ndarray, cost: np.ndarray, elites: int) -> tuple[np.ndarray, np.ndarray]:
    """The cross-entropy method's update: the mean and standard deviation, per step, of the ``elites``
    candidates (rows of ``u``) with the lowest ``cost``."""
    best = u[np.argsort(cost, kind="stable")[:elites]]
    return best.mean(axis=0), best.std(axis=0)


def cem(
    world,
    scene: Scene,
    frames: np.ndarray,
    target: float,
    horizon: int,
    rng: np.random.Generator,
    population: int = POPULATION,
    elites: int = ELITES,
    iterations: int = ITERATIONS,
) -> np.ndarray:
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


def run_planner(
    world, tasks: Tasks, replan: int = REPLAN, seed: int = 0, progress: bool = False, **cem_options
) -> dict:
    """Each task played in the true world by an agent planning with ``world``: it plans all the pushes
    left with CEM, carries out the first ``replan``, looks again and plans the rest (``outcome``)."""

    def plan(scene, frames, target, steps_left, rng):
        return cem(world, scene, frames, target, steps_left, rng, **cem_options)[:replan]

    return run_agent(plan, tasks, seed, progress, world.name)


def run_agent(agent, tasks: Tasks, seed: int = 0, progress: bool = False, name: str = "agent") -> dict:
    """Play every task in the true world: ``agent(scene, frames, target, steps_left, rng)`` returns the
    next pushes (m/s, signed) to carry out, seeing the last two frames (``scene`` is the true state, which
    only the true simulator's planner reads); it is asked again after them until ``STEPS`` are done."""
    from wmlib.progress import progress as bar

    rng = np.random.default_rng(seed)
    final = np.empty(len(tasks))
    for i in bar(range(len(tasks)), desc=name, show=progress):
        scene = tasks.scene[i]
        frames = np.repeat(render_scene(scene), 2, axis=0)  # at rest, the frame before looked the same
        done = 0
        while done < STEPS:
            u = np.atleast_1d(agent(scene, frames, float(tasks.target[i]), STEPS - done, rng))[: STEPS - done]
            chunk = act(scene, pushes_to_actions(u[None]))
            seen = chunk.render()[0]
            frames = np.concatenate([frames, seen[1:]])[-2:]
            scene = chunk.trajectory.frame(chunk.scene, -1)
            done += len(u)
        final[i] = scene.position[0, 0, 0]
    return outcome(final, tasks)


MU_G = FRICTION * GRAVITY  # m/s²: friction's deceleration of a sliding object (mu = 0.4, g = 9.81)


def analytic_push(x: float, v: float, target: float, seconds_left: float = np.inf) -> float:
    """The push (m/s) after which an object at ``x`` moving at ``v`` is at ``target`` when ``seconds_left``
    are over. Friction slows it at the constant rate μg, so a speed s stops after s²/(2μg) metres: for a
    target d metres away it wants s = sqrt(2μg·d), unless it would still be sliding when time is up
    (d > μg·t²/2), when it wants the speed that is at d after t: s = d/t + μg·t/2."""
    d, t = abs(target - x), seconds_left
    wanted = np.sqrt(2 * MU_G * d) if d <= MU_G * t * t / 2 else d / t + MU_G * t / 2
    return float(np.clip(np.sign(target - x) * wanted - v, -MAX_PUSH, MAX_PUSH))


def analytic_agent(tasks: Tasks, seed: int = 0) -> dict:
    """No model and no search: each step, read the object's place and speed off the last two frames and
    push by ``analytic_push`` for the time left (nothing if the push would be weaker than ``MIN_PUSH``)."""

    def agent(scene, frames, target, steps_left, rng):
        x, v = observe(frames)
        # the speed measured is the mean over the last frame; sliding, it is mu*g/(2 fps) less by now
        v = np.sign(v) * max(abs(v) - MU_G / (2 * FPS), 0.0)
        return [analytic_push(x, v, target, steps_left / FPS)]

    return run_agent(agent, tasks, seed, name="analytic")


def random_agent(tasks: Tasks, seed: int = 0, p_none: float = 0.5) -> dict:
    """Luck, with the useless actions taken out: each step, push toward the target as the last frame
    shows it, with a strength uniform in (``MIN_PUSH``, ``MAX_PUSH``), or (probability ``p_none``) wait."""

    def agent(scene, frames, target, steps_left, rng):
        x, _ = observe(frames)
        push = np.sign(target - x) * rng.uniform(MIN_PUSH, MAX_PUSH)
        return [0.0 if rng.random() < p_none else push]

    return run_agent(agent, tasks, seed, name="random")


def outcome(final_x: np.ndarray, tasks: Tasks) -> dict:
    """Where each object ended (metres), how far from its target (``distance``, metres) and whether that
    is within ``TOLERANCE``."""
    distance = np.abs(final_x - tasks.target)
    return {"final_x": final_x, "distance": distance, "success": distance <= TOLERANCE}


def agents(model) -> dict:
    """The agents compared, each a function of the tasks: CEM planning with the learned model, with the
    true simulator and with the physics-free model; the analytic controller; the random agent."""
    return {
        "CEM, learned model": lambda tasks, **kw: run_planner(LearnedWorld(model), tasks, **kw),
        "CEM, true simulator": lambda tasks, **kw: run_planner(TrueWorld(), tasks, **kw),
        "CEM, physics-free model": lambda tasks, **kw: run_planner(PhysicsFreeWorld(), tasks, **kw),
        "analytic s²/(2μg)": lambda tasks, **kw: analytic_agent(tasks),
        "random pushes": lambda tasks, **kw: random_agent(tasks),
    }


def summarise(results: dict) -> dict:
    """Per agent, over its tasks: the share solved and the median final distance (metres), each with its
    95% bootstrap interval, and the distances themselves."""
    from wmlib.stats import median_interval, share_interval

    return {
        name: {
            "tasks": int(len(r["success"])),
            "success": float(r["success"].mean()),
            "success ci": list(share_interval(r["success"])),
            "median distance": float(np.median(r["distance"])),
            "median distance ci": list(median_interval(r["distance"])),
            "distance": [round(float(d), 4) for d in r["distance"]],
        }
        for name, r in results.items()
    }


def subset(tasks: Tasks, n: int) -> Tasks:
    """The first ``n`` tasks (the notebook replays the benchmark's first tasks live)."""
    return Tasks(tasks.scene[np.arange(n)], tasks.target[:n])
