"""How good is the learned simulation? Three honest measurements against the true simulator.

- **Compounding error**: the model dreams ``HORIZON`` frames from two real ones and the true actions;
  the mean absolute pixel error against the true frames, and the distance between where it draws the
  object and where the object is, at each step ahead. A model that is good at one step can still
  drift, because from the second step on it is fed its own mistakes. Baseline: the last frame seen,
  held still (a "world model" that knows nothing of motion).
- **Physics**: from objects thrown through the air and left alone, the height of the object is
  tracked in the imagined frames and a parabola fitted (``wmlib.video.physics``, as in notebook 04):
  the share of rollouts whose gravity is within 20% of the world's; and, where a bounce can be
  measured, the restitution (the share of speed kept in a bounce).
- **Object permanence**: the share of imagined rollouts in which the object is found in every frame
  and the judge of notebook 04 names its true colour in every frame.

The true videos go through the same measurements, so every figure has its ceiling beside it.
"""

from __future__ import annotations

import numpy as np

from wmlib.simulator.episodes import act, sample_episodes, sample_starts
from wmlib.world.studio import gravity_px
from wmlib.world.actions import Actions
from wmlib.world.scene import RESTITUTION

HORIZON = 16
SEED = 1000  # held-out episodes: a seed the training command does not use (it draws its episodes with --seed, 0)


def held_out_episodes(n: int = 200, seed: int = SEED):
    """``n`` held-out episodes of ``HORIZON + 1`` random actions and their frames (n, HORIZON + 2, H, W, 3)."""
    episodes = sample_episodes(n, HORIZON + 1, seed=seed)
    return episodes, episodes.render()


def dream(model, episodes, frames: np.ndarray) -> np.ndarray:
    """The model's (n, HORIZON, H, W, 3) frames from the first two real frames and the true actions."""
    return model.imagine(frames[:, :2], episodes.actions.vectors()[:, 1:])


def compounding_error(imagined: np.ndarray, frames: np.ndarray) -> dict[str, np.ndarray]:
    """Mean absolute pixel error at each step ahead (``HORIZON`` values), for the model and for holding
    the last real frame still."""
    truth = frames[:, 2:2 + imagined.shape[1]]
    return {"model": np.abs(imagined - truth).mean(axis=(0, 2, 3, 4)),
            "last frame held": np.abs(frames[:, 1:2] - truth).mean(axis=(0, 2, 3, 4))}


def position_error(imagined: np.ndarray, frames: np.ndarray) -> dict[str, np.ndarray]:
    """Where the model puts the object against where it is: the mean distance (pixels) between the
    tracked centres at each step ahead, over the rollouts where the object was found (for the model
    and for holding the last real frame still)."""
    from wmlib.world.tracker import track

    truth = frames[:, 2:2 + imagined.shape[1]]
    centre = lambda videos: np.stack([track(v)[0] for v in videos])  # noqa: E731  (B, T, 2), NaN if lost
    real, dreamed = centre(truth), centre(imagined)
    held = np.repeat(centre(frames[:, 1:2]), truth.shape[1], axis=1)
    return {"model": np.nanmean(np.linalg.norm(dreamed - real, axis=-1), axis=0),
            "last frame held": np.nanmean(np.linalg.norm(held - real, axis=-1), axis=0)}


def throws(n: int = 200, seed: int = SEED + 1):
    """``n`` objects thrown through the air with no action for ``HORIZON + 1`` frames, and their frames."""
    scene = sample_starts(n, seed, p_ground=0.0)
    nothing = Actions(np.zeros((n, HORIZON + 1), np.int64), np.zeros((n, HORIZON + 1), np.float32))
    episodes = act(scene, nothing)
    return episodes, episodes.render()


def gravity(videos: np.ndarray) -> np.ndarray:
    """Gravity (px/frame²) fitted on each video (B, T, H, W, 3); NaN where it cannot be read."""
    from wmlib.video.physics import fit_gravity
    from wmlib.world.tracker import track

    return np.array([fit_gravity(*track(v)) for v in videos])


def restitution(videos: np.ndarray) -> np.ndarray:
    """The restitution of the first bounce fitted on each video; NaN where there is no measurable bounce."""
    from wmlib.video.physics import fit_restitution
    from wmlib.world.tracker import track

    return np.array([fit_restitution(*track(v)) for v in videos])


def gravity_share(g: np.ndarray, tolerance: float = 0.2) -> float:
    """The share of fitted values within ``tolerance`` of the world's gravity (NaN counts as wrong)."""
    truth = gravity_px()
    return float(np.mean(np.abs(np.nan_to_num(g, nan=np.inf) - truth) <= tolerance * truth))


def permanence(videos: np.ndarray, colour: np.ndarray, judge=None) -> dict[str, float]:
    """Shares of videos (B, T, H, W, 3) whose object is found in every frame (``present``), whose colour
    the judge names right in every frame (``colour kept``), and both (``permanent``); and the share
    named right at each step."""
    import torch

    from wmlib.video.physics import load_judge
    from wmlib.world.tracker import track

    judge = load_judge() if judge is None else judge
    found = np.array([track(v)[1].all() for v in videos])
    B, T = videos.shape[:2]
    x = torch.from_numpy(np.ascontiguousarray(videos, np.float32)).flatten(0, 1).permute(0, 3, 1, 2)
    with torch.no_grad():
        named = judge(x)["colour"].argmax(1).view(B, T).numpy()
    right = named == np.asarray(colour)[:, None]
    kept = right.all(1)
    return {"present": float(found.mean()), "colour kept": float(kept.mean()),
            "permanent": float((found & kept).mean()),
            "colour right by step": [round(float(x), 3) for x in right.mean(0)]}


def autoencoder_error(model, frames: np.ndarray) -> float:
    """Mean absolute pixel error of frames (..., H, W, 3) sent through the model's autoencoder alone: the
    blur every imagined frame starts with, before any dynamics."""
    import torch

    with torch.no_grad():
        return float(np.abs(model.decode(model.encode(frames)).numpy() - frames).mean())


def manifest_scores(model, n: int = 200) -> dict:
    """Every figure of this module on held-out episodes, as the manifest keeps them."""
    episodes, frames = held_out_episodes(n)
    imagined = dream(model, episodes, frames)
    error = compounding_error(imagined, frames)
    place = position_error(imagined, frames)
    thrown, thrown_frames = throws(n)
    imagined_throws = np.concatenate([thrown_frames[:, :2], dream(model, thrown, thrown_frames)], 1)
    colour = episodes.scene.colour[:, 0]
    return {
        "episodes": n,
        "error_by_step": {k: [round(float(x), 5) for x in v] for k, v in error.items()},
        "one_step_error": round(float(error["model"][0]), 5),
        "error_at_16": round(float(error["model"][HORIZON - 1]), 5),
        "position_error_px": {k: [round(float(x), 3) for x in v] for k, v in place.items()},
        "gravity_within_20": {"model": gravity_share(gravity(imagined_throws)),
                              "true": gravity_share(gravity(thrown_frames))},
        "restitution": {who: _restitution_summary(restitution(v)) for who, v in
                        (("model", imagined_throws), ("true", thrown_frames))},
        "permanence": {"model": permanence(imagined, colour), "true": permanence(frames[:, 2:], colour)},
    }


def _restitution_summary(e: np.ndarray, tolerance: float = 0.2) -> dict:
    ok = np.isfinite(e)
    return {"measurable": float(ok.mean()),
            "median": float(np.median(e[ok])) if ok.any() else float("nan"),
            "within_20_of_measurable": float(np.mean(np.abs(e[ok] - RESTITUTION) <= tolerance * RESTITUTION))
            if ok.any() else float("nan")}
