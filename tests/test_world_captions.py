"""Captions must be true of Z: an independent parser reads every caption back and checks each word.

The parser below knows English words, not the module's templates: it finds every "<size> <colour>
<shape word>" mention, attaches the place words that follow a mention to it, reads relations
("X to the left of Y") between mentions, and refuses any word it does not understand, so a new
paraphrase cannot slip past unchecked.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import pytest

from wmlib.world.captions import (
    SHAPE_WORDS,
    caption,
    captions,
    captions_with_claims,
    motion_caption,
    motion_captions,
    region,
    truth_matrix,
)
from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZES, make_scene, sample_scenes

# --- the facts, computed here from Z with the documented thresholds --------------------------------------

WORD_SHAPE = {
    "sphere": "sphere",
    "ball": "sphere",
    "cube": "cube",
    "box": "cube",
    "block": "cube",
    "cylinder": "cylinder",
    "tube": "cylinder",
}


def objects(scene, i):
    """[(description, x, y, z, radius, slot)] of scene i, description = (size, colour, shape)."""
    out = []
    for k in np.flatnonzero(scene.present[i]):
        x, y, z = (float(v) for v in scene.position[i, k])
        desc = (SIZES[scene.size[i, k]], COLOUR_NAMES[scene.colour[i, k]], SHAPES[scene.shape[i, k]])
        out.append((desc, x, y, z, float(scene.radius[i, k]), int(k)))
    return out


def fact_holds(obj, fact):
    _, x, y, z, r, _ = obj
    category, value = fact
    if category == "side":
        return {"left": x < -0.4, "right": x > 0.4, "middle": -0.4 <= x <= 0.4}[value]
    if category == "depth":
        return {"front": z < 1.6, "back": z >= 1.6}[value]
    return {"ground": y <= r + 0.01, "air": y > r + 0.01}[value]


def relation_holds(a, rel, b):
    dx, dy, dz = a[1] - b[1], a[2] - b[2], a[3] - b[3]
    near = np.hypot(dx, dz) < 0.8
    return {
        "left": dx < -0.3,
        "right": dx > 0.3,
        "front": dz < -0.3,
        "behind": dz > 0.3,
        "above": dy > 0.3 and near,
        "below": dy < -0.3 and near,
    }[rel]


# --- the parser -------------------------------------------------------------------------------------------

SIZE_RE = "|".join(SIZES)
COLOUR_RE = "|".join(COLOUR_NAMES)
SHAPE_RE = "|".join(WORD_SHAPE)
MENTION = re.compile(rf"\b(a|an|another|the) ({SIZE_RE}) ({COLOUR_RE}) ({SHAPE_RE})\b")

# Words that claim a coarse fact about the object they follow.
FACT_WORDS = {
    "left": ("side", "left"),
    "right": ("side", "right"),
    "middle": ("side", "middle"),
    "centre": ("side", "middle"),
    "center": ("side", "middle"),
    "front": ("depth", "front"),
    "foreground": ("depth", "front"),
    "back": ("depth", "back"),
    "background": ("depth", "back"),
    "wall": ("depth", "back"),
    "ground": ("support", "ground"),
    "floor": ("support", "ground"),
    "rests": ("support", "ground"),
    "resting": ("support", "ground"),
    "lies": ("support", "ground"),
    "lying": ("support", "ground"),
    "sits": ("support", "ground"),
    "sitting": ("support", "ground"),
    "air": ("support", "air"),
    "floats": ("support", "air"),
    "floating": ("support", "air"),
    "hangs": ("support", "air"),
    "hanging": ("support", "air"),
    "hovers": ("support", "air"),
    "hovering": ("support", "air"),
}
# Phrases that, right before a mention Y, say "<subject> <relation> Y". Longest first.
RELATION_PHRASES = {
    "to the left of": "left",
    "left of": "left",
    "to the right of": "right",
    "right of": "right",
    "in front of": "front",
    "closer to us than": "front",
    "farther back than": "behind",
    "behind": "behind",
    "above": "above",
    "over": "above",
    "below": "below",
    "beneath": "below",
    "under": "below",
}
RELATION_AT_END = re.compile(r"(?:^|[^a-z])(" + "|".join(sorted(RELATION_PHRASES, key=len, reverse=True)) + r")\s*$")
NUMBER_WORDS = {"one": 1, "single": 1, "two": 2, "three": 3}
ORDER = re.compile(r"\bfrom (left|right|front|back) to (left|right|front|back)\b")
# Words that claim nothing (articles, verbs without content, openers, nouns for "object").
FILLER = set(
    """a the and there is are we see you can scene shows this has in picture also objects object
things thing shapes shape just only on at near close to side corner mid empty""".split()
)


def parse(text):
    """Read a caption into mentions, facts, relations, counts and order claims (no checking yet)."""
    mentions = list(MENTION.finditer(text))
    facts = {j: set() for j in range(len(mentions))}
    relations, counts, unknown, preamble_facts, orders = [], [], [], [], []
    subject = None

    def read(chunk, owner):
        for word in re.findall(r"[a-z]+", chunk):
            if word in FACT_WORDS and owner is None:
                preamble_facts.append(FACT_WORDS[word])
            elif word in FACT_WORDS:
                facts[owner].add(FACT_WORDS[word])
            elif word in NUMBER_WORDS:
                counts.append(NUMBER_WORDS[word])
            elif word not in FILLER:
                unknown.append(word)

    end = 0
    for j, m in enumerate(mentions):
        gap = text[end : m.start()]
        if subject is None:
            orders += ORDER.findall(gap)
            gap = ORDER.sub(" ", gap)
        rel = RELATION_AT_END.search(gap)
        if rel:
            if subject is None:
                unknown.append(f"relation {rel.group(1)!r} without a subject")
            else:
                relations.append((subject, RELATION_PHRASES[rel.group(1)], j))
            gap = gap[: rel.start(1)]
        read(gap, subject)  # what comes after a subject (up to the next mention) is about it
        if not rel:
            subject = j
        end = m.end()
    read(text[end:], subject)
    return dict(
        mentions=[(m.group(1), (m.group(2), m.group(3), WORD_SHAPE[m.group(4)])) for m in mentions],
        facts=facts,
        relations=relations,
        counts=counts,
        unknown=unknown,
        preamble_facts=preamble_facts,
        orders=orders,
    )


def problems(scene, i, text):
    """Everything false or unreadable in ``text`` as a caption of scene ``i`` (empty list: all true)."""
    p = parse(text)
    objs = objects(scene, i)
    out = []
    if text != text.lower() or not text.endswith(".") or "  " in text or " ," in text or " ." in text:
        out.append("not lower-case plain text ending with a period")
    if p["unknown"]:
        out.append(f"words the parser does not understand: {p['unknown']}")
    if p["preamble_facts"]:
        out.append(f"place words before any object: {p['preamble_facts']}")
    out += [f"count {c} but {len(objs)} objects" for c in p["counts"] if c != len(objs)]
    intros = [j for j, (det, _) in enumerate(p["mentions"]) if det != "the"]
    if len(intros) != len(objs):
        out.append(f"{len(intros)} objects introduced, the scene has {len(objs)}")
        return out
    # "another" only for a twin of an object already introduced, "a" only for the first of its kind.
    for n, j in enumerate(intros):
        earlier = [p["mentions"][e][1] for e in intros[:n]]
        twin = p["mentions"][j][1] in earlier
        if (p["mentions"][j][0] == "another") != twin:
            out.append(f"article {p['mentions'][j][0]!r} for {p['mentions'][j][1]}")
    # A definite mention must name exactly one object of the scene.
    refs = {}
    for j, (det, desc) in enumerate(p["mentions"]):
        if det == "the":
            named = [o for o in objs if o[0] == desc]
            if len(named) != 1:
                out.append(f"'the {desc}' names {len(named)} objects")
                return out
            refs[j] = named[0]
    # Some one-to-one matching of introductions to objects must make every claim true.
    for perm in itertools.permutations(objs):
        of = dict(refs)
        of.update(zip(intros, perm))
        if any(of[j][0] != p["mentions"][j][1] for j in of):
            continue
        if any(not fact_holds(of[j], f) for j, fs in p["facts"].items() for f in fs):
            continue
        if any(not relation_holds(of[a], rel, of[b]) for a, rel, b in p["relations"]):
            continue
        if not all(ordered(of, intros, o) for o in p["orders"]):
            continue
        # Every object is placed somehow: a coarse fact or a relation, on any of its mentions.
        placed = {of[j][5] for j, fs in p["facts"].items() if fs}
        placed |= {of[j][5] for a, _, b in p["relations"] for j in (a, b)}
        placed |= {o[5] for o in objs} if p["orders"] else set()
        if placed != {o[5] for o in objs}:
            continue
        return out
    out.append("no matching of mentions to objects makes every fact, relation and order true")
    return out


def ordered(of, intros, order):
    """'from left to right' etc.: the introduced objects follow each other by more than 0.3 m."""
    known = {
        ("left", "right"): (1, 1),
        ("right", "left"): (1, -1),  # index into an objects() entry
        ("front", "back"): (3, 1),
        ("back", "front"): (3, -1),
    }
    if order not in known:  # "from left to left" is not an order
        return False
    axis, sign = known[order]
    values = [sign * of[j][axis] for j in intros]
    return all(b - a > 0.3 for a, b in zip(values, values[1:]))


@pytest.fixture(scope="module")
def scenes():
    return sample_scenes(2000, seed=0)


@pytest.fixture(scope="module")
def texts(scenes):
    return captions(scenes, seed=0)


# --- static captions --------------------------------------------------------------------------------------


def test_shape_words():
    assert SHAPE_WORDS == {
        "sphere": ("sphere", "ball"),
        "cube": ("cube", "box", "block"),
        "cylinder": ("cylinder", "tube"),
    }


def test_every_caption_is_true_of_its_scene(scenes, texts):
    assert len(texts) == len(scenes)
    bad = [(i, texts[i], problems(scenes, i, texts[i])) for i in range(len(scenes))]
    bad = [b for b in bad if b[2]]
    assert not bad, "\n".join(f"scene {i}: {t!r}: {p} (Z: {scenes.describe(i)})" for i, t, p in bad[:5])


def test_the_parser_catches_false_captions(scenes, texts):
    """The checker must be able to fail: swap words in true captions and it objects."""
    swaps = {
        "left": "right",
        "right": "left",
        "front": "back",
        "back": "front",
        "ground": "air",
        "air": "ground",
        "small": "large",
        "large": "small",
        "two": "three",
        "three": "two",
    }
    caught = tried = 0
    for i in range(300):
        words = texts[i].split(" ")
        for n, word in enumerate(words):
            core = word.strip(".,:;")
            if core in swaps:
                lie = " ".join(words[:n] + [word.replace(core, swaps[core])] + words[n + 1 :])
                tried += 1
                caught += bool(problems(scenes, i, lie))
    # Nearly every swap makes the caption false; the rare exception stays true (a relation said twice).
    assert tried > 500 and caught / tried > 0.97
    assert problems(scenes, 0, texts[0] + " we see a small red ball over the wall.")
    assert problems(scenes, 0, texts[0][:-1] + " and a purple elephant.")


def test_same_seed_same_captions_and_paraphrases_differ(scenes, texts):
    assert captions(scenes[:200], seed=0) == texts[:200]
    assert captions(scenes[:200], seed=0) == captions(scenes[:200], seed=0)
    other = captions(scenes[:200], seed=1)
    assert sum(a != b for a, b in zip(texts, other)) > 150
    # The default rng of caption() is that of captions(seed=0); an explicit rng is used as given.
    assert caption(scenes, 7) == texts[7]
    assert caption(scenes, 7, np.random.default_rng(5)) == caption(scenes, 7, np.random.default_rng(5))
    assert len({caption(scenes, 7, np.random.default_rng(s)) for s in range(20)}) > 10


def skeleton(text):
    """The caption's template: mentions and place words blanked out, numbers and paraphrases kept apart."""
    text = MENTION.sub("X", text)
    text = re.sub(r"X( [a-z-]+)*", "X", text)  # the words after a mention (its facts) are not the template
    return re.sub(r"\b(one|two|three|single|just one|only one)\b", "N", text)


def test_many_templates_and_words(scenes, texts):
    sample = texts[:500]
    preambles = {MENTION.split(t)[0].strip() for t in sample}
    assert len(preambles) >= 5, preambles
    assert len({skeleton(t) for t in sample}) >= 5
    sentences = {t.count(".") for t in sample}
    assert {1, 2, 3} <= sentences
    everything = " ".join(sample)
    for word in [
        *WORD_SHAPE,
        "to the left of",
        "to the right of",
        "in front of",
        "behind",
        "above",
        "from left to right",
        "we see",
        "there is",
        "on the ground",
        "in the air",
    ]:
        assert word in everything, word


def test_region_of_hand_made_objects():
    scene = make_scene(
        [
            dict(shape="sphere", colour="red", size="small", position=(-1.0, 1.0)),  # resting, left, front
            dict(shape="cube", colour="blue", size="large", position=(1.0, 1.2, 2.2)),  # in the air, right, back
            dict(shape="cylinder", colour="green", size="small", position=(0.1, 0.205, 1.6)),  # within 1 cm: ground
        ]
    )
    assert region(scene, 0, 0) == {"side": "left", "depth": "front", "support": "on the ground"}
    assert region(scene, 0, 1) == {"side": "right", "depth": "back", "support": "in the air"}
    assert region(scene, 0, 2) == {"side": "middle", "depth": "back", "support": "on the ground"}
    for seed in range(50):
        text = caption(scene, 0, np.random.default_rng(seed))
        assert not problems(scene, 0, text), text
        assert "small red" in text and "large blue" in text and "small green" in text


def test_single_object_caption_states_its_facts():
    scene = make_scene([dict(shape="cube", colour="yellow", size="large", position=(-1.1, 1.5, 0.8))])
    texts = [caption(scene, 0, np.random.default_rng(s)) for s in range(100)]
    joined = " ".join(texts)
    assert all(re.search(r"\blarge yellow (cube|box|block)\b", t) for t in texts)
    assert "left" in joined and "front" in joined and "air" in joined
    assert not re.search(r"\b(right|middle|centre|back|background|ground|floor)\b", joined)


def test_relations_only_with_a_clear_margin():
    far = make_scene(
        [
            dict(shape="sphere", colour="red", size="small", position=(-1.0, 1.0)),
            dict(shape="cube", colour="blue", size="small", position=(1.0, 2.2)),
        ]
    )
    near = make_scene(
        [
            dict(shape="sphere", colour="red", size="small", position=(0.0, 1.5)),
            dict(shape="cube", colour="blue", size="small", position=(0.25, 1.75)),
        ]
    )
    far_texts = [caption(far, 0, np.random.default_rng(s)) for s in range(200)]
    near_texts = [caption(near, 0, np.random.default_rng(s)) for s in range(200)]
    assert any(re.search(r"left of (a|the) small blue", t) for t in far_texts)
    assert any(re.search(r"(behind|farther back than) (a|the) small red", t) for t in far_texts)
    relation = re.compile("|".join(RELATION_PHRASES) + "|from left|from right|from front|from back")
    assert not any(relation.search(t) for t in near_texts)  # 0.25 m apart: no relation, no order
    for scene, ts in ((far, far_texts), (near, near_texts)):
        assert all(not problems(scene, 0, t) for t in ts)


def test_above_needs_the_objects_to_be_over_each_other():
    stacked = make_scene(
        [
            dict(shape="cube", colour="green", size="large", position=(0.0, 1.5)),
            dict(shape="sphere", colour="pink", size="small", position=(0.2, 1.4, 1.6)),
        ]
    )
    apart = make_scene(
        [
            dict(shape="cube", colour="green", size="large", position=(-0.5, 1.5)),
            dict(shape="sphere", colour="pink", size="small", position=(0.5, 1.4, 1.6)),
        ]
    )
    stacked_texts = [caption(stacked, 0, np.random.default_rng(s)) for s in range(300)]
    apart_texts = [caption(apart, 0, np.random.default_rng(s)) for s in range(300)]
    assert any(re.search(r"pink (ball|sphere),? (is )?(above|over) (a|the) large green", t) for t in stacked_texts)
    assert any(
        re.search(r"green (cube|box|block),? (is )?(below|beneath|under) (a|the) small pink", t) for t in stacked_texts
    )
    assert not any(re.search(r"\b(above|over|below|beneath|under)\b", t) for t in apart_texts)
    assert all(not problems(stacked, 0, t) for t in stacked_texts)
    assert all(not problems(apart, 0, t) for t in apart_texts)


def test_twins_are_a_and_another_and_never_the():
    scene = make_scene(
        [
            dict(shape="sphere", colour="red", size="small", position=(-1.0, 1.0)),
            dict(shape="sphere", colour="red", size="small", position=(1.0, 2.0)),
            dict(shape="cube", colour="blue", size="large", position=(0.0, 1.0)),
        ]
    )
    for seed in range(100):
        text = caption(scene, 0, np.random.default_rng(seed))
        assert not problems(scene, 0, text), text
        assert re.search(r"\banother small red (ball|sphere)\b", text), text
        assert not re.search(r"\bthe small red", text), text


def test_bad_index_is_a_value_error(scenes):
    small = scenes[:3]
    for bad in (3, -1, 10, 1.0, "0"):
        with pytest.raises(ValueError, match="allowed 0 to 2"):
            caption(small, bad)
    with pytest.raises(ValueError, match="allowed 0 to 2"):
        region(small, 5, 0)
    with pytest.raises(ValueError, match="allowed 0 to 2"):
        region(small, 0, 7)
    one = make_scene([dict(shape="sphere")])
    with pytest.raises(ValueError, match="empty"):
        region(one, 0, 2)


# --- motion captions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    """A stand-in for wmlib.world.physics.Trajectory: the four fields the captions may use."""

    times: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    bounces: np.ndarray


def hand_trajectory(scene, paths, bounces):
    """One scene's trajectory from per-object lists of (position, velocity) per frame."""
    T = len(paths[0])
    K = scene.shape.shape[1]
    pos = np.zeros((1, T, K, 3))
    vel = np.zeros((1, T, K, 3))
    for k, path in enumerate(paths):
        for t, (p, v) in enumerate(path):
            pos[0, t, k], vel[0, t, k] = p, v
    b = np.zeros((1, K), int)
    b[0, : len(bounces)] = bounces
    return Trajectory(np.arange(T) / 12.0, pos, vel, b)


def toy_simulation(scene, frames=40, fps=12.0, sub=20, seed=0):
    """A crude ballistic simulation (independent of physics.py): gravity, bounces, friction, some objects
    left at rest. Only needs to be consistent; the captions must be true of whatever it produces."""
    rng = np.random.default_rng(seed)
    pos = scene.position.astype(np.float64).copy()
    vel = scene.velocity.astype(np.float64).copy()
    r = scene.radius.astype(np.float64)
    resting = (rng.random(r.shape) < 0.2) & (pos[..., 1] <= r + 0.01)
    vel[resting] = 0
    pushed = (rng.random(r.shape) < 0.15) & (pos[..., 1] <= r + 0.01) & ~resting
    vel[pushed, 1] = 0  # a push along the ground, not a throw
    vel *= scene.present[..., None]
    bounces = np.zeros(r.shape, int)
    h = 1 / fps / sub
    P, V = [pos.copy()], [vel.copy()]
    for _ in range(frames - 1):
        for _ in range(sub):
            vel[..., 1] -= 9.81 * h * (pos[..., 1] > r + 1e-9)
            pos += vel * h
            hit = (pos[..., 1] < r) & (vel[..., 1] < 0)
            big = hit & (-vel[..., 1] > 0.4)
            bounces += big
            vel[..., 1] = np.where(big, -0.6 * vel[..., 1], np.where(hit, 0, vel[..., 1]))
            pos[..., 1] = np.maximum(pos[..., 1], r)
            ground = pos[..., 1] <= r + 1e-9
            speed = np.hypot(vel[..., 0], vel[..., 2])
            slow = np.where(ground, np.maximum(speed - 0.4 * 9.81 * h, 0) / np.maximum(speed, 1e-12), 1)
            vel[..., 0] *= slow
            vel[..., 2] *= slow
        P.append(pos.copy())
        V.append(vel.copy())
    return Trajectory(np.arange(frames) / fps, np.stack(P, 1), np.stack(V, 1), bounces)


MOTION_MENTION = re.compile(rf"\b(the|one|another|a) ({SIZE_RE}) ({COLOUR_RE}) ({SHAPE_RE})\b")
BOUNCE_NUMBERS = {"once": 1, "twice": 2, "three times": 3}
# (pattern, claim) in the order they are read; each match is removed before the next pattern.
MOTION_CLAIMS = [
    (r"still in the air( at the end| when the clip ends)?", "end air"),
    (r"comes to rest|comes to a stop|\bstops\b", "end rest"),
    (r"\b(rolls on|keeps rolling|rolls)\b", "end rolls"),
    (r"\b(slides on|keeps sliding|slides)\b", "end slides"),
    (r"stays still|does not move|stays where it is", "still"),
    (r"does not bounce|never bounces", "bounce 0"),
    (r"bounces (once|twice|three times|\d+ times)", "bounce n"),
    (r"to the left", "left"),
    (r"to the right", "right"),
    (r"straight up", "up"),
    (r"\b(thrown|tossed|flies off|goes)\b", "thrown"),
    (r"\b(falls|drops|starts to fall)\b", "falls"),
    (r"\b(sets off|starts moving|starts to move|moves)\b", "moves"),
]
MOTION_FILLER = set("the is and then finally while in this clip video it".split())


def motion_claims(chunk):
    claims, unknown = [], []
    for pattern, name in MOTION_CLAIMS:
        for m in re.finditer(pattern, chunk):
            if name == "bounce n":
                words = m.group(1)
                claims.append(("bounce", BOUNCE_NUMBERS.get(words) or int(words.split()[0])))
            elif name == "bounce 0":
                claims.append(("bounce", 0))
            else:
                claims.append((name, None))
        chunk = re.sub(pattern, " ", chunk)
    unknown = [w for w in re.findall(r"[a-z0-9]+", chunk) if w not in MOTION_FILLER]
    return claims, unknown


def motion_claim_holds(scene, traj, i, k, claim):
    name, value = claim
    pos, vel = traj.position[i, :, k], traj.velocity[i, :, k]
    r = float(scene.radius[i, k])
    vx0, vy0 = vel[0, 0], vel[0, 1]
    air0 = pos[0, 1] > r + 0.01
    ground_end = pos[-1, 1] <= r + 0.01
    hspeed_end = np.hypot(vel[-1, 0], vel[-1, 2])
    still = np.abs(pos - pos[0]).max() <= 1e-3 and np.abs(vel).max() <= 1e-3
    cube = SHAPES[scene.shape[i, k]] == "cube"
    return {
        "end air": not ground_end,
        "end rest": ground_end and np.linalg.norm(vel[-1]) <= 0.05 and not still,
        "end rolls": ground_end and hspeed_end > 0.05 and not cube,
        "end slides": ground_end and hspeed_end > 0.05 and cube,
        "still": still and traj.bounces[i, k] == 0,
        "bounce": value == traj.bounces[i, k],
        "left": vx0 < -0.3,
        "right": vx0 > 0.3,
        "up": abs(vx0) <= 0.3 and vy0 > 0.3,
        "thrown": (vy0 > 0 or air0) and (abs(vx0) > 0.3 or vy0 > 0.3),
        "falls": air0 and vy0 <= 0.3,
        "moves": not still,
    }[name]


def motion_problems(scene, traj, i, text):
    out = []
    if text != text.lower() or not text.endswith(".") or "  " in text:
        out.append("not lower-case plain text ending with a period")
    mentions = list(MOTION_MENTION.finditer(text))
    objs = objects(scene, i)
    if len(mentions) != len(objs):
        return out + [f"{len(mentions)} mentions for {len(objs)} objects"]
    chunks = []
    for j, m in enumerate(mentions):
        end = mentions[j + 1].start() if j + 1 < len(mentions) else len(text)
        claims, unknown = motion_claims(text[m.end() : end])
        if unknown:
            out.append(f"unknown words {unknown}")
        chunks.append(((m.group(2), m.group(3), WORD_SHAPE[m.group(4)]), claims))
    opener, unknown = motion_claims(text[: mentions[0].start()] if mentions else text)
    if opener or unknown:
        out.append(f"claims or words before any object: {opener + unknown}")
    for perm in itertools.permutations(objs):
        if any(o[0] != desc for o, (desc, _) in zip(perm, chunks)):
            continue
        ok = True
        for o, (_, claims) in zip(perm, chunks):
            k = o[5]
            bounce_claims = [c for c in claims if c[0] == "bounce"]
            is_still = ("still", None) in claims
            # Exactly one bounce count for a moving object, none for one that stays still.
            ok &= len(bounce_claims) == (0 if is_still else 1)
            ok &= all(motion_claim_holds(scene, traj, i, k, c) for c in claims)
            starts = [c for c in claims if c[0] in ("still", "thrown", "falls", "moves")]
            ok &= len(starts) == 1  # every object says how it starts
        if ok:
            return out
    return out + ["no matching of mentions to objects makes every motion claim true"]


def parts(text):
    """{"small red sphere": what the caption says after that object, up to the next object}."""
    mentions = list(MOTION_MENTION.finditer(text))
    ends = [m.start() for m in mentions[1:]] + [len(text)]
    return {
        f"{m.group(2)} {m.group(3)} {WORD_SHAPE[m.group(4)]}": text[m.end() : end] for m, end in zip(mentions, ends)
    }


def test_hand_made_motion():
    scene = make_scene(
        [
            dict(shape="sphere", colour="red", size="small", position=(0.0, 1.5)),
            dict(shape="cube", colour="blue", size="large", position=(0.5, 1.0, 2.0)),
            dict(shape="cylinder", colour="green", size="small", position=(-1.0, 1.0)),
        ]
    )
    ball = [
        ((0.0, 0.2, 1.5), (1.0, 2.0, 0.0)),
        ((0.5, 0.6, 1.5), (1.0, 0.5, 0.0)),
        ((1.0, 0.2, 1.5), (0.5, 0.0, 0.0)),
    ]  # thrown right, still rolling
    box = [
        ((0.5, 1.0, 2.0), (0.0, 0.0, 0.0)),
        ((0.5, 0.6, 2.0), (0.0, -3.0, 0.0)),
        ((0.5, 0.35, 2.0), (0.0, 0.0, 0.0)),
    ]  # dropped, comes to rest
    tube = [((-1.0, 0.2, 1.0), (0.0, 0.0, 0.0))] * 3  # never moves
    traj = hand_trajectory(scene, [ball, box, tube], bounces=[2, 0, 0])
    for seed in range(60):
        text = motion_caption(scene, traj, 0, np.random.default_rng(seed))
        assert not motion_problems(scene, traj, 0, text), text
        part = parts(text)
        ball_part, box_part, tube_part = part["small red sphere"], part["large blue cube"], part["small green cylinder"]
        assert "to the right" in ball_part and "bounces twice" in ball_part and "roll" in ball_part
        assert re.search(r"\b(falls|drops|starts to fall)\b", box_part)
        assert re.search(r"does not bounce|never bounces", box_part)
        assert re.search(r"comes to rest|stops|comes to a stop", box_part)
        assert re.search(r"stays still|does not move|stays where it is", tube_part)
        assert "bounce" not in tube_part
    assert motion_caption(scene, traj) == motion_captions(scene, traj)[0]


@pytest.mark.parametrize(
    "n, words",
    [
        (0, r"does not bounce|never bounces"),
        (1, "bounces once"),
        (2, "bounces twice"),
        (3, "bounces three times"),
        (4, "bounces 4 times"),
        (7, "bounces 7 times"),
    ],
)
def test_bounce_words(n, words):
    scene = make_scene([dict(shape="cube", colour="orange", size="small", position=(0.0, 1.0, 1.5))])
    path = [((0.0, 1.0, 1.5), (-1.0, 1.0, 0.0)), ((-0.5, 0.2, 1.5), (-0.6, 0.0, 0.2))]  # thrown left, sliding
    traj = hand_trajectory(scene, [path], bounces=[n])
    for seed in range(20):
        text = motion_caption(scene, traj, 0, np.random.default_rng(seed))
        assert re.search(words, text), text
        assert "to the left" in text and "slid" in text and "roll" not in text
        assert len(re.findall(r"bounce", text)) == 1
        assert not motion_problems(scene, traj, 0, text), text


def test_thrown_up_and_still_in_the_air():
    scene = make_scene([dict(shape="sphere", colour="cyan", size="large", position=(0.0, 1.0))])
    path = [((0.0, 0.35, 1.0), (0.2, 3.0, 0.0)), ((0.02, 0.6, 1.0), (0.2, 1.0, 0.0))]
    traj = hand_trajectory(scene, [path], bounces=[0])
    texts = [motion_caption(scene, traj, 0, np.random.default_rng(s)) for s in range(20)]
    assert all("straight up" in t and "still in the air" in t for t in texts), texts
    assert all(not motion_problems(scene, traj, 0, t) for t in texts)


def test_motion_captions_of_many_clips_are_true():
    joined = ""
    for frames in (8, 16, 40):  # short clips end mid-flight or still rolling, long ones at rest
        scene = sample_scenes(200, seed=frames, moving=True)
        traj = toy_simulation(scene, frames=frames, seed=frames)
        texts = motion_captions(scene, traj, seed=2)
        assert texts == motion_captions(scene, traj, seed=2)
        assert sum(a != b for a, b in zip(texts, motion_captions(scene, traj, seed=3))) > 150
        bad = [(i, t, motion_problems(scene, traj, i, t)) for i, t in enumerate(texts)]
        bad = [b for b in bad if b[2]]
        assert not bad, "\n".join(f"clip {i}: {t!r}: {p}" for i, t, p in bad[:5])
        joined += " ".join(texts)
    for phrase in [
        "to the left",
        "to the right",
        "straight up",
        "does not move|stays still|stays where it is",
        "bounces once",
        "bounces twice",
        "roll",
        "slid",
        "comes to rest|stops|comes to a stop",
        "still in the air",
        "falls|drops",
        "sets off|starts moving",
        "; ",
        " while ",
        r"\. the",
    ]:
        assert re.search(phrase, joined), phrase


def test_motion_bad_input():
    scene = sample_scenes(2, seed=0, moving=True)
    traj = toy_simulation(scene, frames=3)
    with pytest.raises(ValueError, match="allowed 0 to 1"):
        motion_caption(scene, traj, 2)
    wrong = Trajectory(traj.times, traj.position[:1], traj.velocity[:1], traj.bounces[:1])
    with pytest.raises(ValueError, match="shape"):
        motion_captions(scene, wrong)


# --- claims: is a caption true of *another* scene? -----------------------------------------------------


def moved(scenes, seed, metres=1.0):
    """The same objects, each moved sideways and in depth by up to ``metres``: some facts stay true."""
    rng = np.random.default_rng(seed)
    shift = rng.uniform(-metres, metres, scenes.position.shape) * np.array([1, 0, 1])
    return scenes.with_(position=(scenes.position + shift * scenes.present[..., None]).astype(np.float32))


def test_claims_hold_of_their_own_scene_and_agree_with_the_parser(scenes):
    texts, claims = captions_with_claims(scenes[:600], seed=3)
    assert texts == captions(scenes[:600], seed=3)  # recording the claims does not change the words
    assert all(c.holds(scenes, i) for i, c in enumerate(claims))
    other = moved(scenes[:600], seed=4)
    verdicts = [c.holds(other, i) for i, c in enumerate(claims)]
    # An independent reader of the words must agree on every caption, true or false of the moved scene.
    disagree = [(i, texts[i]) for i in range(600) if verdicts[i] != (not problems(other, i, texts[i]))]
    assert not disagree, disagree[:3]
    assert 0.1 < np.mean(verdicts) < 0.9  # moving objects makes some captions false, not all


def test_truth_matrix_needs_the_same_objects():
    red = make_scene([dict(shape="sphere", colour="red", size="small", position=(-1.0, 1.0))])
    blue = make_scene([dict(shape="sphere", colour="blue", size="small", position=(-1.0, 1.0))])
    red_right = make_scene([dict(shape="sphere", colour="red", size="small", position=(1.0, 1.0))])
    pair = make_scene(
        [
            dict(shape="sphere", colour="red", size="small", position=(-1.0, 1.0)),
            dict(shape="cube", colour="red", size="large", position=(1.0, 2.0)),
        ]
    )
    world = type(red).concat([red, blue, red_right, pair])
    texts, claims = captions_with_claims(world, seed=0)
    truth = truth_matrix(claims, world)
    assert truth.shape == (4, 4) and truth.diagonal().all()
    assert not truth[0, 1] and not truth[1, 0]  # another colour
    assert not truth[0, 3] and not truth[3, 0]  # a caption names every object, no more, no less
    # A red ball on the left and one on the right share a caption only if it says nothing about the side.
    says_side = any(f == "side" for _, f, _ in claims[0].facts)
    assert truth[0, 2] == (not says_side), texts[0]
