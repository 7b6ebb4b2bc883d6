"""Does a representation hold enough of Z to predict what happens next? A linear read-out of the next state.

Notebook 00 calls a world model "a model that has recovered enough of Z to predict what happens next". This
module measures the second half of that sentence for any representation of images. The data are short clips
of the toy world in motion (one object thrown in the cave, ``sample_scenes(..., moving=True)`` simulated by
``wmlib.world.simulate``); in each clip one moment t is picked. The input is the representation of two
consecutive frames, t-1 and t (one still frame cannot tell which way the object moves); the target is the true
position of the object at t+1, from Z. A ridge regression is fitted on the training clips and scored by R^2 on
held-out clips (1 = exact, 0 = no better than the mean position), with a bootstrap interval over the held-out
clips. Two controls come with it: Z itself at t-1 and t as the input (the instrument's ceiling), and the
targets shuffled across clips (a measurement that must come out near 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wmlib.world.physics import Trajectory, simulate
from wmlib.world.render import VIEW, Camera
from wmlib.world.scene import Scene, sample_scenes

FRAMES = 8  # frames per clip: 2/3 s at 12 frames per second
FPS = 12.0


@dataclass(frozen=True)
class MotionClips:
    """Clips of one thrown object: the scenes at frame 0, their trajectories and the moment ``t`` picked in each
    (1 <= t <= frames - 2, so that t-1 and t+1 exist)."""

    scene: Scene
    trajectory: Trajectory
    t: np.ndarray

    def __len__(self) -> int:
        return len(self.scene)

    def frames(self, offset: int) -> Scene:
        """The scene of every clip at frame ``t + offset``: a batch to render or encode."""
        rows = np.arange(len(self))
        frame = self.t + offset
        return self.scene.with_(
            position=self.trajectory.position[rows, frame].copy(), velocity=self.trajectory.velocity[rows, frame].copy()
        )

    def position(self, offset: int) -> np.ndarray:
        """(N, 3) the object's true centre (x, y, z in metres) at frame ``t + offset``."""
        return self.trajectory.position[np.arange(len(self)), self.t + offset, 0].astype(np.float64)


def in_view(scene: Scene, trajectory: Trajectory, camera: Camera = VIEW) -> np.ndarray:
    """(N,) bool: whether the first object of each clip stays whole inside the (pinhole) camera's square view in
    every frame, its centre at least one radius from each edge of the picture."""
    right, up, forward = camera.basis()
    rel = trajectory.position[:, :, 0].astype(np.float64) - np.asarray(camera.position)
    depth = rel @ forward
    r = scene.radius[:, :1].astype(np.float64)
    reach = np.tan(np.radians(camera.fov) / 2) * depth  # half the picture's width, in metres, at that depth
    inside = (np.abs(rel @ right) + r <= reach) & (np.abs(rel @ up) + r <= reach) & (depth > 0)
    return inside.all(axis=1)


def motion_clips(n: int, seed: int = 0, frames: int = FRAMES, fps: float = FPS) -> MotionClips:
    """``n`` clips of one object thrown in the cave (``sample_scenes(..., n_objects=1, moving=True)``), simulated
    for ``frames`` frames, each with a random moment ``t``; the same for the same seed. Only clips in which the
    object stays in the camera's view (``in_view``) are kept, so that every frame shows what is to be predicted."""
    if frames < 3:
        raise ValueError(f"a clip needs at least 3 frames (t-1, t, t+1), got {frames}")
    kept, trajectories, have, draw = [], [], 0, 0
    while have < n:
        scene = sample_scenes(2 * (n - have) + 16, seed=seed * 1000 + draw, n_objects=1, moving=True)
        trajectory = simulate(scene, frames, fps)
        keep = np.flatnonzero(in_view(scene, trajectory))[: n - have]
        kept.append(scene[keep])
        trajectories.append(trajectory.clips(keep))
        have, draw = have + len(keep), draw + 1
    t = np.random.default_rng([seed, 3]).integers(1, frames - 1, n)
    return MotionClips(Scene.concat(kept), Trajectory.concat(trajectories), t)


@dataclass(frozen=True)
class NextStateScore:
    """R^2 of the next position on the held-out clips, its 95% bootstrap interval over those clips, and their count."""

    r2: float
    low: float
    high: float
    n_test: int

    def __str__(self) -> str:
        return f"{self.r2:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"


def _r2(rows: np.ndarray) -> float:
    """R^2 averaged over the coordinates, for rows of [target..., prediction...]."""
    y, p = np.split(rows, 2, axis=1)
    residual = ((y - p) ** 2).sum(0)
    total = ((y - y.mean(0)) ** 2).sum(0)
    return float(np.mean(1 - residual / np.where(total > 0, total, 1.0)))


def next_state_score(
    before: np.ndarray,
    now: np.ndarray,
    target: np.ndarray,
    n_train: int,
    shuffle: bool = False,
    interval: bool = True,
    seed: int = 0,
) -> NextStateScore:
    """How well a linear map of the features of frames t-1 (``before``) and t (``now``), (N, D) each with one
    row per clip, predicts ``target`` (N, k), the true state at t+1.

    Ridge regression (its penalty chosen by leave-one-out on the first ``n_train`` clips) on centred features,
    each divided by the square root of its variance plus the mean variance over features: standardised, but a
    unit that is almost never active in the training clips (a ReLU) is not blown up on a test clip. Scored by
    R^2 on the other clips, averaged over the target's columns. ``shuffle`` pairs every clip's features with
    the target of another clip (a fixed permutation): the control that must score about 0.
    ``interval``: a 95% bootstrap interval over the held-out clips (else low = high = r2)."""
    from sklearn.linear_model import RidgeCV

    x = np.concatenate([np.asarray(before, np.float64), np.asarray(now, np.float64)], axis=1)
    y = np.asarray(target, np.float64).reshape(len(x), -1)
    if not 2 <= n_train <= len(x) - 2:
        raise ValueError(f"n_train must leave at least 2 clips on each side, got {n_train} of {len(x)}")
    if shuffle:
        y = y[np.random.default_rng(seed).permutation(len(y))]
    mean, var = x[:n_train].mean(0), x[:n_train].var(0)
    x = (x - mean) / np.sqrt(var + var.mean() + 1e-12)
    model = RidgeCV(alphas=np.logspace(-3, 5, 17)).fit(x[:n_train], y[:n_train])
    rows = np.concatenate([y[n_train:], model.predict(x[n_train:]).reshape(len(x) - n_train, -1)], axis=1)
    r2 = _r2(rows)
    if not interval:
        return NextStateScore(r2, r2, r2, len(rows))
    from wmlib import stats

    low, high = stats.interval(rows, _r2, seed=seed, n_resamples=2000)
    return NextStateScore(r2, low, high, len(rows))


TARGETS = ("position", "motion")


def target_of(clips: MotionClips, target: str = "position") -> np.ndarray:
    """What is predicted, (N, 3): ``position``, the object's centre at t+1; or ``motion``, its step from t to
    t+1 (the part of the next state that the frame at t alone does not show)."""
    if target == "position":
        return clips.position(1)
    if target == "motion":
        return clips.position(1) - clips.position(0)
    raise ValueError(f"unknown target {target!r}; allowed: {', '.join(TARGETS)}")


def score_representation(
    encode: Callable[[Scene], np.ndarray],
    clips: MotionClips,
    n_train: int,
    target: str = "position",
    shuffle: bool = False,
    interval: bool = True,
) -> NextStateScore:
    """``next_state_score`` of a representation: ``encode`` turns a batch of scenes (it renders them as its model
    was trained to see them) into (N, D) features of frames t-1 and t; the target is ``target_of(clips, target)``."""
    return next_state_score(
        encode(clips.frames(-1)), encode(clips.frames(0)), target_of(clips, target), n_train, shuffle, interval
    )


def truth(scenes: Scene) -> np.ndarray:
    """Z's part that moves, as an ``encode`` for ``score_representation``: the object's position (N, 3)."""
    return scenes.position[:, 0].astype(np.float64)
