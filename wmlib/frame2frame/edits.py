"""The toy edits, and step 1 of Frame2Frame: from a target caption to a temporal editing caption.

An edit asks for a new state of a source image: "the small red ball lies on the ground". Frame2Frame
does not jump there; it asks a video model for a short video that starts at the source and ends in
that state, described by a *temporal editing caption* ("the small red ball falls to the ground").
In the paper a VLM (GPT-4o) writes that caption (``TEMPORAL_CAPTION_INSTRUCTION``, their exact words);
in the toy world the scene is known, so ``temporal_caption`` writes it offline.

The toy world allows four kinds of edit, each a motion its physics can make:

- ``drop``: an object in the air falls to the ground (it bounces, as everything here does, with
  restitution 0.6);
- ``move``: a cube on the ground slides to the left or the right side;
- ``roll``: a ball or a cylinder is sent there. Its captions say it "rolls" (the words the toy model
  was trained on), but the simulator slides it with the same friction as a cube: nothing spins in
  ``wmlib.world.physics``, so this is a slide of another shape, not a roll;
- ``together``: two objects on the ground slide toward each other until one is next to the other.

``sample_edits`` draws scenes for each kind, simulates them with the true physics, and keeps the
ones whose edit happens within the clip: these are the toy image-to-video model's training clips,
and, with another seed, the edit benchmark. ``margin`` says how far a state is from doing what an
edit asks (positive: done), on the true state here and on the state read back from a generated frame
in ``probe``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from wmlib.world.physics import Trajectory, simulate
from wmlib.world.scene import (
    COLOUR_NAMES,
    COLOUR_RGB,
    FRICTION,
    GRAVITY,
    MAX_OBJECTS,
    RESTITUTION,
    SHAPES,
    SIZE_RADIUS,
    SIZES,
    Scene,
)
from wmlib.world.studio import DEPTH, FPS, FRAMES, LIGHT, VIEW_TOP, VIEW_X

KINDS = ("drop", "move", "roll", "together")
NOUNS = {"sphere": "ball", "cube": "cube", "cylinder": "cylinder"}
_NOUN_WORDS = {
    "ball": "sphere",
    "sphere": "sphere",
    "cube": "cube",
    "box": "cube",
    "block": "cube",
    "cylinder": "cylinder",
    "tube": "cylinder",
}

GROUND = 0.12  # metres: an object whose bottom is this close to the ground "lies on the ground"
SIDE_EDGE = 0.4  # metres: x < -0.4 is "on the left", x > 0.4 "on the right" (as in wmlib.world.captions)
NEAR = 0.3  # metres: two objects whose facing sides are closer than this are "next to" each other
MIN_COLOUR_ANGLE = 15.0  # degrees between two objects' colours, so that a frame tells them apart

# Frame2Frame step 1, the paper's exact instruction to the VLM (Rotstein et al. 2025, App. B);
# CAPTION is the target caption. The paper adds 9 in-context examples (image, caption, temporal caption).
TEMPORAL_CAPTION_INSTRUCTION = (
    "Write a one-sentence description of a short video that begins with the provided image and smoothly "
    'transitions into a scene of a "CAPTION", highlighting how elements in the image undergo changes or movement '
    "over time. Keep the description simple, concise and short, focusing only on essential changes and actions "
    "without altering unnecessary details. Avoid mentioning elements that do not contribute to the main change "
    "needed, and focus the description on the main transitions. Do not add objects that are not in the original "
    "image or described in the final scene. The camera should remain static unless movement is absolutely "
    "necessary. Ensure all transitions happen within a few second duration without mentioning the length or "
    'using the word "video".'
)

_TEMPORAL = {
    "drop": ("{a} falls to the ground.", "{a} drops down onto the ground.", "{a} falls down and lands on the ground."),
    "move": ("{a} slides to the {side}.", "{a} slides over to the {side}.", "{a} is pushed to the {side}."),
    "roll": ("{a} rolls to the {side}.", "{a} rolls over to the {side}.", "{a} is pushed and rolls to the {side}."),
    "together": (
        "{a} and {b} slide toward each other.",
        "{a} and {b} move toward each other.",
        "{a} and {b} come together.",
    ),
}


def temporal_caption_prompt(target_caption: str) -> str:
    """The paper's instruction for a VLM, with the target caption filled in."""
    _check_caption(target_caption)
    return TEMPORAL_CAPTION_INSTRUCTION.replace("CAPTION", target_caption.strip())


@dataclass(frozen=True)
class Edit:
    """What an edit asks: its ``kind``, the object it is about (``subject``, a slot of the scene), the
    other object of a ``together`` edit (``partner``, else -1), the ``side`` of a move or roll (else "")."""

    kind: str
    subject: int
    partner: int = -1
    side: str = ""

    def objects(self) -> tuple[int, ...]:
        """The slots the edit moves."""
        return (self.subject,) if self.partner < 0 else (self.subject, self.partner)


@dataclass(frozen=True)
class EditClips:
    """Source scenes (frame 0), their simulated clips, the edits, and the captions: ``targets`` (the
    state asked for) and ``captions`` (the temporal editing captions, which the video model reads)."""

    scene: Scene
    trajectory: Trajectory
    edits: list[Edit]
    targets: list[str]
    captions: list[str]

    def __len__(self) -> int:
        return len(self.scene)

    def __getitem__(self, index) -> "EditClips":
        idx = np.arange(len(self))[index]
        idx = np.atleast_1d(idx)
        return EditClips(
            self.scene[idx],
            self.trajectory.clips(idx),
            [self.edits[i] for i in idx],
            [self.targets[i] for i in idx],
            [self.captions[i] for i in idx],
        )


# --- names --------------------------------------------------------------------------------------


def describe(scene: Scene, i: int, k: int) -> str:
    """'the small red ball': object ``k`` of scene ``i``."""
    return f"the {SIZES[scene.size[i, k]]} {COLOUR_NAMES[scene.colour[i, k]]} {NOUNS[SHAPES[scene.shape[i, k]]]}"


def target_caption(scene: Scene, i: int, edit: Edit) -> str:
    """The caption of the state ``edit`` asks for, e.g. 'the small red ball lies on the ground.'"""
    a = describe(scene, i, edit.subject)
    if edit.kind == "drop":
        return f"{a} lies on the ground."
    if edit.kind in ("move", "roll"):
        return f"{a} is on the {edit.side}."
    if edit.kind == "together":
        return f"{a} is next to {describe(scene, i, edit.partner)}."
    raise ValueError(f"unknown edit kind {edit.kind!r}; allowed: {', '.join(KINDS)}")


def _check_caption(caption) -> None:
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError("the target caption must be a non-empty string")


_OBJECT = r"the (small|large) (\w+) (\w+)"
_PATTERNS = [
    ("drop", re.compile(rf"^{_OBJECT} lies on the ground\.?$")),
    ("side", re.compile(rf"^{_OBJECT} is on the (left|right)\.?$")),
    ("together", re.compile(rf"^{_OBJECT} is next to {_OBJECT}\.?$")),
]


def parse_target(scene: Scene, i: int, caption: str) -> Edit:
    """The ``Edit`` that target ``caption`` asks of scene ``i``.

    Understands the three forms ``target_caption`` writes ('... lies on the ground.', '... is on the
    left.', '... is next to ...'); raises ValueError for any other caption, for an object the scene does
    not have, and for an edit that is already done in the scene."""
    _check_caption(caption)
    text = " ".join(caption.lower().split())
    for form, pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            break
    else:
        raise ValueError(
            f"cannot read the target caption {caption!r}; the toy world understands "
            "'the <size> <colour> <shape> lies on the ground.', '... is on the left.' (or right) "
            "and '... is next to the <size> <colour> <shape>.'"
        )
    subject = _find(scene, i, *m.groups()[:3])
    if form == "drop":
        edit = Edit("drop", subject)
    elif form == "side":
        edit = Edit("move" if SHAPES[scene.shape[i, subject]] == "cube" else "roll", subject, side=m.group(4))
    else:
        edit = Edit("together", subject, _find(scene, i, *m.groups()[3:6]))
        if edit.partner == subject:
            raise ValueError("an object cannot be next to itself")
    x, y = scene.position[i, :, 0], scene.position[i, :, 1]
    if margin(edit, x, y, SIZE_RADIUS[scene.size[i]]) > 0:
        raise ValueError(f"nothing to edit: {caption!r} is already true in the scene")
    return edit


def _find(scene: Scene, i: int, size: str, colour: str, noun: str) -> int:
    shape = _NOUN_WORDS.get(noun)
    present = np.flatnonzero(scene.shape[i] >= 0)
    for k in present:
        if (SIZES[scene.size[i, k]], COLOUR_NAMES[scene.colour[i, k]], SHAPES[scene.shape[i, k]]) == (
            size,
            colour,
            shape,
        ):
            return int(k)
    have = ", ".join(describe(scene, i, k) for k in present)
    raise ValueError(f"the scene has no {size} {colour} {noun}; it has {have}")


def temporal_caption(scene: Scene, i: int, target: str, rng: np.random.Generator | None = None) -> str:
    """Frame2Frame's step 1, offline: a one-sentence description of the motion that turns scene ``i``
    into the ``target`` caption's state (the first wording, or one drawn with ``rng``)."""
    edit = parse_target(scene, i, target)
    return describe_motion(scene, i, edit, rng)


def describe_motion(scene: Scene, i: int, edit: Edit, rng: np.random.Generator | None) -> str:
    forms = _TEMPORAL[edit.kind]
    form = forms[0] if rng is None else forms[rng.integers(len(forms))]
    b = describe(scene, i, edit.partner) if edit.partner >= 0 else ""
    return form.format(a=describe(scene, i, edit.subject), b=b, side=edit.side)


# --- what "done" means ----------------------------------------------------------------------------


def margin(edit: Edit, x: np.ndarray, y: np.ndarray, radius: np.ndarray) -> float:
    """How far beyond what ``edit`` asks the state is, in metres: positive when the edit is done.

    ``x``, ``y``: each object's horizontal position and height (metres, one per slot); ``radius``: their
    radii."""
    s = edit.subject
    if edit.kind == "drop":
        return float(GROUND - (y[s] - radius[s]))
    if edit.kind in ("move", "roll"):
        return float(-SIDE_EDGE - x[s]) if edit.side == "left" else float(x[s] - SIDE_EDGE)
    if edit.kind == "together":
        p = edit.partner
        return float(NEAR - (abs(x[s] - x[p]) - radius[s] - radius[p]))
    raise ValueError(f"unknown edit kind {edit.kind!r}; allowed: {', '.join(KINDS)}")


def true_margins(clips: EditClips) -> np.ndarray:
    """(B, T): ``margin`` of every frame of every clip, on the simulator's true state."""
    pos = clips.trajectory.position  # (B, T, K, 3)
    out = np.empty(pos.shape[:2])
    for b, edit in enumerate(clips.edits):
        r = SIZE_RADIUS[clips.scene.size[b]]
        for t in range(pos.shape[1]):
            out[b, t] = margin(edit, pos[b, t, :, 0], pos[b, t, :, 1], r)
    return out


# --- sampling -------------------------------------------------------------------------------------


def _colour_angle(a: int, b: int) -> float:
    u, v = COLOUR_RGB[a], COLOUR_RGB[b]
    return math.degrees(math.acos(float(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1))))


def _draw(rng: np.random.Generator, kind: str) -> tuple[list[tuple], Edit]:
    """One source scene for ``kind``: a list of (shape, colour, size, x, y, vx, vy) and the edit."""
    mu_g = FRICTION * GRAVITY
    shape = (
        int(rng.integers(len(SHAPES)))
        if kind in ("drop", "together")
        else (
            SHAPES.index("cube")
            if kind == "move"
            else int(rng.choice([SHAPES.index("sphere"), SHAPES.index("cylinder")]))
        )
    )
    size = int(rng.integers(len(SIZES)))
    colour = int(rng.integers(len(COLOUR_NAMES)))
    r = float(SIZE_RADIUS[size])
    objects, edit = [], None
    if kind == "drop":
        x = rng.uniform(-VIEW_X + r + 0.1, VIEW_X - r - 0.1)
        objects.append(
            (shape, colour, size, x, r + rng.uniform(0.4, 1.0), rng.uniform(-0.5, 0.5), rng.uniform(-0.3, 0.3))
        )
        edit = Edit("drop", 0)
    elif kind in ("move", "roll"):
        side = str(rng.choice(["left", "right"]))
        sign = -1.0 if side == "left" else 1.0
        x0 = -sign * rng.uniform(-0.25, 0.6)  # not yet on that side: sign * x0 <= 0.25
        end = sign * rng.uniform(SIDE_EDGE + 0.15, VIEW_X - r)
        v = sign * math.sqrt(2 * mu_g * abs(end - x0))  # friction stops it at ``end``
        objects.append((shape, colour, size, x0, r, v, 0.0))
        edit = Edit(kind, 0, side=side)
    elif kind == "together":
        size2, shape2 = int(rng.integers(len(SIZES))), int(rng.integers(len(SHAPES)))
        r2 = float(SIZE_RADIUS[size2])
        widest = 2 * VIEW_X - 2 * (r + r2)
        gap = rng.uniform(0.7, min(1.6, widest))
        left = rng.uniform(-VIEW_X + r, VIEW_X - r2 - gap - r - r2)
        right = left + r + gap + r2
        travel = gap - rng.uniform(0.0, 0.2)
        share = rng.uniform(0.3, 0.7)
        va, vb = math.sqrt(2 * mu_g * share * travel), -math.sqrt(2 * mu_g * (1 - share) * travel)
        colour2 = _other_colour(rng, colour)
        a = (shape, colour, size, left, r, va, 0.0)
        b = (shape2, colour2, size2, right, r2, vb, 0.0)
        objects = [a, b] if rng.random() < 0.5 else [b, a]
        edit = Edit("together", 0, 1)
    else:
        raise ValueError(f"unknown edit kind {kind!r}; allowed: {', '.join(KINDS)}")
    if kind != "together" and rng.random() < 0.5:
        # a bystander resting on the ground, clear of the subject's path: it must stay as it is
        x0, vx = objects[0][3], objects[0][5]
        x1 = x0 + vx * FRAMES / FPS if kind == "drop" else end  # as far as the subject can get
        size2, shape2 = int(rng.integers(len(SIZES))), int(rng.integers(len(SHAPES)))
        r2 = float(SIZE_RADIUS[size2])
        lo, hi = -VIEW_X + r2, VIEW_X - r2
        path = (min(x0, x1) - r - 0.15, max(x0, x1) + r + 0.15)
        room = [(lo, min(hi, path[0] - r2)), (max(lo, path[1] + r2), hi)]
        room = [(a, b) for a, b in room if b - a > 0.05]
        if room:
            a, b = room[rng.integers(len(room))]
            objects.append((shape2, _other_colour(rng, colour), size2, rng.uniform(a, b), r2, 0.0, 0.0))
    return objects, edit


def _other_colour(rng: np.random.Generator, colour: int) -> int:
    choices = [c for c in range(len(COLOUR_NAMES)) if _colour_angle(c, colour) >= MIN_COLOUR_ANGLE]
    return int(rng.choice(choices))


def _scenes(drawn: list[list[tuple]]) -> Scene:
    m = len(drawn)
    shape = np.full((m, MAX_OBJECTS), -1, np.int8)
    colour = np.zeros((m, MAX_OBJECTS), np.int8)
    size = np.zeros((m, MAX_OBJECTS), np.int8)
    position = np.zeros((m, MAX_OBJECTS, 3), np.float32)
    velocity = np.zeros((m, MAX_OBJECTS, 3), np.float32)
    for i, objects in enumerate(drawn):
        for k, (sh, c, sz, x, y, vx, vy) in enumerate(objects):
            shape[i, k], colour[i, k], size[i, k] = sh, c, sz
            position[i, k] = (x, y, DEPTH)
            velocity[i, k] = (vx, vy, 0.0)
    full = lambda v: np.full(m, v, np.float32)  # noqa: E731
    return Scene(
        shape,
        colour,
        size,
        position,
        velocity,
        np.tile(np.float32(LIGHT), (m, 1)),
        full(GRAVITY),
        full(RESTITUTION),
        full(FRICTION),
    )


def sample_edits(n: int, seed: int = 0, kinds: tuple[str, ...] = KINDS) -> EditClips:
    """``n`` edits, the kinds taking turns, each with its source scene and the true clip that makes it
    (16 frames at 12 fps). The same for the same seed.

    A drawn scene is kept only if every object stays in view and the edit is done in some frame of the
    clip, but not in the source."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of edits, got {n!r}")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown edit kinds {unknown}; allowed: {', '.join(KINDS)}")
    rng = np.random.default_rng([seed, 5])
    scenes, trajectories, edits, have = [], [], [], 0
    while have < n:
        m = 2 * (n - have) + 8
        wanted = [kinds[(have + j) % len(kinds)] for j in range(m)]
        drawn = [_draw(rng, kind) for kind in wanted]
        scene = _scenes([d[0] for d in drawn])
        trajectory = simulate(scene, FRAMES, FPS)
        batch = EditClips(scene, trajectory, [d[1] for d in drawn], [""] * m, [""] * m)
        marg = true_margins(batch)
        p, r = trajectory.position, SIZE_RADIUS[scene.size][:, None]
        present = (scene.shape >= 0)[:, None]
        in_view = (((np.abs(p[..., 0]) + r <= VIEW_X) & (p[..., 1] + r <= VIEW_TOP)) | ~present).all((1, 2))
        ok = in_view & (marg[:, 0] <= 0) & (marg.max(1) > 0)
        # keep the kinds taking turns: accept in order, a kind only when it is its turn
        for j in np.flatnonzero(ok):
            if have == n:
                break
            if wanted[j] != kinds[have % len(kinds)]:
                continue
            scenes.append(scene[[j]])
            trajectories.append(trajectory.clips([j]))
            edits.append(drawn[j][1])
            have += 1
    scene = Scene.concat(scenes)
    trajectory = Trajectory.concat(trajectories)
    caption_rng = np.random.default_rng([seed, 6])
    targets = [target_caption(scene, i, e) for i, e in enumerate(edits)]
    captions = [describe_motion(scene, i, e, caption_rng) for i, e in enumerate(edits)]
    return EditClips(scene, trajectory, edits, targets, captions)
