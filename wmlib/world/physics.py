"""How the toy world moves: a batch of scenes simulated forward in time under its own physics.

A video of the cave is a sequence of scenes Z_0, Z_1, ..., and a world model's job is to predict
Z_{t+1} from Z_t. This module is the *true* dynamics that the models try to learn, so it is kept
small enough to read in one sitting and exact where that is cheap.

The model, one object at a time (all objects of all scenes are stepped together as arrays):

* **Flight.** An object in the air feels only gravity ``g`` (one value per scene, along -y). Over
  a sub-step of length ``h`` we use the exact constant-acceleration update
  ``y += vy*h - g*h**2/2`` and ``vy -= g*h``, so a throw traces a true parabola however large ``h``
  is; there is no integration error to learn around.
* **Ground bounce.** When the bottom of an object (``y - radius``) would pass below the ground, we
  solve for the instant of contact inside the sub-step, flip the vertical velocity and scale it by
  the restitution ``e`` (``vy -> -e*vy``), and fly the rest of the sub-step from there. Each bounce
  therefore keeps a fraction ``e**2`` of the height: the apexes fall as h, e²h, e⁴h, ...
  A bounce whose rebound speed would be under 0.2 m/s (a hop of about 2 mm) ends the bouncing
  instead: the object comes to rest on the ground (``y = radius``, ``vy = 0``) rather than
  bouncing ever smaller forever. Only real bounces are counted in ``Trajectory.bounces``.
* **Friction.** An object resting on the ground slides: its horizontal speed drops at the constant
  rate ``mu*g`` (Coulomb friction) until it stops, and never reverses. A sliding object with
  speed ``v`` thus stops after the distance ``v**2 / (2*mu*g)``.
* **Walls.** The back wall at ``z = WALL_Z`` reflects an object that reaches it (``vz -> -e*vz``).
  Two invisible side walls at ``x = ±1.6`` (``side_x``) do the same, so that objects stay in view of the camera.

Simplifications, stated so that nobody mistakes them for physics:

* Objects do not collide with each other: they pass through one another.
* Spheres and cylinders would roll and cubes slide; all three use the same sliding-friction law
  here, and nothing spins. A bounce does not change the horizontal velocity (no friction during
  the instant of impact), and there is no air drag.
* Every object is treated as a point at its centre, kept ``radius`` away from the ground and the
  walls (the cylinder's half-height equals its radius, so this holds for all three shapes).

Time: frames are ``1/fps`` seconds apart and each frame interval is split into equal sub-steps
no longer than ``dt``. Small sub-steps matter only for the walls and the onset of rest; the flight
and the ground contact are exact. Everything is deterministic: the same scene gives the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .scene import SIZE_RADIUS, WALL_Z, Scene

__all__ = ["MAX_DT", "Trajectory", "simulate"]

MAX_DT = 0.01  # seconds; larger sub-steps let fast objects tunnel through the ground

SIDE_X = 1.6  # invisible side walls at x = ±1.6 m keep objects in front of the camera
_REST_SPEED = 0.2  # m/s: a rebound slower than this (a ~2 mm hop) ends the bouncing


@dataclass(frozen=True)
class Trajectory:
    """A simulated clip: the state of every object at every frame.

    Arrays are indexed [scene, frame, slot, xyz]; empty slots hold zeros throughout.
    """

    times: np.ndarray  # (T,) float32 seconds, times[0] == 0
    position: np.ndarray  # (B, T, K, 3) float32: object centres, metres
    velocity: np.ndarray  # (B, T, K, 3) float32: metres per second
    bounces: np.ndarray  # (B, K) int: ground bounces during the clip (after frame 0)

    def frame(self, scene: Scene, t: int) -> Scene:
        """The scene at frame ``t`` (negative counts from the end): ``scene`` with the positions
        and velocities of that frame. ``scene`` must be the batch that was simulated."""
        n = len(self)
        if not isinstance(t, (int, np.integer)) or isinstance(t, bool):
            raise TypeError(f"frame index must be an int, got {t!r}")
        if not -n <= t < n:
            raise IndexError(f"frame {t} is out of range: the clip has {n} frames (0 to {n - 1})")
        if scene.position.shape != self.position[:, 0].shape:
            raise ValueError(
                f"scene has shape {scene.position.shape[:2]} (scenes, slots) but the trajectory "
                f"was simulated for {self.position.shape[0]} scenes of {self.position.shape[2]} slots"
            )
        return scene.with_(position=self.position[:, t].copy(), velocity=self.velocity[:, t].copy())

    def __len__(self) -> int:
        """Number of frames T."""
        return self.times.shape[0]

    def clips(self, index) -> "Trajectory":
        """Some of the clips (a slice, an index array or a boolean mask over scenes), all frames."""
        return Trajectory(self.times, self.position[index], self.velocity[index], self.bounces[index])

    @staticmethod
    def concat(trajectories: "list[Trajectory]") -> "Trajectory":
        """The clips of several trajectories of the same frames, one after the other."""
        return Trajectory(
            trajectories[0].times,
            np.concatenate([t.position for t in trajectories]),
            np.concatenate([t.velocity for t in trajectories]),
            np.concatenate([t.bounces for t in trajectories]),
        )


def _check(n_frames: int, fps: float, dt: float) -> None:
    if isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer)) or n_frames < 1:
        raise ValueError(f"n_frames must be an int >= 1, got {n_frames!r}")
    if (
        isinstance(fps, bool)
        or not isinstance(fps, (int, float, np.integer, np.floating))
        or not (math.isfinite(fps) and fps > 0)
    ):
        raise ValueError(f"fps must be a finite number > 0 (frames per second), got {fps!r}")
    if isinstance(dt, bool) or not isinstance(dt, (int, float, np.integer, np.floating)) or not 0 < dt <= MAX_DT:
        raise ValueError(
            f"dt must be in (0, {MAX_DT}] s: larger steps let fast objects pass through the ground; got {dt!r}"
        )


def simulate(
    scene: Scene, n_frames: int = 16, fps: float = 12.0, dt: float = 1 / 600, side_x: float = SIDE_X
) -> Trajectory:
    """Simulate every scene of the batch for ``n_frames`` frames, ``1/fps`` seconds apart.

    Frame 0 is the scene as given. Between frames the world is stepped in equal sub-steps of at
    most ``dt`` seconds (``dt`` in (0, MAX_DT]). Vectorised over scenes and objects. The side walls
    stand at ``x = ±side_x`` metres.

    >>> from wmlib.world.scene import sample_scenes
    >>> traj = simulate(sample_scenes(8, seed=0, moving=True), n_frames=16)
    >>> traj.position.shape   # (scenes, frames, slots, xyz)
    (8, 16, 3, 3)
    """
    _check(n_frames, fps, dt)
    if isinstance(side_x, bool) or not (
        isinstance(side_x, (int, float, np.integer, np.floating))
        and math.isfinite(side_x)
        and side_x > float(SIZE_RADIUS.max())
    ):
        raise ValueError(f"side_x must be a number of metres larger than the largest radius, got {side_x!r}")
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a wmlib.world.scene.Scene, got {type(scene).__name__}")
    n_frames = int(n_frames)
    frame_dt = 1.0 / float(fps)
    # The tolerance keeps 1/12 over 1/600 at 50 sub-steps, not 51 from a rounding error.
    n_sub = max(1, math.ceil(frame_dt / float(dt) - 1e-9))
    h = frame_dt / n_sub

    present = scene.present
    B, K = present.shape
    # Only real objects are stepped, flattened to one long axis; empty slots never move.
    which = np.nonzero(present)[0]  # the scene of each object, to look up its world constants
    r = scene.radius[present].astype(np.float64)
    g = scene.gravity.astype(np.float64)[which]
    e = scene.restitution.astype(np.float64)[which]
    decel = scene.friction.astype(np.float64)[which] * g  # friction's deceleration mu*g on the ground
    # Float64 inside: a few hundred sub-steps must not accumulate float32 rounding.
    pos = scene.position[present].astype(np.float64)
    vel = scene.velocity[present].astype(np.float64)
    x, y, z = pos[:, 0].copy(), pos[:, 1].copy(), pos[:, 2].copy()
    vx, vy, vz = vel[:, 0].copy(), vel[:, 1].copy(), vel[:, 2].copy()
    # A hand-built scene may start slightly inside the ground or a wall; lift it out, so that the
    # contact-time formula below never meets an object that is already below the ground.
    y = np.maximum(y, r)
    x = np.clip(x, -(side_x - r), side_x - r)
    z = np.minimum(z, WALL_Z - r)

    resting = np.zeros(r.shape, bool)
    bounces = np.zeros(r.shape, np.int64)
    n = r.shape[0]
    out_pos = np.empty((n_frames, n, 3), np.float32)
    out_vel = np.empty((n_frames, n, 3), np.float32)

    def record(t: int) -> None:
        out_pos[t, :, 0], out_pos[t, :, 1], out_pos[t, :, 2] = x, y, z
        out_vel[t, :, 0], out_vel[t, :, 1], out_vel[t, :, 2] = vx, vy, vz

    record(0)
    for t in range(1, n_frames):
        for _ in range(n_sub):
            # --- flight: exact parabola for everything in the air --------------------------------
            flying = ~resting
            y_new = y + vy * h - 0.5 * g * h * h
            vy_new = vy - g * h
            airtime = np.where(flying, h, 0.0)  # how long each object moves freely this sub-step
            hit = np.flatnonzero(flying & (y_new < r))
            if hit.size:
                rh, gh, eh = r[hit], g[hit], e[hit]
                # Solve r = y + vy*t - g*t²/2 for the contact time, rather than reflecting the
                # overshoot: that would add up to g*h of speed per bounce and spoil the e² law.
                speed_in = np.sqrt(np.maximum(vy[hit] ** 2 + 2 * gh * (y[hit] - rh), 0.0))
                t_hit = np.clip((vy[hit] + speed_in) / gh, 0.0, h)
                speed_out = eh * speed_in
                left = h - t_hit
                y_bounce = rh + speed_out * left - 0.5 * gh * left * left
                # A rebound that lands again within the same sub-step is a hop the clock cannot
                # resolve (or a slow one under _REST_SPEED): the bouncing is over.
                bounce = (speed_out > _REST_SPEED) & (y_bounce >= rh)
                up, land = hit[bounce], hit[~bounce]
                y_new[up] = y_bounce[bounce]
                vy_new[up] = speed_out[bounce] - gh[bounce] * left[bounce]
                bounces[up] += 1
                y_new[land] = r[land]
                vy_new[land] = 0.0
                airtime[land] = t_hit[~bounce]
                resting[land] = True
            y, vy = np.where(resting, r, y_new), np.where(resting, 0.0, vy_new)
            x = x + vx * airtime
            z = z + vz * airtime

            # --- friction: sliding on the ground for the rest of the sub-step --------------------
            ground = np.flatnonzero(resting)
            if ground.size:
                tau = h - airtime[ground]
                u, w = vx[ground], vz[ground]
                speed = np.hypot(u, w)
                a = decel[ground]
                slowed = np.maximum(speed - a * tau, 0.0)
                # Time actually spent moving: all of tau, or less if the object stops first. With
                # it the distance is exact for a constant deceleration (the mean speed times time).
                moving_for = np.where(slowed > 0, tau, speed / np.where(a > 0, a, 1.0))
                dist = 0.5 * (speed + slowed) * moving_for
                safe = np.where(speed > 0, speed, 1.0)
                x[ground] += u / safe * dist
                z[ground] += w / safe * dist
                vx[ground] = u / safe * slowed
                vz[ground] = w / safe * slowed

            # --- walls: reflect with the same restitution as the ground --------------------------
            # A sub-step moves an object at most a few cm, so reflecting the overshoot is accurate
            # enough here, and the reflected position is always inside.
            over = z + r - WALL_Z
            if (over > 0).any():
                m = over > 0
                z = np.where(m, WALL_Z - r - e * over, z)
                vz = np.where(m, -e * np.abs(vz), vz)
            over_r = x + r - side_x
            over_l = -side_x - (x - r)
            if (over_r > 0).any() or (over_l > 0).any():
                mr, ml = over_r > 0, over_l > 0
                x = np.where(mr, side_x - r - e * over_r, np.where(ml, -side_x + r + e * over_l, x))
                vx = np.where(mr, -e * np.abs(vx), np.where(ml, e * np.abs(vx), vx))
        record(t)

    # Back to (B, T, K, 3), with zeros in the empty slots.
    position = np.zeros((B, K, n_frames, 3), np.float32)
    velocity = np.zeros((B, K, n_frames, 3), np.float32)
    position[present] = out_pos.transpose(1, 0, 2)
    velocity[present] = out_vel.transpose(1, 0, 2)
    count = np.zeros((B, K), np.int64)
    count[present] = bounces
    times = (np.arange(n_frames, dtype=np.float64) * frame_dt).astype(np.float32)
    return Trajectory(
        times=times,
        position=np.ascontiguousarray(position.transpose(0, 2, 1, 3)),
        velocity=np.ascontiguousarray(velocity.transpose(0, 2, 1, 3)),
        bounces=count,
    )
