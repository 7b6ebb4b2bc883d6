"""The training videos of the toy text-to-video model: one object thrown in the cave, filmed from the side.

Each clip is 16 frames of 32x32 pixels at 12 frames per second, filmed by the studio camera
(``wmlib.world.studio``): orthographic, tilted 30 degrees down, no shadows, so that nothing in the picture
moves except the object and gravity is a constant acceleration in pixels per frame squared.

Objects start in the air (0.8 to 1.7 m up), are thrown left, right or straight up, and stay in view;
every clip therefore has a bounce-free stretch long enough to read gravity back from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmlib.world.captions import words as caption_words
from wmlib.world.physics import Trajectory, simulate
from wmlib.world.scene import COLOUR_NAMES, SHAPES, SIZE_RADIUS, SIZES, Scene
from wmlib.world.studio import CAMERA, FPS, FRAMES, SIZE, VIEW_TOP, VIEW_X, one_object_scenes, render_frames


@dataclass(frozen=True)
class Clips:
    """A batch of clips: the scenes at frame 0, their simulated trajectories, and one caption per clip."""

    scene: Scene
    trajectory: Trajectory
    captions: list[str]

    def __len__(self) -> int:
        return len(self.scene)

    def attributes(self) -> dict[str, np.ndarray]:
        """The object's ``colour``, ``shape`` and ``size`` indices, one per clip."""
        return {
            "colour": self.scene.colour[:, 0].astype(np.int64),
            "shape": self.scene.shape[:, 0].astype(np.int64),
            "size": self.scene.size[:, 0].astype(np.int64),
        }


# Where throws start and how fast they go up (metres, m/s). "train" is every clip the models learn from;
# "fast" throws go up faster than any of them, from lower down so that they stay in view: the held-out
# speeds of Kang et al. (2024), who test video models outside their training range this way.
THROWS = {"train": {"height": (0.8, 1.7), "up": (0.0, 2.5)}, "fast": {"height": (0.3, 0.6), "up": (3.0, 3.6)}}


def sample_clips(n: int, seed: int = 0, caption_seed: int | None = None, throws: str = "train") -> Clips:
    """``n`` random clips of one thrown object, the same for the same seed.

    Throws are drawn, simulated and kept only if the object stays in view for all 16 frames (about
    two in three are kept). ``caption_seed`` picks the wording of the captions (default: ``seed``).
    ``throws`` picks the range of starts and speeds (``THROWS``): ``"train"``, or ``"fast"``, throws up
    faster than any training clip (out of distribution).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of clips, got {n!r}")
    if throws not in THROWS:
        raise ValueError(f"unknown throws {throws!r}; allowed: {', '.join(THROWS)}")
    rng = np.random.default_rng([seed, 4])
    kept_scenes, kept_traj, have = [], [], 0
    while have < n:
        m = 2 * (n - have) + 16
        scene = _throws(rng, m, **THROWS[throws])
        traj = simulate(scene, FRAMES, FPS)
        p, r = traj.position[:, :, 0], scene.radius[:, 0]
        ok = (np.abs(p[..., 0]).max(1) + r <= VIEW_X) & (p[..., 1].max(1) + r <= VIEW_TOP)
        idx = np.flatnonzero(ok)[: n - have]
        kept_scenes.append(scene[idx])
        kept_traj.append(traj.clips(idx))
        have += len(idx)
    scene = Scene.concat(kept_scenes)
    traj = Trajectory.concat(kept_traj)
    from wmlib.world.captions import motion_captions

    return Clips(scene, traj, motion_captions(scene, traj, seed if caption_seed is None else caption_seed))


def _throws(
    rng: np.random.Generator,
    m: int,
    height: tuple[float, float] = THROWS["train"]["height"],
    up: tuple[float, float] = THROWS["train"]["up"],
) -> Scene:
    """``m`` one-object scenes with a throw: left, right (toward the middle when near a side) or straight up;
    the object's lowest point starts ``height`` metres up and it goes up at a speed in ``up`` (m/s)."""
    shape = rng.integers(0, len(SHAPES), m)
    colour = rng.integers(0, len(COLOUR_NAMES), m)
    size = rng.integers(0, len(SIZES), m)
    r = SIZE_RADIUS[size]
    x = rng.uniform(-0.9, 0.9, m)
    y = rng.uniform(*height, m) + r
    direction = np.where(x > 0.3, -1.0, np.where(x < -0.3, 1.0, rng.choice([-1.0, 1.0], m)))
    direction = np.where(rng.random(m) < 0.15, 0.0, direction)  # some go straight up
    vx = direction * rng.uniform(0.4, 1.4, m)
    vy = rng.uniform(*up, m)
    return one_object_scenes(shape, colour, size, x, y, vx, vy)


def render_clips(clips: Clips, chunk: int = 512) -> np.ndarray:
    """(B, T, H, W, 3) float32 frames in [0, 1], no shadows, seen by ``CAMERA``."""
    return render_frames(clips.scene, clips.trajectory, chunk)


def true_track(clips: Clips) -> np.ndarray:
    """(B, T, 2): the object's centre in pixel coordinates (column, row) in every frame."""
    right, up, _ = CAMERA.basis()
    rel = clips.trajectory.position[:, :, 0].astype(np.float64) - np.asarray(CAMERA.position)
    px_per_m = SIZE / CAMERA.ortho_height
    col = SIZE / 2 - 0.5 + rel @ right * px_per_m
    row = SIZE / 2 - 0.5 - rel @ up * px_per_m
    return np.stack([col, row], -1)


# --- words -------------------------------------------------------------------------------------

PAD, UNKNOWN = "<pad>", "<unk>"


def words(text: str) -> list[str]:
    """Lower-case words and punctuation marks: the toy model's tokens (``wmlib.world.captions.words``)."""
    return caption_words(text, punctuation=True)


def build_vocabulary(captions: list[str]) -> list[str]:
    """Every word of ``captions``, sorted, after ``<pad>`` (id 0: also the empty prompt) and ``<unk>``."""
    return [PAD, UNKNOWN, *sorted({w for c in captions for w in words(c)})]


def known_words(vocabulary: list[str]) -> list[str]:
    """The words (and punctuation marks) a model with ``vocabulary`` has read: all but ``<pad>`` and ``<unk>``."""
    return [w for w in vocabulary if w not in (PAD, UNKNOWN)]


def tokenize(texts: list[str], vocabulary: list[str], length: int, strict: bool = False) -> np.ndarray:
    """(B, length) int64 token ids, padded with 0; words outside the vocabulary become ``<unk>``, or with
    ``strict`` are refused (a model cannot follow a word it never read: it would draw something else).

    Raises ValueError for an empty prompt, one longer than ``length`` words, or (``strict``) one with a
    word outside the vocabulary, naming the word(s) and the words the model knows."""
    if isinstance(texts, str):
        texts = [texts]
    index = {w: i for i, w in enumerate(vocabulary)}
    out = np.zeros((len(texts), length), np.int64)
    for b, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"a prompt must be a string, got {type(text).__name__}")
        tokens = words(text)
        unknown = sorted({w for w in tokens if w not in index or w in (PAD, UNKNOWN)})
        if strict and unknown:
            known = known_words(vocabulary)
            marks = " ".join(w for w in known if not w.isalpha())
            raise ValueError(
                f"the model never read the word{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(repr, unknown))} in {text!r}; the words it knows are: "
                f"{' '.join(w for w in known if w.isalpha())}" + (f" (and the marks {marks})" if marks else "")
            )
        ids = [index.get(w, 1) for w in tokens]
        if len(ids) > length:
            raise ValueError(f"the prompt has {len(ids)} words but the model reads at most {length}: {text!r}")
        out[b, : len(ids)] = ids
    return out
