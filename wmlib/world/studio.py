"""The studio: the fixed video camera every lesson from 04 on films the toy world with.

The camera is orthographic and tilted 30 degrees down (``CAMERA``), so that a cube, a cylinder and a sphere
look different (their tops show), while heights still map linearly to pixel rows: gravity in a video is a
constant acceleration in pixels per frame squared (``gravity_px``), which is what makes it measurable.
The fire stays in one place (``LIGHT``) and there are no shadows; objects move in the plane z = ``DEPTH``.

>>> round(gravity_px(), 3)  # 9.81 m/s² seen at 12 frames per second by 32 pixels over 2.5 m
0.755
"""

from __future__ import annotations

import math

import numpy as np

from wmlib.world import render as R
from wmlib.world.physics import Trajectory
from wmlib.world.scene import FRICTION, GRAVITY, MAX_OBJECTS, RESTITUTION, Scene

FRAMES = 16
FPS = 12.0
SIZE = 32
TILT = 30.0  # degrees below the horizontal
LIGHT = (0.0, 0.25, -1.5)  # the fire, fixed
DEPTH = 1.5  # every object moves in the plane z = 1.5 m
_FORWARD = np.array([0.0, -math.sin(math.radians(TILT)), math.cos(math.radians(TILT))])
_LOOK_AT = np.array([0.0, 1.2, DEPTH])
CAMERA = R.Camera(
    position=tuple(float(v) for v in _LOOK_AT - 6 * _FORWARD),
    look_at=tuple(float(v) for v in _LOOK_AT),
    ortho_height=2.5,
)
VIEW_X = 1.2  # metres: objects stay within |x| + radius <= VIEW_X (the view is ±1.25 m wide)
VIEW_TOP = 2.4  # metres: and below this height


def gravity_px(
    gravity: float = GRAVITY, fps: float = FPS, size: int = SIZE, camera: R.Camera = CAMERA, tilt: float = TILT
) -> float:
    """The world's gravity as the video shows it: pixels per frame², downward on the image.

    Heights map to rows through ``cos(tilt) * size / ortho_height`` pixels per metre (orthographic), and
    a frame lasts ``1/fps`` seconds."""
    return float(gravity / fps**2 * size / camera.ortho_height * math.cos(math.radians(tilt)))


def one_object_scenes(shape, colour, size, x, y, vx, vy) -> Scene:
    """Scenes of one object each (slot 0) moving in the plane z = ``DEPTH``, lit by the fixed fire,
    with the world's constants; every argument is an array with one value per scene."""
    m = len(shape)

    def slots(first, fill, dtype):
        out = np.full((m, MAX_OBJECTS), fill, dtype)
        out[:, 0] = first
        return out

    position = np.zeros((m, MAX_OBJECTS, 3), np.float32)
    velocity = np.zeros((m, MAX_OBJECTS, 3), np.float32)
    position[:, 0] = np.stack([x, y, np.full(m, DEPTH)], 1)
    velocity[:, 0] = np.stack([vx, vy, np.zeros(m)], 1)
    full = lambda v: np.full(m, v, np.float32)  # noqa: E731
    return Scene(
        slots(shape, -1, np.int8),
        slots(colour, 0, np.int8),
        slots(size, 0, np.int8),
        position,
        velocity,
        np.tile(np.float32(LIGHT), (m, 1)),
        full(GRAVITY),
        full(RESTITUTION),
        full(FRICTION),
    )


def render_frames(scene: Scene, trajectory: Trajectory, chunk: int = 512) -> np.ndarray:
    """(B, T, H, W, 3) float32 frames of any simulated batch, no shadows, seen by ``CAMERA``."""
    from wmlib.world.video import frames_as_scenes

    B, T = trajectory.position.shape[:2]
    out = np.empty((B, T, SIZE, SIZE, 3), np.float32)
    for i in range(0, B, chunk):
        flat = frames_as_scenes(scene[i : i + chunk], trajectory.clips(slice(i, i + chunk)))
        out[i : i + chunk] = R.render(flat, SIZE, CAMERA, shadows=False)[0].reshape(-1, T, SIZE, SIZE, 3)
    return out


def background() -> np.ndarray:
    """(H, W, 3): what the camera sees with no object, the same in every clip."""
    empty = Scene(
        np.full((1, MAX_OBJECTS), -1, np.int8),
        np.zeros((1, MAX_OBJECTS), np.int8),
        np.zeros((1, MAX_OBJECTS), np.int8),
        np.zeros((1, MAX_OBJECTS, 3), np.float32),
        np.zeros((1, MAX_OBJECTS, 3), np.float32),
        np.float32([LIGHT]),
        np.float32([GRAVITY]),
        np.float32([RESTITUTION]),
        np.float32([FRICTION]),
    )
    return R.render(empty, SIZE, CAMERA, shadows=False)[0][0]
