"""Acting in the toy world: a hand that pushes one object between frames.

A world model worth the name predicts what happens *if we act*. Here an action is a push on one
object, given just before a frame interval starts, as a sudden change of its velocity (an impulse
divided by the mass, so it is measured in metres per second):

* ``left`` / ``right``: the horizontal velocity changes by ``-strength`` / ``+strength``;
* ``up``: an object on the ground is lifted off it with upward speed ``strength``; in the air there is
  nothing to push against, so ``up`` does nothing there;
* ``none``: the world goes on by itself.

Then the world runs one frame under its own physics (``physics.simulate``): gravity, bounces,
friction, walls. Everything is deterministic, so the same start and the same actions give the same
bytes, and a rollout of T actions is exactly T single steps (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmlib.world.physics import SIDE_X, Trajectory, simulate
from wmlib.world.scene import Scene

ACTIONS = ("none", "left", "right", "up")
GROUND_TOLERANCE = 0.01  # metres: an object this close to the ground can be pushed up


@dataclass(frozen=True)
class Actions:
    """A batch of action sequences: ``kind`` (B, T) indices into ACTIONS, ``strength`` (B, T) m/s."""

    kind: np.ndarray
    strength: np.ndarray

    def __post_init__(self):
        kind, strength = np.asarray(self.kind), np.asarray(self.strength)
        if kind.ndim != 2 or kind.shape != strength.shape:
            raise ValueError(
                f"kind and strength must both have shape (batch, steps); got {kind.shape} and {strength.shape}"
            )
        if not np.issubdtype(kind.dtype, np.integer) or kind.min(initial=0) < 0 or kind.max(initial=0) >= len(ACTIONS):
            raise ValueError(f"kind must hold integers in 0..{len(ACTIONS) - 1} ({', '.join(ACTIONS)})")
        if not np.all(np.isfinite(strength)) or strength.min(initial=0) < 0:
            raise ValueError("strength must be finite and >= 0 (metres per second)")
        object.__setattr__(self, "kind", kind.astype(np.int64))
        object.__setattr__(self, "strength", strength.astype(np.float32))

    def __len__(self) -> int:
        return self.kind.shape[0]

    @property
    def steps(self) -> int:
        return self.kind.shape[1]

    def vectors(self) -> np.ndarray:
        """(B, T, 2) float32: each action as (horizontal push, upward push) in m/s, what a model reads."""
        horizontal = np.where(self.kind == 1, -self.strength, np.where(self.kind == 2, self.strength, 0.0))
        up = np.where(self.kind == 3, self.strength, 0.0)
        return np.stack([horizontal, up], -1).astype(np.float32)

    @staticmethod
    def of(names: list[str] | str, strength: float | list[float] = 1.0) -> "Actions":
        """One sequence from action names, e.g. ``Actions.of(["right", "none", "up"], 1.5)``."""
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n not in ACTIONS]
        if unknown:
            raise ValueError(f"unknown action(s) {unknown}; allowed: {', '.join(ACTIONS)}")
        kind = np.array([[ACTIONS.index(n) for n in names]], np.int64)
        return Actions(kind, np.broadcast_to(np.asarray(strength, np.float32), kind.shape).copy())


def push(scene: Scene, kind: np.ndarray, strength: np.ndarray, slot: int = 0) -> Scene:
    """The scene with one action applied to object ``slot`` of every scene: ``kind`` (B,), ``strength`` (B,)."""
    kind, strength = np.asarray(kind), np.asarray(strength, np.float32)
    if kind.shape != (len(scene),) or strength.shape != (len(scene),):
        raise ValueError(
            f"need one action per scene: {len(scene)} scenes, got kind {kind.shape} and strength {strength.shape}"
        )
    if not scene.present[:, slot].all():
        raise ValueError(f"slot {slot} is empty in some scenes: there is nothing to push")
    velocity = scene.velocity.copy()
    on_ground = scene.position[:, slot, 1] <= scene.radius[:, slot] + GROUND_TOLERANCE
    velocity[:, slot, 0] += np.where(kind == 1, -strength, np.where(kind == 2, strength, 0.0))
    lift = (kind == 3) & on_ground
    velocity[:, slot, 1] = np.where(lift, np.maximum(velocity[:, slot, 1], 0.0) + strength, velocity[:, slot, 1])
    return scene.with_(velocity=velocity)


def step(
    scene: Scene, kind: np.ndarray, strength: np.ndarray, fps: float = 12.0, side_x: float = SIDE_X, slot: int = 0
) -> Scene:
    """One frame later: push, then let the world run for ``1/fps`` seconds."""
    return _step(scene, kind, strength, fps, side_x, slot)[0]


def _step(scene, kind, strength, fps, side_x, slot) -> tuple[Scene, np.ndarray]:
    """``step``, and the ground bounces (B, K) during that frame."""
    pushed = push(scene, kind, strength, slot)
    one = simulate(pushed, 2, fps, side_x=side_x)
    return one.frame(pushed, 1), one.bounces


def rollout(scene: Scene, actions: Actions, fps: float = 12.0, side_x: float = SIDE_X, slot: int = 0) -> Trajectory:
    """The trajectory of ``actions.steps + 1`` frames: frame 0 is ``scene``, frame t+1 follows action t."""
    if len(actions) != len(scene):
        raise ValueError(f"{len(actions)} action sequences for {len(scene)} scenes")
    frames, bounces = [scene], np.zeros(scene.present.shape, np.int64)
    for t in range(actions.steps):
        after, bounced = _step(frames[-1], actions.kind[:, t], actions.strength[:, t], fps, side_x, slot)
        frames.append(after)
        bounces += bounced
    times = (np.arange(len(frames)) / float(fps)).astype(np.float32)
    return Trajectory(
        times, np.stack([f.position for f in frames], 1), np.stack([f.velocity for f in frames], 1), bounces
    )


def random_actions(
    n: int, steps: int, seed: int = 0, p_none: float = 0.4, strength: tuple[float, float] = (0.5, 2.5)
) -> Actions:
    """``n`` sequences of ``steps`` random actions: ``none`` with probability ``p_none``, otherwise left,
    right or up alike, with a strength uniform in ``strength`` m/s."""
    if not 0 <= p_none <= 1:
        raise ValueError(f"p_none must be a probability, got {p_none!r}")
    rng = np.random.default_rng([seed, 6])
    kind = np.where(rng.random((n, steps)) < p_none, 0, rng.integers(1, len(ACTIONS), (n, steps)))
    amount = np.where(kind > 0, rng.uniform(*strength, (n, steps)), 0.0).astype(np.float32)
    return Actions(kind.astype(np.int64), amount)
