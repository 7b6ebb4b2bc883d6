"""Videos of the toy world: a scene simulated forward, each frame rendered in one of the image projections."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from wmlib.world import render as R
from wmlib.world.physics import Trajectory
from wmlib.world.scene import Scene

IMAGE_PROJECTIONS = ("camera", "shadow", "depth")


def project(scene: Scene, projection: str = "camera", size=64, camera: R.Camera = R.VIEW) -> np.ndarray:
    """One image projection of every scene: ``camera`` (B, H, W, 3), ``shadow`` or ``depth`` (B, H, W)."""
    if projection == "camera":
        return R.camera_image(scene, size, camera)
    if projection == "shadow":
        return R.shadow(scene, size)
    if projection == "depth":
        return R.depth_map(scene, size, camera)
    raise ValueError(f"unknown projection {projection!r}; allowed: {', '.join(IMAGE_PROJECTIONS)}")


def frames_as_scenes(scene: Scene, trajectory: Trajectory) -> Scene:
    """All frames of all clips as one flat batch of B*T scenes (clip-major), to render in one call."""
    B, T = trajectory.position.shape[:2]
    flat = {f.name: np.repeat(getattr(scene, f.name), T, axis=0) for f in fields(Scene)}
    flat["position"] = trajectory.position.reshape(B * T, *trajectory.position.shape[2:])
    flat["velocity"] = trajectory.velocity.reshape(B * T, *trajectory.velocity.shape[2:])
    return Scene(**flat)


def render_video(
    scene: Scene, trajectory: Trajectory, projection: str = "camera", size=32, camera: R.Camera = R.VIEW
) -> np.ndarray:
    """(B, T, H, W[, 3]) float32 frames of the simulated clips in the chosen image projection."""
    if len(trajectory.position) != len(scene):
        raise ValueError(f"the trajectory has {len(trajectory.position)} clips but the scene batch has {len(scene)}")
    frames = project(frames_as_scenes(scene, trajectory), projection, size, camera)
    return frames.reshape(len(scene), len(trajectory), *frames.shape[1:])
