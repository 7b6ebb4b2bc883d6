"""Ray casting against the toy world: the one geometric routine every projection shares.

A camera pixel, a point on the wall looking for the fire, and a LiDAR beam are all rays. ``cast`` finds
where a batch of rays first meets an object, the ground or the wall. Vectors are passed as tuples of
three arrays (x, y, z) that broadcast to (B, P) (B scenes, P rays), which keeps the arithmetic
element-wise and fast in NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmlib.world.scene import MAX_OBJECTS, SHAPES, WALL_Z, Scene

GROUND, WALL = MAX_OBJECTS, MAX_OBJECTS + 1  # hit ids after the object slots 0..K-1
NOTHING = -1
EPS = 1e-4
_SPHERE, _CUBE, _CYLINDER = (SHAPES.index(s) for s in ("sphere", "cube", "cylinder"))


@dataclass
class Hit:
    t: np.ndarray  # (B, P) distance along the (unit) ray; inf where nothing was hit
    id: np.ndarray  # (B, P) int8: object slot, GROUND, WALL or NOTHING
    nx: np.ndarray  # (B, P) surface normal at the hit
    ny: np.ndarray
    nz: np.ndarray


def _sphere(o, d, c, r):
    ox, oy, oz = o[0] - c[0], o[1] - c[1], o[2] - c[2]
    b = ox * d[0] + oy * d[1] + oz * d[2]
    disc = b * b - (ox * ox + oy * oy + oz * oz - r * r)
    with np.errstate(invalid="ignore"):  # misses: sqrt of a negative, then inf * 0 below
        t = -b - np.sqrt(disc)
        t = np.where((disc >= 0) & (t > EPS), t, np.inf)
        hx, hy, hz = ox + t * d[0], oy + t * d[1], oz + t * d[2]
    return t, hx / r, hy / r, hz / r


def _cube(o, d, c, r):
    with np.errstate(divide="ignore", invalid="ignore"):
        near, far = [], []
        for a in range(3):
            inv = 1.0 / d[a]
            t1, t2 = (c[a] - r - o[a]) * inv, (c[a] + r - o[a]) * inv
            near.append(np.minimum(t1, t2))
            far.append(np.maximum(t1, t2))
        tmin = np.maximum(np.maximum(near[0], near[1]), near[2])
        tmax = np.minimum(np.minimum(far[0], far[1]), far[2])
    hit = (tmax >= tmin) & (tmin > EPS)
    t = np.where(hit, tmin, np.inf)
    # The face we entered through is the axis whose slab was entered last.
    normals = [np.where(tmin == near[a], -np.sign(d[a]), 0.0) for a in range(3)]
    return (t, *normals)


def _cylinder(o, d, c, r):
    """A vertical cylinder whose half-height equals its radius."""
    with np.errstate(divide="ignore", invalid="ignore"):  # rays parallel to a face give inf * 0 = nan, then miss
        return _cylinder_hits(o, d, c, r)


def _cylinder_hits(o, d, c, r):
    ox, oy, oz = o[0] - c[0], o[1] - c[1], o[2] - c[2]
    a = d[0] * d[0] + d[2] * d[2]
    b = ox * d[0] + oz * d[2]
    disc = b * b - a * (ox * ox + oz * oz - r * r)
    t_side = (-b - np.sqrt(disc)) / a
    y_side = oy + t_side * d[1]
    t_side = np.where((disc >= 0) & (t_side > EPS) & (np.abs(y_side) <= r), t_side, np.inf)
    # The cap facing the ray: top when it comes down, bottom when it goes up.
    cap_y = np.where(d[1] < 0, r, -r)
    t_cap = (cap_y - oy) / d[1]
    cx, cz = ox + t_cap * d[0], oz + t_cap * d[2]
    t_cap = np.where((t_cap > EPS) & (cx * cx + cz * cz <= r * r), t_cap, np.inf)
    side = t_side <= t_cap
    t = np.minimum(t_side, t_cap)
    nx = np.where(side, (ox + t * d[0]) / r, 0.0)
    nz = np.where(side, (oz + t * d[2]) / r, 0.0)
    ny = np.where(side, 0.0, np.sign(cap_y))
    return t, nx, ny, nz


_INTERSECT = {_SPHERE: _sphere, _CUBE: _cube, _CYLINDER: _cylinder}


_BOUND = {_SPHERE: 1.0, _CUBE: 3**0.5, _CYLINDER: 2**0.5}  # bounding-sphere radius / object radius


def _take(x, rows, cols=None):
    """Entries of a (B, P) array, or of one that broadcasts to it, for some scenes (and rays)."""
    if cols is None:
        return x if np.ndim(x) < 2 or np.shape(x)[0] == 1 else x[rows]
    return x[rows if np.shape(x)[0] > 1 else 0, cols if np.shape(x)[1] > 1 else 0]


def cast_objects(o, d, scene: Scene, t_max=np.inf) -> Hit:
    """First object hit by each ray (unit directions ``d``), up to distance ``t_max``."""
    B = len(scene)
    P = np.broadcast_shapes(*(np.shape(v) for v in (*o, *d)))[-1]
    t = np.full((B, P), np.inf, np.float32)
    ids = np.full((B, P), NOTHING, np.int8)
    n = [np.zeros((B, P), np.float32) for _ in range(3)]
    radius = scene.radius
    limit = np.broadcast_to(np.asarray(t_max, np.float32), (B, P)) if np.ndim(t_max) else None
    for k in range(MAX_OBJECTS):
        for shape, intersect in _INTERSECT.items():
            rows = np.flatnonzero(scene.shape[:, k] == shape)
            if rows.size == 0:
                continue
            o_k = [_take(v, rows) for v in o]
            d_k = [_take(v, rows) for v in d]
            c = [scene.position[rows, k, a][:, None] for a in range(3)]
            r = radius[rows, k][:, None]
            # Cheap test against the bounding sphere first; the exact shape only where it may be hit.
            ox, oy, oz = o_k[0] - c[0], o_k[1] - c[1], o_k[2] - c[2]
            b = ox * d_k[0] + oy * d_k[1] + oz * d_k[2]
            rb = r * _BOUND[shape]
            maybe = (b * b >= ox * ox + oy * oy + oz * oz - rb * rb) & (b < rb)
            sub, col = np.nonzero(maybe)
            if sub.size == 0:
                continue
            row = rows[sub]
            tk, *nk = intersect(
                [_take(v, sub, col) for v in o_k],
                [_take(v, sub, col) for v in d_k],
                [ci[sub, 0] for ci in c],
                r[sub, 0],
            )
            bound = t[row, col] if limit is None else np.minimum(t[row, col], limit[row, col])
            closer = tk < np.minimum(bound, t_max) if limit is None else tk < bound
            row, col = row[closer], col[closer]
            t[row, col] = tk[closer]
            ids[row, col] = k
            for a in range(3):
                n[a][row, col] = nk[a][closer]
    return Hit(t, ids, *n)


def cast_background(o, d) -> Hit:
    """Where rays meet the ground (y = 0, in front of the wall) or the wall (z = WALL_Z, above ground)."""
    o = [np.asarray(v, np.float32) for v in o]
    d = [np.asarray(v, np.float32) for v in d]
    shape = np.broadcast_shapes(*(v.shape for v in (*o, *d)))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ground = np.where(d[1] < 0, -o[1] / d[1], np.inf)
        t_ground = np.where(o[2] + t_ground * d[2] <= WALL_Z, t_ground, np.inf)
        t_wall = np.where(d[2] > 0, (WALL_Z - o[2]) / d[2], np.inf)
        t_wall = np.where(o[1] + t_wall * d[1] >= 0, t_wall, np.inf)
    t_ground = np.broadcast_to(np.where(t_ground > EPS, t_ground, np.inf), shape)
    t_wall = np.broadcast_to(np.where(t_wall > EPS, t_wall, np.inf), shape)
    ground = t_ground <= t_wall
    t = np.minimum(t_ground, t_wall).astype(np.float32)
    ids = np.where(np.isinf(t), NOTHING, np.where(ground, GROUND, WALL)).astype(np.int8)
    zero = np.zeros(shape, np.float32)
    return Hit(
        t, ids, zero, np.where(ground, 1.0, 0.0).astype(np.float32), np.where(ground, 0.0, -1.0).astype(np.float32)
    )


def cast(o, d, scene: Scene) -> Hit:
    """First thing each ray meets: an object, the ground or the wall (unit directions ``d``)."""
    bg = cast_background(o, d)
    obj = cast_objects(o, d, scene)
    B, P = obj.t.shape
    first_obj = obj.t < bg.t
    pick = lambda a, b: np.where(first_obj, a, np.broadcast_to(b, (B, P)))  # noqa: E731
    return Hit(
        pick(obj.t, bg.t),
        pick(obj.id, bg.id).astype(np.int8),
        pick(obj.nx, bg.nx),
        pick(obj.ny, bg.ny),
        pick(obj.nz, bg.nz),
    )


def occluded(px, py, pz, light: np.ndarray, scene: Scene) -> np.ndarray:
    """(B, P) bool: whether an object blocks the segment from each point to the scene's light."""
    lx, ly, lz = (light[:, a][:, None] for a in range(3))
    dx, dy, dz = lx - px, ly - py, lz - pz
    dist = np.sqrt(dx * dx + dy * dy + dz * dz)
    d = (dx / dist, dy / dist, dz / dist)
    return np.isfinite(cast_objects((px, py, pz), d, scene, t_max=dist).t)
