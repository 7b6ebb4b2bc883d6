"""The world an agent acts in: one object in the cave, filmed by the video camera, pushed between frames.

It is the world of notebook 04's videos (``wmlib.video.clips``: the same 32x32 tilted camera, the same
physics) with two changes: a hand pushes the object (``wmlib.world.actions``), and the side walls stand
at the edges of the view (``SIDE_X``), so that no push can send the object out of the picture. Half of
the episodes start with the object resting on the ground, half with it thrown through the air.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmlib.world import render as R
from wmlib.world.actions import Actions, random_actions, rollout
from wmlib.world.physics import Trajectory
from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZE_RADIUS, SIZES, Scene
from wmlib.world.studio import CAMERA, FPS, SIZE, one_object_scenes, render_frames

SIDE_X = 1.25  # metres: the walls stand at the edges of the camera's view (it is 2.5 m wide)
STEPS = 16  # actions per training episode (17 frames)


@dataclass(frozen=True)
class Episodes:
    """Start scenes, the actions taken and the trajectory they led to (``actions.steps + 1`` frames)."""

    scene: Scene
    actions: Actions
    trajectory: Trajectory

    def __len__(self) -> int:
        return len(self.scene)

    def render(self, chunk: int = 512) -> np.ndarray:
        """(B, T, 32, 32, 3) float32 frames in [0, 1]."""
        return render_frames(self.scene, self.trajectory, chunk)


def sample_starts(n: int, seed: int = 0, p_ground: float = 0.5) -> Scene:
    """``n`` one-object scenes: resting on the ground (probability ``p_ground``) or thrown in the air."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of scenes, got {n!r}")
    rng = np.random.default_rng([seed, 7])
    shape = rng.integers(0, len(SHAPES), n)
    colour = rng.integers(0, len(COLOUR_NAMES), n)
    size = rng.integers(0, len(SIZES), n)
    r = SIZE_RADIUS[size]
    ground = rng.random(n) < p_ground
    x = rng.uniform(-1, 1, n) * (SIDE_X - r - 0.05)
    y = np.where(ground, r, rng.uniform(0.6, 1.5, n) + r)
    vx = np.where(ground, 0.0, rng.uniform(-1.2, 1.2, n))
    vy = np.where(ground, 0.0, rng.uniform(-0.5, 2.0, n))
    return one_object_scenes(shape, colour, size, x, y, vx, vy)


def act(scene: Scene, actions: Actions) -> Episodes:
    """Run ``actions`` from ``scene`` in the true world."""
    return Episodes(scene, actions, rollout(scene, actions, FPS, side_x=SIDE_X))


def sample_episodes(n: int, steps: int = STEPS, seed: int = 0, p_none: float = 0.4) -> Episodes:
    """``n`` episodes of ``steps`` random actions from random starts, the same for the same seed."""
    return act(sample_starts(n, seed), random_actions(n, steps, seed, p_none))


def render_scene(scene: Scene) -> np.ndarray:
    """(B, 32, 32, 3) float32: one frame of each scene, seen by the video camera, no shadows."""
    return R.render(scene, SIZE, CAMERA, shadows=False)[0]


def pixel_x(x_metres: np.ndarray) -> np.ndarray:
    """The image column (pixels) of a point at horizontal position ``x_metres`` in the plane of motion."""
    right, _, _ = CAMERA.basis()
    rel_x = np.asarray(x_metres, np.float64) - CAMERA.position[0]
    return SIZE / 2 - 0.5 + rel_x * right[0] * SIZE / CAMERA.ortho_height
