"""Z, the true state of the toy world: objects on a ground plane before the cave wall, lit by a fire.

A ``Scene`` holds a *batch* of scenes as NumPy arrays (first axis: scene; second: object slot), so that
every projection can be computed for thousands of scenes at once. Empty slots have ``shape == -1``.

Coordinates, in metres: x to the right, y up (the ground is y = 0), z away from the viewer toward the
back wall at z = WALL_Z. The fire is a point light on the ground between the viewer and the objects,
so the objects' shadows rise onto the wall, as in Plato's cave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

MAX_OBJECTS = 3
SHAPES = ("sphere", "cube", "cylinder")
SIZES = ("small", "large")
SIZE_RADIUS = np.array([0.2, 0.35], dtype=np.float32)  # sphere radius, half the cube's side, cylinder radius
# Eight hues far apart, with the RGB (0-1) each is drawn in.
COLOURS = {
    "red": (0.86, 0.16, 0.14),
    "orange": (0.96, 0.52, 0.10),
    "yellow": (0.95, 0.85, 0.18),
    "green": (0.20, 0.68, 0.25),
    "cyan": (0.15, 0.75, 0.80),
    "blue": (0.17, 0.33, 0.85),
    "purple": (0.52, 0.25, 0.75),
    "pink": (0.95, 0.50, 0.72),
}
COLOUR_NAMES = tuple(COLOURS)
COLOUR_RGB = np.array(list(COLOURS.values()), dtype=np.float32)
CLASSES = {"colour": len(COLOUR_NAMES), "shape": len(SHAPES), "size": len(SIZES)}  # the values each category takes

WALL_Z = 4.0  # the cave wall
X_RANGE = (-1.2, 1.2)  # where objects are placed
Z_RANGE = (0.6, 2.6)
MAX_HEIGHT = 1.8  # highest centre of an object in the air
LIGHT_RANGE = {"x": (-0.8, 0.8), "y": (0.1, 0.4), "z": (-1.8, -1.2)}  # the fire, on the ground

GRAVITY = 9.81
RESTITUTION = 0.6
FRICTION = 0.4


@dataclass(frozen=True)
class Scene:
    """A batch of scenes (Z). Arrays are indexed [scene] or [scene, slot] (or [scene, slot, xyz])."""

    shape: np.ndarray  # (B, K) int8: index into SHAPES, -1 for an empty slot
    colour: np.ndarray  # (B, K) int8: index into COLOUR_NAMES
    size: np.ndarray  # (B, K) int8: index into SIZES
    position: np.ndarray  # (B, K, 3) float32: centre, metres
    velocity: np.ndarray  # (B, K, 3) float32: metres per second
    light: np.ndarray  # (B, 3) float32: the fire
    gravity: np.ndarray  # (B,) float32: m/s^2, pulling toward -y
    restitution: np.ndarray  # (B,) float32: fraction of vertical speed kept in a bounce
    friction: np.ndarray  # (B,) float32: sliding friction coefficient on the ground

    def __len__(self) -> int:
        return self.shape.shape[0]

    def __getitem__(self, index) -> "Scene":
        """A sub-batch: ``scene[3]`` (kept as a batch of one), ``scene[:10]``, ``scene[mask]``."""
        if isinstance(index, (int, np.integer)):
            index = slice(index, index + 1 if index != -1 else None)
        return Scene(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @property
    def present(self) -> np.ndarray:
        """(B, K) bool: which slots hold an object."""
        return self.shape >= 0

    @property
    def n_objects(self) -> np.ndarray:
        return self.present.sum(axis=1)

    @property
    def radius(self) -> np.ndarray:
        """(B, K) float32: half-extent of each object (0 for empty slots)."""
        return np.where(self.present, SIZE_RADIUS[self.size.clip(0)], 0).astype(np.float32)

    def with_(self, **changes) -> "Scene":
        """A copy with some arrays replaced (for example ``scene.with_(light=...)``)."""
        return replace(self, **changes)

    @staticmethod
    def concat(scenes: Sequence["Scene"]) -> "Scene":
        return Scene(**{f.name: np.concatenate([getattr(s, f.name) for s in scenes]) for f in fields(Scene)})

    def describe(self, i: int = 0) -> list[str]:
        """Human-readable objects of scene ``i``: ["small red sphere at (x, y, z)", ...]."""
        out = []
        for k in np.flatnonzero(self.present[i]):
            x, y, z = self.position[i, k]
            out.append(
                f"{SIZES[self.size[i, k]]} {COLOUR_NAMES[self.colour[i, k]]} {SHAPES[self.shape[i, k]]}"
                f" at ({x:.2f}, {y:.2f}, {z:.2f})"
            )
        return out


# --- building scenes by hand -----------------------------------------------------------------


def _index(value, names: Sequence[str], what: str) -> int:
    if isinstance(value, (int, np.integer)) and 0 <= value < len(names):
        return int(value)
    if isinstance(value, str) and value in names:
        return names.index(value)
    raise ValueError(f"unknown {what} {value!r}; allowed: {', '.join(names)}")


def make_scene(
    objects: Iterable[Mapping],
    light: Sequence[float] = (0.0, 0.25, -1.5),
    gravity: float = GRAVITY,
    restitution: float = RESTITUTION,
    friction: float = FRICTION,
) -> Scene:
    """One scene from a list of objects, each a dict with ``shape``, ``colour``, ``size`` and
    ``position`` (x, z, or x, y, z; y defaults to resting on the ground) and optionally ``velocity``.

    >>> ball = make_scene([dict(shape="sphere", colour="red", size="small", position=(0, 1.5))])
    >>> len(ball), ball.position[0, 0].tolist()  # one scene; the ball rests on the ground, its radius up
    (1, [0.0, 0.20000000298023224, 1.5])
    """
    objects = list(objects)
    check_count(len(objects), low=1)
    check_constants(gravity, restitution, friction)
    shape = np.full((1, MAX_OBJECTS), -1, np.int8)
    colour = np.zeros((1, MAX_OBJECTS), np.int8)
    size = np.zeros((1, MAX_OBJECTS), np.int8)
    position = np.zeros((1, MAX_OBJECTS, 3), np.float32)
    velocity = np.zeros((1, MAX_OBJECTS, 3), np.float32)
    for k, obj in enumerate(objects):
        unknown = set(obj) - {"shape", "colour", "size", "position", "velocity"}
        if unknown:
            raise ValueError(
                f"unknown object field(s) {sorted(unknown)}; allowed: shape, colour, size, position, velocity"
            )
        shape[0, k] = _index(obj.get("shape", "sphere"), SHAPES, "shape")
        colour[0, k] = _index(obj.get("colour", "red"), COLOUR_NAMES, "colour")
        size[0, k] = _index(obj.get("size", "small"), SIZES, "size")
        r = SIZE_RADIUS[size[0, k]]
        pos = [float(v) for v in obj.get("position", (0.0, 1.5))]
        if len(pos) == 2:
            pos = [pos[0], float(r), pos[1]]
        if len(pos) != 3:
            raise ValueError(f"position must be (x, z) or (x, y, z), got {obj.get('position')!r}")
        if pos[1] < r - 1e-6:
            raise ValueError(f"object {k} would sink into the ground: its centre must be at y >= {r:g} (its radius)")
        if not pos[2] + r < WALL_Z:
            raise ValueError(f"object {k} would pass through the wall: z + radius must be < {WALL_Z:g}")
        position[0, k] = pos
        velocity[0, k] = [float(v) for v in obj.get("velocity", (0.0, 0.0, 0.0))]
    light = np.asarray(light, np.float32).reshape(1, 3)
    if not light[0, 2] < position[0, : len(objects), 2].min():
        raise ValueError(
            "the fire must be nearer to the viewer than every object (smaller z), so that the shadows fall on the wall"
        )
    return Scene(
        shape,
        colour,
        size,
        position,
        velocity,
        light,
        np.full(1, gravity, np.float32),
        np.full(1, restitution, np.float32),
        np.full(1, friction, np.float32),
    )


def check_count(n: int, low: int = 1, high: int = MAX_OBJECTS) -> None:
    if not isinstance(n, (int, np.integer)) or not low <= n <= high:
        raise ValueError(f"a scene holds {low} to {high} objects, got {n!r}")


def check_constants(gravity: float, restitution: float, friction: float) -> None:
    if not gravity > 0:
        raise ValueError(f"gravity must be positive (m/s^2), got {gravity!r}")
    if not 0 <= restitution < 1:
        raise ValueError(f"restitution must be in [0, 1) (1 would bounce forever), got {restitution!r}")
    if not friction >= 0:
        raise ValueError(f"friction must be non-negative, got {friction!r}")


# --- sampling scenes from a seed -------------------------------------------------------------


def sample_scenes(
    n: int,
    seed: int = 0,
    n_objects: int | tuple[int, int] = (1, MAX_OBJECTS),
    moving: bool = False,
    p_resting: float = 0.5,
    gravity: float = GRAVITY,
    restitution: float = RESTITUTION,
    friction: float = FRICTION,
) -> Scene:
    """``n`` random scenes, the same for the same seed.

    ``n_objects``: a count, or an inclusive (low, high) range. Objects never overlap. With probability
    ``p_resting`` an object rests on the ground, else it hangs in the air (a snapshot of a throw).
    ``moving=True`` gives each object a throw velocity, for videos: up, a little in depth, and sideways
    toward the middle of the view.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of scenes, got {n!r}")
    low, high = (n_objects, n_objects) if np.isscalar(n_objects) else n_objects
    check_count(low)
    check_count(high)
    if low > high:
        raise ValueError(f"n_objects range is empty: ({low}, {high})")
    check_constants(gravity, restitution, friction)
    rng = np.random.default_rng(seed)
    count = rng.integers(low, high + 1, size=n)
    present = np.arange(MAX_OBJECTS)[None, :] < count[:, None]
    shape = np.where(present, rng.integers(0, len(SHAPES), (n, MAX_OBJECTS)), -1).astype(np.int8)
    colour = rng.integers(0, len(COLOUR_NAMES), (n, MAX_OBJECTS)).astype(np.int8)
    size = rng.integers(0, len(SIZES), (n, MAX_OBJECTS)).astype(np.int8)
    r = SIZE_RADIUS[size]

    position = np.zeros((n, MAX_OBJECTS, 3), np.float32)
    todo = np.ones((n, MAX_OBJECTS), bool)
    for _ in range(1000):  # rejection sampling: redraw every object that overlaps an earlier one
        m = int(todo.sum())
        if m == 0:
            break
        rt = r[todo]
        resting = rng.random(m) < p_resting
        position[todo] = np.stack(
            [
                rng.uniform(*X_RANGE, m),
                np.where(resting, rt, rng.uniform(rt + 0.1, MAX_HEIGHT)),
                rng.uniform(*Z_RANGE, m),
            ],
            axis=1,
        )
        gap = np.linalg.norm(position[:, :, None] - position[:, None, :], axis=-1) - (r[:, :, None] + r[:, None, :])
        earlier = np.tril(np.ones((MAX_OBJECTS, MAX_OBJECTS), bool), k=-1)  # [k, j]: j < k
        todo = ((gap < 0.1) & earlier & present[:, None, :]).any(axis=2) & present
    else:  # pragma: no cover - 1000 rounds never run out in practice
        raise RuntimeError("could not place the objects without overlap")

    position *= present[..., None]  # empty slots hold zeros
    velocity = np.zeros((n, MAX_OBJECTS, 3), np.float32)
    if moving:  # a throw: sideways (toward the middle, to stay in view), a little in depth, and up
        x = position[..., 0]
        toward_middle = np.where(np.abs(x) > 0.4, -np.sign(x), rng.choice([-1.0, 1.0], (n, MAX_OBJECTS)))
        velocity[..., 0] = toward_middle * rng.uniform(0.0, 1.5, (n, MAX_OBJECTS))
        velocity[..., 1] = rng.uniform(0.0, 3.0, (n, MAX_OBJECTS))
        velocity[..., 2] = rng.uniform(-0.3, 0.3, (n, MAX_OBJECTS))
        velocity *= present[..., None]

    light = np.stack([rng.uniform(*LIGHT_RANGE[a], n) for a in "xyz"], axis=1).astype(np.float32)
    full = lambda v: np.full(n, v, np.float32)  # noqa: E731
    return Scene(shape, colour, size, position, velocity, light, full(gravity), full(restitution), full(friction))


# --- counterfactuals: the same scene with one thing changed --------------------------------------------


def vary(scene: Scene, slot, shape=None, colour=None, size=None) -> Scene:
    """The same scenes with object ``slot`` of each scene changed: ``shape``, ``colour`` and/or ``size``
    (names or indices, one value or one per scene). Everything else (positions, the fire, the other
    objects) stays, except that an object resting on the ground stays resting when its size changes,
    and one in the air is lifted if it would now reach into the ground.

    Counterfactual scenes are what a world model can give and a photo collection cannot: "this very
    scene, but with a cube". Contrastive training uses them as hard negatives.
    """
    n = len(scene)
    slot = np.broadcast_to(np.asarray(slot), (n,)).astype(int)
    rows = np.arange(n)
    if ((slot < 0) | (slot >= scene.shape.shape[1])).any():
        raise ValueError(f"object slots are 0 to {scene.shape.shape[1] - 1}, got {sorted(set(slot.tolist()))}")
    if not scene.present[rows, slot].all():
        raise ValueError("every slot must hold an object of its scene (see Scene.present)")
    arrays = {"shape": scene.shape.copy(), "colour": scene.colour.copy(), "size": scene.size.copy()}
    for name, value, names in (("shape", shape, SHAPES), ("colour", colour, COLOUR_NAMES), ("size", size, SIZES)):
        if value is None:
            continue
        values = [_index(v, names, name) for v in np.broadcast_to(np.asarray(value, dtype=object), (n,))]
        arrays[name][rows, slot] = values
    old_r, new_r = scene.radius[rows, slot], SIZE_RADIUS[arrays["size"][rows, slot]]
    position = scene.position.copy()
    y = position[rows, slot, 1]
    resting = y <= old_r + 1e-4
    position[rows, slot, 1] = np.where(resting, new_r, np.maximum(y, new_r))
    return scene.with_(position=position, **arrays)
