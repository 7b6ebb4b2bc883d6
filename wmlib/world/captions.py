"""Captions: the text projection Y of the true state Z.

A caption is a *lossy* projection of Z. It keeps what a person would say about a scene (each object's
shape, colour and size, where it is in coarse terms: left / middle / right, front / back, on the ground /
in the air, and relations that hold by a clear margin: "to the left of", "behind", "above") and it loses
everything else: exact coordinates, velocities, the fire, the cave's physical constants. So the map
Z -> Y is *many-to-one* (many scenes fit "a small red ball on the left") and, because we draw paraphrases
with a random generator, also *one-to-many* (one scene has many captions). A model that learns from text
therefore sees Z only through a blurred, word-shaped window.

Every caption is made only of facts computed from Z with fixed thresholds (``region`` and the relation
margins below), so it is always true of its scene; the paraphrases change the words, never the facts.
The same seed gives the same captions.

>>> from wmlib.world.scene import make_scene
>>> scene = make_scene([dict(shape="sphere", colour="red", size="small", position=(-1.0, 1.2, 1.0))])
>>> region(scene, 0, 0)
{'side': 'left', 'depth': 'front', 'support': 'in the air'}
>>> caption(scene)  # doctest: +SKIP
'we see a small red ball hanging in mid-air on the left.'
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZES, Scene

__all__ = [
    "SHAPE_WORDS",
    "Claims",
    "region",
    "caption",
    "captions",
    "captions_with_claims",
    "motion_caption",
    "motion_captions",
    "truth_matrix",
]

SHAPE_WORDS = {"sphere": ("sphere", "ball"), "cube": ("cube", "box", "block"), "cylinder": ("cylinder", "tube")}

# --- the thresholds that turn numbers into words ----------------------------------------------------
# Words are coarse on purpose: a fact is only stated when it is clearly true, so a caption never
# depends on a centimetre.
SIDE_EDGE = 0.4  # x < -0.4 is "left", x > 0.4 is "right", between is "middle"
DEPTH_SPLIT = 1.6  # z < 1.6 is "front" (nearer the viewer), else "back" (nearer the wall)
GROUND_TOLERANCE = 0.01  # an object whose centre is within 1 cm of its radius rests on the ground
RELATION_MARGIN = 0.3  # "left of", "in front of", "above" need a 30 cm difference
ABOVE_REACH = 0.8  # "above" also needs the two to be within 80 cm of each other horizontally
THROW_SPEED = 0.3  # m/s: slower than this is not "thrown" in that direction
STOP_SPEED = 0.05  # m/s: slower than this at the end has "come to rest"
STILL = 1e-3  # an object that moves less than 1 mm (and 1 mm/s) "stays still"


class _Trajectory(Protocol):
    """What motion captions need from ``wmlib.world.physics.Trajectory`` (duck-typed)."""

    times: np.ndarray  # (T,) seconds
    position: np.ndarray  # (B, T, K, 3)
    velocity: np.ndarray  # (B, T, K, 3)
    bounces: np.ndarray  # (B, K) ground bounces during the clip


# --- facts --------------------------------------------------------------------------------------------


def _check_index(scene: Scene, i) -> None:
    n = len(scene)
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
        raise ValueError(
            f"scene index i={i!r} is out of range: allowed 0 to {n - 1} "
            f"(the batch holds {n} scene{'s' if n != 1 else ''})"
        )


def region(scene: Scene, i: int, k: int) -> dict:
    """The coarse facts about object ``k`` of scene ``i`` that a caption may state.

    Returns ``{"side": "left"|"middle"|"right", "depth": "front"|"back",
    "support": "on the ground"|"in the air"}``.
    """
    _check_index(scene, i)
    slots = scene.shape.shape[1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < slots:
        raise ValueError(f"object slot k={k!r} is out of range: allowed 0 to {slots - 1}")
    if not scene.present[i, k]:
        filled = [int(j) for j in np.flatnonzero(scene.present[i])]
        raise ValueError(f"slot k={k} of scene {i} is empty; its objects are in slots {filled}")
    x, y, z = (float(v) for v in scene.position[i, k])
    return {
        "side": "left" if x < -SIDE_EDGE else "right" if x > SIDE_EDGE else "middle",
        "depth": "front" if z < DEPTH_SPLIT else "back",
        "support": "on the ground" if y <= float(scene.radius[i, k]) + GROUND_TOLERANCE else "in the air",
    }


def _relations_between(a: np.ndarray, b: np.ndarray) -> list[str]:
    """The relations "a <relation> b" that hold by a clear margin, for centres a and b."""
    dx, dy, dz = (float(v) for v in a - b)
    out = []
    if dx < -RELATION_MARGIN:
        out.append("left of")
    if dx > RELATION_MARGIN:
        out.append("right of")
    if dz < -RELATION_MARGIN:  # smaller z is nearer the viewer
        out.append("in front of")
    if dz > RELATION_MARGIN:
        out.append("behind")
    near = np.hypot(dx, dz) < ABOVE_REACH  # "above" means roughly over it, not anywhere higher
    if dy > RELATION_MARGIN and near:
        out.append("above")
    if dy < -RELATION_MARGIN and near:
        out.append("below")
    return out


# --- words --------------------------------------------------------------------------------------------
# Each fact has several paraphrases; a caption picks one with its rng. A phrase may only contain
# words that are true of the fact it stands for.

_SIDE = {
    "left": ("on the left", "on the left side", "to the left"),
    "middle": ("in the middle", "in the centre", "near the middle"),
    "right": ("on the right", "on the right side", "to the right"),
}
_DEPTH = {
    "front": ("at the front", "near the front", "in the foreground"),
    "back": ("at the back", "near the back", "in the background", "near the wall", "close to the back wall"),
}
# Support as a verb ("a ball rests on the ground") or as a participle ("a ball resting on the ground").
_SUPPORT_VERB = {
    "on the ground": ("rests on the ground", "lies on the ground", "sits on the floor", "is on the ground"),
    "in the air": ("floats in the air", "hangs in mid-air", "hovers in the air", "is in the air"),
}
_SUPPORT_PARTICIPLE = {
    "on the ground": ("resting on the ground", "lying on the ground", "sitting on the floor", "on the ground"),
    "in the air": ("floating in the air", "hanging in mid-air", "in the air", "in mid-air"),
}
_RELATION = {
    "left of": ("to the left of", "left of"),
    "right of": ("to the right of", "right of"),
    "in front of": ("in front of", "closer to us than"),
    "behind": ("behind", "farther back than"),
    "above": ("above", "over"),
    "below": ("below", "beneath", "under"),
}
_OPENERS = (
    "we see",
    "there is",
    "the scene shows",
    "you can see",
    "this scene has",
    "in this scene we see",
    "the picture shows",
)
_COUNT = {1: ("one", "a single", "just one", "only one"), 2: ("two",), 3: ("three",)}
_NOUNS = ("object", "thing", "shape")
_ORDERS = {  # axis, sign of the order, the words
    "left to right": (0, +1),
    "right to left": (0, -1),
    "front to back": (2, +1),
    "back to front": (2, -1),
}


@dataclass(frozen=True)
class _Thing:
    """One object of the scene as a caption sees it: its words and its coarse facts."""

    k: int
    size: str
    colour: str
    shape: str
    word: str  # the shape word this caption uses for it ("ball" or "sphere")
    position: np.ndarray
    where: dict  # region()
    unique: bool  # no other object has the same size, colour and shape

    @property
    def name(self) -> str:
        return f"{self.size} {self.colour} {self.word}"

    @property
    def key(self) -> tuple[str, str, str]:
        return self.size, self.colour, self.shape


def _things(scene: Scene, i: int, rng: np.random.Generator) -> list[_Thing]:
    """The objects of scene ``i`` in a random order (the order they are mentioned in)."""
    slots = [int(k) for k in np.flatnonzero(scene.present[i])]
    keys = {k: (SIZES[scene.size[i, k]], COLOUR_NAMES[scene.colour[i, k]], SHAPES[scene.shape[i, k]]) for k in slots}
    # One shape word per kind of object, so twins are named alike ("a ball ... another ball").
    words = {}
    for k in slots:
        if keys[k] not in words:
            options = SHAPE_WORDS[keys[k][2]]
            words[keys[k]] = options[int(rng.integers(len(options)))]
    order = rng.permutation(slots)
    return [
        _Thing(
            int(k),
            *keys[k],
            words[keys[k]],
            scene.position[i, k].astype(np.float64),
            region(scene, i, k),
            list(keys.values()).count(keys[k]) == 1,
        )
        for k in order
    ]


def _and(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class _Writer:
    """Picks paraphrases with one rng, says "a" or "another" in the order objects are introduced, and
    keeps a record of every fact it writes (``claims``), so the caption can be checked against any scene."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.seen: set = set()
        self.claims = _Record()

    def pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def intro(self, t: _Thing) -> str:
        """First mention: "a small red ball", or "another small red ball" for a twin."""
        article = "another" if t.key in self.seen else "a"
        self.seen.add(t.key)
        self.claims.mention(t)
        return f"{article} {t.name}"

    def the(self, t: _Thing) -> str:
        """A later, definite mention: "the small red ball" (which also says there is only one)."""
        self.claims.unique.add(t.k)
        return f"the {t.name}"

    def relation(self, a: _Thing, rel: str, b: _Thing) -> str:
        self.claims.relations.append((a.k, rel, b.k))
        return self.pick(_RELATION[rel])

    def where(self, t: _Thing, verb: bool, facts: Sequence[str] = ("side", "depth", "support")) -> str:
        """Some (at least one) of the object's coarse facts: "rests on the ground at the back" (``verb``)
        or "resting on the ground at the back"."""
        chosen = [f for f in facts if self.chance(0.6)] or [self.pick(facts)]
        side, depth = t.where["side"], t.where["depth"]
        places = []
        if "side" in chosen and "depth" in chosen and side != "middle" and self.chance(0.3):
            places.append(f"in the {depth}-{side} corner")
        else:
            if "side" in chosen:
                places.append(self.pick(_SIDE[side]))
            if "depth" in chosen:
                places.append(self.pick(_DEPTH[depth]))
            places = [places[j] for j in self.rng.permutation(len(places))]
        for fact in chosen:  # "in the back-left corner" states both the side and the depth
            self.claims.facts.append((t.k, fact, t.where[fact]))
        if "support" in chosen:
            head = self.pick((_SUPPORT_VERB if verb else _SUPPORT_PARTICIPLE)[t.where["support"]])
        else:
            head = "is" if verb else ""
        return " ".join(p for p in (head, *places) if p)


# --- static captions: the templates -------------------------------------------------------------------
# Each template takes the writer, the objects (already in a random order) and the true relations,
# and returns the whole caption. Every object gets at least one coarse fact.

_Relation = tuple[_Thing, str, _Thing]


def _t_list(w: _Writer, things: list[_Thing], relations: list[_Relation]) -> str:
    """'we see a small red ball in the air and a large blue box at the back.'"""
    return f"{w.pick(_OPENERS)} {_and([f'{w.intro(t)} {w.where(t, verb=False)}' for t in things])}."


def _t_count(w: _Writer, things: list[_Thing], relations: list[_Relation]) -> str:
    """'three objects: a ..., a ... and a ....'"""
    n = len(things)
    counted = f"{w.pick(_COUNT[n])} {w.pick(_NOUNS)}{'s' if n > 1 else ''}"
    w.claims.count = n
    lead = w.pick((counted, f"there {'are' if n > 1 else 'is'} {counted}"))
    return f"{lead}: {_and([f'{w.intro(t)} {w.where(t, verb=False)}' for t in things])}."


def _t_sentences(w: _Writer, things: list[_Thing], relations: list[_Relation]) -> str:
    """One sentence per object: 'a small red ball hangs in mid-air. there is also a large ...'"""
    out = []
    for j, t in enumerate(things):
        also = " also" if j > 0 and w.chance(0.5) else ""
        style = w.pick(("verb", "there is", "we see"))
        if style == "verb":
            out.append(f"{w.intro(t)} {w.where(t, verb=True)}.")
        elif style == "there is":
            out.append(f"there is{also} {w.intro(t)} {w.where(t, verb=False)}.")
        else:
            out.append(f"we{also} see {w.intro(t)} {w.where(t, verb=False)}.")
    return " ".join(out)


def _orders(things: list[_Thing]) -> list[str]:
    """The orders ("left to right", ...) in which the objects are spaced by a clear margin."""
    out = []
    for words, (axis, sign) in _ORDERS.items():
        values = sorted(sign * t.position[axis] for t in things)
        if all(b - a > RELATION_MARGIN for a, b in zip(values, values[1:])):
            out.append(words)
    return out


def _t_ordered(w: _Writer, things: list[_Thing], relations: list[_Relation]) -> str:
    """'from left to right: a small red ball in the air, a large blue box and a ....'"""
    words = w.pick(_orders(things))
    axis, sign = _ORDERS[words]
    things = sorted(things, key=lambda t: sign * t.position[axis])
    w.claims.order = (axis, sign, tuple(t.k for t in things))
    # The order already says where along that axis, so the facts come from the other two.
    facts = ("depth", "support") if axis == 0 else ("side", "support")
    items = _and([f"{w.intro(t)} {w.where(t, verb=False, facts=facts)}" for t in things])
    return w.pick((f"from {words}: {items}.", f"from {words}, we see {items}.", f"from {words}, there is {items}."))


def _t_inline(w: _Writer, things: list[_Thing], relations: list[_Relation]) -> str:
    """'a large blue cube rests on the ground at the back, to the right of a small green cylinder.
    the small green cylinder is on the left. there is also a ....'"""
    a, rel, b = relations[int(w.rng.integers(len(relations)))]
    subject = f"{w.intro(a)} {w.where(a, verb=True)}," if w.chance(0.6) else f"{w.intro(a)} is"
    out = [
        f"{subject} {w.relation(a, rel, b)} {w.intro(b)}.",
        f"{w.the(b)} {w.where(b, verb=True)}.",
    ]  # b is unique, so "the" names it
    for t in things:
        if t is not a and t is not b:
            out.append(f"there is also {w.intro(t)} {w.where(t, verb=False)}.")
    return " ".join(out)


def _t_list_relations(w: _Writer, things: list[_Thing], relations: list[_Relation]) -> str:
    """A list, then one or two relations: '... the small red ball is to the left of the large blue box.'"""
    first = w.pick((_t_list, _t_count))(w, things, relations)
    a, rel, b = relations[int(w.rng.integers(len(relations)))]
    sentence = f"{w.the(a)} is {w.relation(a, rel, b)} {w.the(b)}"
    more = [(r, c) for (s, r, c) in relations if s is a and c is not b]
    if more and w.chance(0.5):
        rel2, c = more[int(w.rng.integers(len(more)))]
        sentence += f" and {w.relation(a, rel2, c)} {w.the(c)}"
    return f"{first} {sentence}."


def caption(scene: Scene, i: int = 0, rng: np.random.Generator | None = None) -> str:
    """A true caption of scene ``i``; the words are drawn with ``rng`` (default: the same as
    ``captions(scene, seed=0)[i]``).

    >>> from wmlib.world.scene import make_scene
    >>> caption(make_scene([dict(shape="sphere", colour="red", size="small", position=(0, 1.5))]))
    'just one object: a small red ball in the middle.'
    """
    return _compose(scene, i, rng)[0]


def _compose(scene: Scene, i: int, rng: np.random.Generator | None) -> tuple[str, "Claims"]:
    _check_index(scene, i)
    rng = np.random.default_rng([0, int(i)]) if rng is None else rng
    things = _things(scene, i, rng)
    if not things:
        return "the scene is empty.", Claims((), (), (), 0, (), None)
    # Relations only between objects that have a name of their own: "the small red ball" must say which.
    relations = [
        (a, rel, b)
        for a in things
        for b in things
        if a is not b and a.unique and b.unique
        for rel in _relations_between(a.position, b.position)
    ]
    templates = [_t_list, _t_count, _t_sentences]
    if len(things) > 1 and _orders(things):
        templates.append(_t_ordered)
    if relations:
        templates += [_t_inline, _t_list_relations]
    writer = _Writer(rng)
    text = templates[int(rng.integers(len(templates)))](writer, things, relations)
    return text, writer.claims.freeze()


def captions(scene: Scene, seed: int = 0) -> list[str]:
    """One caption per scene of the batch, the same for the same seed.

    Scene ``i`` draws its words from its own generator (seeded with ``[seed, i]``), so the captions of
    the first scenes do not change when the batch grows.
    """
    return [caption(scene, i, np.random.default_rng([seed, i])) for i in range(len(scene))]


def words(text: str, punctuation: bool = False) -> list[str]:
    """The lower-case words of ``text`` (with ``punctuation``, its marks ``. , ;`` too, each one a word): how
    every toy text model of the course reads a caption.

    >>> words("A small red ball. It falls!")
    ['a', 'small', 'red', 'ball', 'it', 'falls']
    >>> words("A ball, falling.", punctuation=True)
    ['a', 'ball', ',', 'falling', '.']
    """
    return re.findall(r"[a-z]+|[.,;]" if punctuation else r"[a-z]+", text.lower())


@functools.cache
def caption_vocabulary(n_scenes: int = 3000, seed: int = 12345, paraphrases: int = 3) -> tuple[str, ...]:
    """Every word of the captions of ``n_scenes`` sampled scenes in ``paraphrases`` wordings each, sorted (the
    same list on every machine): the words the toy text models know; any other is unknown to them."""
    from wmlib.world.scene import sample_scenes

    scenes = sample_scenes(n_scenes, seed=seed)
    return tuple(sorted({w for s in range(paraphrases) for t in captions(scenes, seed=s) for w in words(t)}))


def captions_with_claims(scene: Scene, seed: int = 0) -> tuple[list[str], list["Claims"]]:
    """The captions of ``captions(scene, seed)`` and, for each, the ``Claims`` it makes, to check it
    against other scenes (``Claims.holds``, ``truth_matrix``)."""
    pairs = [_compose(scene, i, np.random.default_rng([seed, i])) for i in range(len(scene))]
    return [text for text, _ in pairs], [claims for _, claims in pairs]


# --- when is a caption true of a scene? -----------------------------------------------------------------
# Retrieval asks whether the caption found for an image is *true of that image's scene*, not whether
# it is the one caption written for it: two scenes can share a true caption. A caption names every
# object of its scene, so it fits another scene when that scene has exactly the same kinds of objects
# and some one-to-one matching of them makes every stated fact, relation, count and order true.


class _Record:
    """The claims a caption makes while it is written (mutable; ``freeze`` gives the ``Claims``)."""

    def __init__(self):
        self.keys: dict[int, tuple[str, str, str]] = {}  # slot in the described scene -> its kind
        self.facts: list[tuple[int, str, str]] = []
        self.relations: list[tuple[int, str, int]] = []
        self.count: int | None = None
        self.unique: set[int] = set()
        self.order: tuple[int, int, tuple[int, ...]] | None = None

    def mention(self, t: _Thing) -> None:
        self.keys[t.k] = t.key

    def freeze(self) -> "Claims":
        slots = sorted(self.keys)
        at = {k: j for j, k in enumerate(slots)}  # renumber the mentioned objects 0, 1, 2
        order = None if self.order is None else (*self.order[:2], tuple(at[k] for k in self.order[2]))
        return Claims(
            tuple(self.keys[k] for k in slots),
            tuple((at[k], f, v) for k, f, v in self.facts),
            tuple((at[a], r, at[b]) for a, r, b in self.relations),
            self.count,
            tuple(sorted(at[k] for k in self.unique)),
            order,
        )


@dataclass(frozen=True)
class Claims:
    """What one caption says about its scene, as facts that can be checked against any scene.

    ``things``: the (size, colour, shape) of each object it names; ``facts``: (thing, "side" | "depth" |
    "support", value); ``relations``: (thing, relation, thing); ``count``: the number of objects it
    states, if any; ``unique``: things named with "the" (so there is only one of that kind);
    ``order``: (axis, sign, things) for "from left to right: ...", or None.
    """

    things: tuple[tuple[str, str, str], ...]
    facts: tuple[tuple[int, str, str], ...]
    relations: tuple[tuple[int, str, int], ...]
    count: int | None
    unique: tuple[int, ...]
    order: tuple[int, int, tuple[int, ...]] | None

    def holds(self, scene: Scene, i: int) -> bool:
        """True if the caption is true of scene ``i``."""
        _check_index(scene, i)
        slots = [int(k) for k in np.flatnonzero(scene.present[i])]
        keys = [(SIZES[scene.size[i, k]], COLOUR_NAMES[scene.colour[i, k]], SHAPES[scene.shape[i, k]]) for k in slots]
        if sorted(keys) != sorted(self.things) or self.count not in (None, len(slots)):
            return False
        if any(keys.count(self.things[j]) != 1 for j in self.unique):
            return False
        position = scene.position[i].astype(np.float64)
        for match in itertools.permutations(slots):  # thing j is object match[j]
            if any(keys[slots.index(k)] != self.things[j] for j, k in enumerate(match)):
                continue
            if any(region(scene, i, match[j])[fact] != value for j, fact, value in self.facts):
                continue
            if any(
                rel not in _relations_between(position[match[a]], position[match[b]]) for a, rel, b in self.relations
            ):
                continue
            if self.order is not None:
                axis, sign, things = self.order
                values = [sign * position[match[j], axis] for j in things]
                if not all(b - a > RELATION_MARGIN for a, b in zip(values, values[1:])):
                    continue
            return True
        return False


def truth_matrix(claims: Sequence[Claims], scene: Scene) -> np.ndarray:
    """(len(claims), len(scene)) bool: whether caption ``c`` is true of scene ``i``."""
    kinds = [
        sorted(
            (SIZES[scene.size[i, k]], COLOUR_NAMES[scene.colour[i, k]], SHAPES[scene.shape[i, k]])
            for k in np.flatnonzero(scene.present[i])
        )
        for i in range(len(scene))
    ]
    out = np.zeros((len(claims), len(scene)), bool)
    for c, claim in enumerate(claims):
        things = sorted(claim.things)
        for i in range(len(scene)):
            if kinds[i] == things:  # the cheap test first: the same kinds of objects
                out[c, i] = claim.holds(scene, i)
    return out


# --- motion captions ----------------------------------------------------------------------------------

_START = {
    "still": ("stays still", "does not move", "stays where it is"),
    "thrown left": ("is thrown to the left", "is tossed to the left", "flies off to the left"),
    "thrown right": ("is thrown to the right", "is tossed to the right", "flies off to the right"),
    "thrown up": ("is thrown straight up", "is tossed straight up", "goes straight up"),
    "falls": ("falls", "drops", "starts to fall"),
    "sets off left": ("sets off to the left", "starts moving to the left"),
    "sets off right": ("sets off to the right", "starts moving to the right"),
    "moves": ("starts to move", "moves"),
}
_END = {
    "rolls": ("rolls", "keeps rolling", "rolls on"),
    "slides": ("slides", "keeps sliding", "slides on"),
    "rest": ("comes to rest", "stops", "comes to a stop"),
    "air": ("is still in the air at the end", "is still in the air when the clip ends"),
}
_BOUNCES = {
    0: ("does not bounce", "never bounces"),
    1: ("bounces once",),
    2: ("bounces twice",),
    3: ("bounces three times",),
}


def _check_trajectory(scene: Scene, trajectory: _Trajectory) -> None:
    b, k = scene.shape.shape
    position = np.asarray(trajectory.position)
    velocity = np.asarray(trajectory.velocity)
    bounces = np.asarray(trajectory.bounces)
    if (
        position.ndim != 4
        or position.shape[0] != b
        or position.shape[2] != k
        or position.shape[3] != 3
        or position.shape[1] < 1
    ):
        raise ValueError(
            f"trajectory.position must have shape (B, T, K, 3) = ({b}, T, {k}, 3) to match "
            f"the scene, got {position.shape}"
        )
    if velocity.shape != position.shape:
        raise ValueError(f"trajectory.velocity must have the shape of position {position.shape}, got {velocity.shape}")
    if bounces.shape != (b, k):
        raise ValueError(f"trajectory.bounces must have shape (B, K) = ({b}, {k}), got {bounces.shape}")


def _motion(scene: Scene, trajectory: _Trajectory, i: int, k: int) -> dict:
    """What object ``k`` of scene ``i`` does in the clip: how it starts, its bounces, how it ends."""
    position = np.asarray(trajectory.position[i, :, k], np.float64)
    velocity = np.asarray(trajectory.velocity[i, :, k], np.float64)
    radius = float(scene.radius[i, k])
    bounces = int(trajectory.bounces[i, k])
    if bounces < 0:
        raise ValueError(f"trajectory.bounces must be >= 0, got {bounces} for object {k} of scene {i}")
    vx, vy = velocity[0, 0], velocity[0, 1]
    in_air = position[0, 1] > radius + GROUND_TOLERANCE
    side = "left" if vx < 0 else "right"
    still = np.abs(position - position[0]).max() <= STILL and np.abs(velocity).max() <= STILL
    # The start, most telling first (the thresholds are the ones the captions promise).
    if still and bounces == 0:
        start = "still"
    elif abs(vx) > THROW_SPEED and (vy > 0 or in_air):
        start = f"thrown {side}"
    elif abs(vx) <= THROW_SPEED and vy > THROW_SPEED:
        start = "thrown up"
    elif in_air:  # here vy <= 0.3: it is let go rather than thrown
        start = "falls"
    elif abs(vx) > THROW_SPEED:  # on the ground, pushed sideways
        start = f"sets off {side}"
    else:
        start = "moves"
    # The end, judged at the last frame.
    on_ground = position[-1, 1] <= radius + GROUND_TOLERANCE
    if start == "still":
        end = None
    elif not on_ground:
        end = "air"
    elif np.hypot(velocity[-1, 0], velocity[-1, 2]) > STOP_SPEED:
        end = "slides" if SHAPES[scene.shape[i, k]] == "cube" else "rolls"
    elif np.linalg.norm(velocity[-1]) <= STOP_SPEED:
        end = "rest"
    else:  # touching the ground but moving up or down: caught mid-bounce, say nothing
        end = None
    return {"start": start, "bounces": bounces, "end": end}


def _bounce_words(n: int, w: _Writer) -> str:
    return w.pick(_BOUNCES[n]) if n in _BOUNCES else f"bounces {n} times"


def motion_caption(scene: Scene, trajectory: _Trajectory, i: int = 0, rng: np.random.Generator | None = None) -> str:
    """A true caption of the clip ``trajectory`` of scene ``i``: how each object starts, how often it
    bounces and how it ends ("the small red ball is thrown to the right and bounces twice, then rolls.")."""
    _check_index(scene, i)
    _check_trajectory(scene, trajectory)
    rng = np.random.default_rng([0, int(i)]) if rng is None else rng
    things = _things(scene, i, rng)
    if not things:
        return "the scene is empty."
    w = _Writer(rng)
    clauses = []
    for t in things:
        # "the" names a unique object; twins are "one small red ball" and "another small red ball".
        subject = f"the {t.name}" if t.unique else ("another" if t.key in w.seen else "one") + f" {t.name}"
        w.seen.add(t.key)
        m = _motion(scene, trajectory, i, t.k)
        start = w.pick(_START[m["start"]])
        if m["start"] == "still":
            clauses.append(f"{subject} {start}")
            continue
        bounce = _bounce_words(m["bounces"], w)
        if m["end"] is None:
            clauses.append(f"{subject} {start} and {bounce}")
        else:
            end = w.pick(_END[m["end"]])
            pattern = w.pick(("{s} and {b}, then {e}", "{s}, {b} and then {e}", "{s}, {b}, and finally {e}"))
            clauses.append(f"{subject} " + pattern.format(s=start, b=bounce, e=end))
    opener = w.pick(("", "", "in this clip, ", "in the video, "))
    join = w.pick(("sentences", "semicolons", "while")) if len(clauses) > 1 else "sentences"
    if join == "sentences":
        text = ". ".join(clauses)
    elif join == "semicolons":
        text = "; ".join(clauses)
    else:
        text = f"{clauses[0]}, while {clauses[1]}" + "".join(f"; {c}" for c in clauses[2:])
    return f"{opener}{text}."


def motion_captions(scene: Scene, trajectory: _Trajectory, seed: int = 0) -> list[str]:
    """One motion caption per scene of the batch, the same for the same seed (scene ``i`` uses the
    generator seeded with ``[seed, i]``)."""
    _check_trajectory(scene, trajectory)
    return [motion_caption(scene, trajectory, i, np.random.default_rng([seed, i])) for i in range(len(scene))]
