"""Projections of Z: the camera image, the shadow on the cave wall, depth, occupancy and LiDAR.

Each is a pure function of a ``Scene`` batch and returns one array per scene, so a probe can ask what
each projection keeps of Z. All are ray casts through ``wmlib.world.raycast``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from wmlib.world.raycast import GROUND, cast, cast_background, cast_objects, occluded
from wmlib.world.scene import COLOUR_RGB, MAX_OBJECTS, WALL_Z, Scene

FIRE_RGB = np.array([1.0, 0.82, 0.58], np.float32)
GROUND_RGB = np.array([0.62, 0.52, 0.40], np.float32)  # sand
WALL_RGB = np.array([0.55, 0.50, 0.46], np.float32)  # rock
AMBIENT = 0.45
WALL_WINDOW = (-3.5, 3.5, 0.0, 7.0)  # x0, x1, y0, y1 of the wall the prisoners see (square)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera (``fov``: vertical field of view, degrees) or, with ``ortho_height`` (metres),
    an orthographic one, in which world distances map linearly to pixels."""

    position: tuple[float, float, float] = (0.0, 1.5, -2.2)
    look_at: tuple[float, float, float] = (0.0, 0.7, 2.0)
    fov: float = 50.0
    ortho_height: float | None = None

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit (right, up, forward) vectors of the camera."""
        forward = np.subtract(self.look_at, self.position).astype(np.float64)
        forward /= np.linalg.norm(forward)
        right = np.cross([0.0, 1.0, 0.0], forward)
        right /= np.linalg.norm(right)
        return right, np.cross(forward, right), forward


VIEW = Camera()  # the default: from behind the fire, looking down at the objects and the wall
FRONT = Camera(position=(0.0, 1.25, -6.0), look_at=(0.0, 1.25, 0.0), ortho_height=2.5)  # for measuring motion


def check_size(size) -> tuple[int, int]:
    """(height, width) from an int or a pair; each a positive int."""
    h, w = (size, size) if np.isscalar(size) else tuple(size)
    for v in (h, w):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"image size must be a positive integer or a pair of them, got {size!r}")
    return int(h), int(w)


@lru_cache(maxsize=32)
def camera_rays(camera: Camera, size: tuple[int, int]):
    """Ray origins and unit directions of every pixel (row-major, row 0 at the top), each as a tuple of
    three (1, H*W) float32 arrays."""
    h, w = size
    right, up, forward = camera.basis()
    # Pixel centres in [-1, 1] vertically, with square pixels.
    v = (1 - (np.arange(h) + 0.5) * 2 / h)[:, None].repeat(w, 1).ravel()
    u = (((np.arange(w) + 0.5) * 2 / w - 1) * w / h)[None, :].repeat(h, 0).ravel()
    if camera.ortho_height:
        half = camera.ortho_height / 2
        origin = np.asarray(camera.position) + half * (u[:, None] * right + v[:, None] * up)
        direction = np.broadcast_to(forward, origin.shape)
    else:
        half = np.tan(np.radians(camera.fov) / 2)
        direction = forward + half * (u[:, None] * right + v[:, None] * up)
        direction = direction / np.linalg.norm(direction, axis=1, keepdims=True)
        origin = np.broadcast_to(np.asarray(camera.position), direction.shape)
    as_rows = lambda a: tuple(np.ascontiguousarray(a[:, i], np.float32)[None, :] for i in range(3))  # noqa: E731
    return as_rows(origin), as_rows(direction)


def _light(hit_point, normal, scene: Scene):
    """Diffuse light from the fire at each point: cosine law, gentle fall-off, zero in shadow."""
    px, py, pz = hit_point
    lx, ly, lz = (scene.light[:, a][:, None] for a in range(3))
    dx, dy, dz = lx - px, ly - py, lz - pz
    dist = np.sqrt(dx * dx + dy * dy + dz * dz)
    cos = np.clip((normal[0] * dx + normal[1] * dy + normal[2] * dz) / dist, 0, None)
    # Start the shadow ray a hair off the surface so it does not hit the surface it leaves.
    shadow = occluded(px + 1e-3 * normal[0], py + 1e-3 * normal[1], pz + 1e-3 * normal[2], scene.light, scene)
    return np.where(shadow, 0.0, cos * 1.3 / (1 + 0.05 * dist * dist)).astype(np.float32)


@lru_cache(maxsize=32)
def _background(camera: Camera, size: tuple[int, int]):
    """What each pixel sees when no object is in the way: the same for every scene, so computed once."""
    o, d = camera_rays(camera, size)
    hit = cast_background(o, d)
    x = o[0] + hit.t * d[0]
    z = o[2] + hit.t * d[2]
    # A faint grid on the ground gives the eye a sense of depth.
    grid = (np.abs(((x + 0.25) % 0.5) - 0.25) < 0.012) | (np.abs(((z + 0.25) % 0.5) - 0.25) < 0.012)
    palette_index = np.where(hit.id == GROUND, np.where(grid, _GRID, _GROUND), _WALL)
    return hit, palette_index


_GROUND, _GRID, _WALL = len(COLOUR_RGB), len(COLOUR_RGB) + 1, len(COLOUR_RGB) + 2
_PALETTE = np.concatenate([COLOUR_RGB, [GROUND_RGB, 0.85 * GROUND_RGB, WALL_RGB]]).astype(np.float32)
_CHUNK = 16  # scenes per pass: keeps the working arrays in the CPU cache (about 2x faster than all at once)


def render(scene: Scene, size=64, camera: Camera = VIEW, shadows: bool = True):
    """Camera image, depth and object-id map of every scene.

    Returns ``image`` (B, H, W, 3) float32 in [0, 1], ``depth`` (B, H, W) float32 (distance along the
    camera's axis, metres; inf where the ray meets nothing) and ``ids`` (B, H, W) int8 (object slot, or
    ``wmlib.world.raycast.GROUND`` / ``WALL`` / ``NOTHING``).
    """
    h, w = check_size(size)
    parts = [_render_chunk(scene[i : i + _CHUNK], (h, w), camera, shadows) for i in range(0, len(scene), _CHUNK)]
    return tuple(np.concatenate(p) for p in zip(*parts))


def _render_chunk(scene: Scene, size: tuple[int, int], camera: Camera, shadows: bool):
    h, w = size
    B = len(scene)
    o, d = camera_rays(camera, size)
    bg, bg_palette = _background(camera, size)
    obj = cast_objects(o, d, scene)
    first = obj.t < bg.t
    t = np.where(first, obj.t, bg.t)
    ids = np.where(first, obj.id, bg.id).astype(np.int8)
    normal = tuple(np.where(first, a, b) for a, b in zip((obj.nx, obj.ny, obj.nz), (bg.nx, bg.ny, bg.nz)))

    colour_of_hit = np.take_along_axis(scene.colour, np.clip(obj.id, 0, None).astype(np.intp), axis=1)
    albedo = _PALETTE[np.where(first, colour_of_hit, bg_palette)]
    finite = np.isfinite(t)
    if shadows:
        point = tuple(np.where(finite, o[a] + t * d[a], 0.0) for a in range(3))
        light = _light(point, normal, scene)
        image = albedo * (AMBIENT + light[..., None] * FIRE_RGB)
    else:
        image = albedo
    image[~finite] = 0.0
    right, up, forward = camera.basis()
    depth = t * (d[0] * forward[0] + d[1] * forward[1] + d[2] * forward[2]).astype(np.float32)
    return (np.clip(image, 0, 1).reshape(B, h, w, 3), depth.reshape(B, h, w), ids.reshape(B, h, w))


def camera_image(scene: Scene, size=64, camera: Camera = VIEW) -> np.ndarray:
    """(B, H, W, 3) float32 RGB in [0, 1]: what a camera in the cave sees."""
    return render(scene, size, camera)[0]


def depth_map(scene: Scene, size=64, camera: Camera = VIEW) -> np.ndarray:
    """(B, H, W) float32: distance along the camera axis to the first surface, metres."""
    return render(scene, size, camera, shadows=False)[1]


def wall_points(size, window=WALL_WINDOW):
    """Centres of the wall's pixels (row 0 at the top), as (x, y, z) arrays of shape (1, H*W)."""
    h, w = check_size(size)
    x0, x1, y0, y1 = window
    x = np.linspace(x0, x1, w, endpoint=False) + (x1 - x0) / (2 * w)
    y = np.linspace(y1, y0, h, endpoint=False) - (y1 - y0) / (2 * h)
    xx, yy = np.meshgrid(x, y)
    return tuple(a.ravel()[None, :].astype(np.float32) for a in (xx, yy, np.full_like(xx, WALL_Z)))


def project_to_wall(points: np.ndarray, light: np.ndarray, wall_z: float = WALL_Z) -> np.ndarray:
    """Where the rays from the fire ``light`` through ``points`` (..., 3) meet the wall z = ``wall_z``:
    the (x, y) of each point's shadow. A central projection: offsets from the fire are magnified by
    (wall_z - light_z) / (point_z - light_z), so objects near the fire cast large shadows."""
    points, light = np.asarray(points, np.float64), np.asarray(light, np.float64)
    if not (points[..., 2] > light[..., 2]).all():
        raise ValueError("every point must lie between the fire and the wall (z greater than the fire's)")
    s = (wall_z - light[..., 2]) / (points[..., 2] - light[..., 2])
    return light[..., :2] + s[..., None] * (points[..., :2] - light[..., :2])


def shadow(scene: Scene, size=64, window=WALL_WINDOW) -> np.ndarray:
    """(B, H, W) float32 in [0, 1]: the cave wall as the prisoners see it, lit by the fire, with the
    objects' shadows. A wall point is dark when the segment from it to the fire passes through an object,
    which is exactly the central projection of the objects from the fire onto the wall."""
    h, w = check_size(size)
    px, py, pz = wall_points((h, w), window)
    dark = occluded(px, py, pz, scene.light, scene)
    lx, ly, lz = (scene.light[:, a][:, None] for a in range(3))
    dist2 = (lx - px) ** 2 + (ly - py) ** 2 + (lz - pz) ** 2
    lit = 0.15 + 0.85 * np.clip(1.0 / (1 + 0.02 * dist2), 0, 1) * ((pz - lz) / np.sqrt(dist2))
    return np.where(dark, 0.06, lit).reshape(len(scene), h, w).astype(np.float32)


OCCUPANCY_BOUNDS = ((-2.0, 2.0), (0.0, 2.25), (0.0, 4.0))  # x, y, z in metres: 0.125 m voxels by default


def occupancy(scene: Scene, resolution=(32, 18, 32), bounds=OCCUPANCY_BOUNDS) -> np.ndarray:
    """(B, X, Y, Z) uint8 voxel grid: 0 where empty, slot + 1 of the object whose volume holds the voxel
    centre (the semantic occupancy that OccGen models generate)."""
    res = tuple(int(r) for r in resolution)
    if len(res) != 3 or min(res) < 1:
        raise ValueError(f"resolution must be three positive integers, got {resolution!r}")
    centres = [lo + (np.arange(n) + 0.5) * (hi - lo) / n for (lo, hi), n in zip(bounds, res)]
    gx, gy, gz = (g.ravel()[None, :] for g in np.meshgrid(*centres, indexing="ij"))
    grid = np.zeros((len(scene), gx.size), np.uint8)
    radius = scene.radius
    for k in range(MAX_OBJECTS):
        for shape in range(3):  # only the scenes whose slot k holds this shape
            rows = np.flatnonzero(scene.shape[:, k] == shape)
            if rows.size == 0:
                continue
            c = [scene.position[rows, k, a][:, None] for a in range(3)]
            r = radius[rows, k][:, None]
            dx, dy, dz = np.abs(gx - c[0]), np.abs(gy - c[1]), np.abs(gz - c[2])
            if shape == 0:  # sphere
                inside = dx * dx + dy * dy + dz * dz <= r * r
            elif shape == 1:  # cube
                inside = (dx <= r) & (dy <= r) & (dz <= r)
            else:  # cylinder, upright
                inside = (dx * dx + dz * dz <= r * r) & (dy <= r)
            block = grid[rows]
            block[inside] = k + 1
            grid[rows] = block
    return grid.reshape(len(scene), *res)


@dataclass(frozen=True)
class Lidar:
    """A spinning LiDAR: ``beams`` elevation angles between ``elevation`` (degrees), ``columns``
    azimuths over 360 degrees, returns up to ``max_range`` metres."""

    position: tuple[float, float, float] = (0.0, 1.0, -1.0)
    beams: int = 16
    columns: int = 128
    elevation: tuple[float, float] = (-30.0, 15.0)
    max_range: float = 12.0

    def directions(self):
        """Unit beam directions, (1, beams*columns) per axis; azimuth 0 looks at the wall (+z)."""
        el = np.radians(np.linspace(self.elevation[1], self.elevation[0], self.beams))[:, None]
        az = np.radians(np.arange(self.columns) * 360.0 / self.columns)[None, :]
        d = (np.cos(el) * np.sin(az), np.sin(el) * np.ones_like(az), np.cos(el) * np.cos(az))
        return tuple(a.ravel()[None, :].astype(np.float32) for a in d)


def lidar(scene: Scene, sensor: Lidar = Lidar()) -> tuple[np.ndarray, np.ndarray]:
    """A LiDAR scan, as LiDARGen models it: the range image (B, beams, columns) in metres, 0 where a beam
    returns nothing, and the point cloud (B, beams*columns, 3) with NaN rows for beams without return."""
    if sensor.beams < 1 or sensor.columns < 1 or not sensor.max_range > 0:
        raise ValueError("a LiDAR needs at least one beam and one column, and a positive range")
    d = sensor.directions()
    o = tuple(np.full((1, 1), v, np.float32) for v in sensor.position)
    hit = cast(o, d, scene)
    rng = np.where(hit.t <= sensor.max_range, hit.t, 0.0).astype(np.float32)
    points = np.stack([np.where(rng > 0, o[a] + rng * d[a], np.nan) for a in range(3)], axis=-1)
    return rng.reshape(len(scene), sensor.beams, sensor.columns), points.astype(np.float32)
