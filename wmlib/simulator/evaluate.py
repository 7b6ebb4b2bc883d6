"""How good is the learned simulation? Measurements against the true simulator, each with its control.

- **Compounding error**: the model dreams ``HORIZON`` frames from two real ones and the true actions;
  the mean absolute pixel error against the true frames, and the distance between where it draws the
  object and where the object is, at each step ahead. A model that is good at one step can still
  drift, because from the second step on it is fed its own mistakes. Baselines: the last frame seen,
  held still (a "world model" that knows nothing of motion), and the control trained only one step
  ahead (``one_step_model``); floor: the true frames through the autoencoder (``round_trip``).
- **Physics**: objects thrown through the air and left alone, measured on the frames the model dreamed
  only (``per_throw``): the landing frame, paired with the truth's; gravity fitted (a parabola, as in
  ``wmlib.video.physics``) on the frames of the true fall, the same frames in the dream, the truth and
  its round trip; and, where a bounce can be measured, the restitution (the share of speed kept).
- **Object permanence**: the share of imagined rollouts in which the object is found in every frame
  and the judge of notebook 04 names its true colour in every frame; the control is the true frames
  through the same autoencoder, blurred as a dream is (``per_episode``).

``summarise_*`` give every figure with its 95% bootstrap interval over episodes or throws
(``wmlib.stats``); ``benchmarks/world_model.py --write`` keeps them for 500 of each in ``benchmark.json``.
The manifest keeps the same figures without intervals for 200 of each (``manifest_scores``).
"""

from __future__ import annotations

import numpy as np

from wmlib.simulator.episodes import act, sample_episodes, sample_starts
from wmlib.world.actions import Actions
from wmlib.world.scene import RESTITUTION
from wmlib.world.studio import gravity_px

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
    truth = frames[:, 2 : 2 + imagined.shape[1]]
    return {
        "model": np.abs(imagined - truth).mean(axis=(0, 2, 3, 4)),
        "last frame held": np.abs(frames[:, 1:2] - truth).mean(axis=(0, 2, 3, 4)),
    }


def _centres(videos: np.ndarray) -> np.ndarray:
    """(B, T, 2) the tracked centre of the object in each frame of each video; NaN where it is lost."""
    from wmlib.world.tracker import track

    return np.stack([track(v)[0] for v in videos])


def place_off(imagined: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Per rollout and step ahead (B, T): the distance (pixels) between the tracked centre of the object
    where the model draws it and where it truly is; NaN where the tracker loses it in either."""
    truth = frames[:, 2 : 2 + imagined.shape[1]]
    return np.linalg.norm(_centres(imagined) - _centres(truth), axis=-1)


def position_error(imagined: np.ndarray, frames: np.ndarray) -> dict[str, np.ndarray]:
    """Where the model puts the object against where it is: the mean distance (pixels) between the
    tracked centres at each step ahead, over the rollouts where the object was found (for the model
    and for holding the last real frame still)."""
    real = _centres(frames[:, 2 : 2 + imagined.shape[1]])
    held = np.repeat(_centres(frames[:, 1:2]), real.shape[1], axis=1)
    return {
        "model": np.nanmean(place_off(imagined, frames), axis=0),
        "last frame held": np.nanmean(np.linalg.norm(held - real, axis=-1), axis=0),
    }


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
    return {
        "present": float(found.mean()),
        "colour kept": float(kept.mean()),
        "permanent": float((found & kept).mean()),
        "colour right by step": [round(float(x), 3) for x in right.mean(0)],
    }


def autoencoder_error(model, frames: np.ndarray) -> float:
    """Mean absolute pixel error of frames (..., H, W, 3) sent through the model's autoencoder alone: the
    blur every imagined frame starts with, before any dynamics."""
    import torch

    with torch.no_grad():
        return float(np.abs(model.decode(model.encode(frames)).numpy() - frames).mean())


def with_dynamics(model, path):
    """A copy of ``model`` whose dynamics network has the weights in ``path`` (a safetensors file of the
    dynamics alone, such as the one-step control ``one_step.safetensors``); the autoencoder is shared."""
    import copy
    from pathlib import Path

    from wmlib.checkpoints import load_weights

    other = copy.deepcopy(model)
    other.dynamics.load_state_dict(load_weights(Path(path).parent, Path(path).name))
    return other.eval()


def one_step_model(model):
    """The shipped one-step control of the shipped ``model``: the same autoencoder, and a dynamics network
    trained only one step ahead (``python -m wmlib.simulator.train --one-step-control``), verified."""
    from wmlib.checkpoints import verify_checkpoint
    from wmlib.registry import checkpoint_dir, get

    folder = checkpoint_dir(get("toy-world-model"))
    manifest = verify_checkpoint(folder)
    return with_dynamics(model, folder / manifest["one_step"]["file"])


def manifest_scores(model, n: int = 200, physics: bool = True) -> dict:
    """Every figure of this module on held-out episodes, as the manifest keeps them (``physics=False``:
    only the compounding error)."""
    episodes, frames = held_out_episodes(n)
    imagined = dream(model, episodes, frames)
    error = compounding_error(imagined, frames)
    place = position_error(imagined, frames)
    prediction = {
        "episodes": n,
        "error_by_step": {k: [round(float(x), 5) for x in v] for k, v in error.items()},
        "one_step_error": round(float(error["model"][0]), 5),
        "error_at_16": round(float(error["model"][HORIZON - 1]), 5),
        "position_error_px": {k: [round(float(x), 3) for x in v] for k, v in place.items()},
    }
    if not physics:
        return prediction
    per = per_throw(model, n)  # measured on the dreamed frames only, beside the same true frames
    fall = summarise_throws(per)
    colour = episodes.scene.colour[:, 0]
    return {
        **prediction,
        "gravity_within_20": {
            **{
                who: fall["fall gravity within 20%"][key]["share"]
                for who, key in (("model", "dream"), ("true", "true"), ("round trip", "round trip"))
            },
            "throws with a fall of 5 frames": fall["with a fall of 5 frames"],
        },
        "landing_frame_model_minus_true": round(fall["landing frame, dream minus true"]["mean"], 4),
        "restitution": {
            who: _restitution_summary(per[f"restitution {key}"]) for who, key in (("model", "dream"), ("true", "true"))
        },
        "permanence": {
            "model": permanence(imagined, colour),
            "true": permanence(frames[:, 2:], colour),
            "round trip": permanence(round_trip(model, frames[:, 2:]), colour),
        },
    }


def _restitution_summary(e: np.ndarray, tolerance: float = 0.2) -> dict:
    ok = np.isfinite(e)
    return {
        "measurable": float(ok.mean()),
        "median": float(np.median(e[ok])) if ok.any() else float("nan"),
        "within_20_of_measurable": float(np.mean(np.abs(e[ok] - RESTITUTION) <= tolerance * RESTITUTION))
        if ok.any()
        else float("nan"),
    }


# --- per-item measurements with their controls (the notebook and benchmarks/world_model.py) ------------


def round_trip(model, frames: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """True frames (..., H, W, 3) sent through the model's autoencoder alone: what a perfect dynamics
    network would show, blurred as every dreamed frame is. The control for the judge and the tracker."""
    import torch

    flat = np.asarray(frames, np.float32).reshape(-1, *frames.shape[-3:])
    with torch.no_grad():
        out = [model.decode(model.encode(flat[i : i + batch_size])).numpy() for i in range(0, len(flat), batch_size)]
    return np.concatenate(out).reshape(frames.shape)


def heights(videos: np.ndarray) -> np.ndarray:
    """(B, T) the tracked height of the object (pixels, up positive) in each frame; NaN where it is lost."""
    from wmlib.world.tracker import track

    return np.stack([-track(v)[0][:, 1] for v in videos])


def landing(videos: np.ndarray) -> np.ndarray:
    """(B,) the first frame where the tracked height turns sharply upward (the tracker's bounce: the
    object meets the ground), and (B,) how many frames follow it before the next such turn or the end
    of the video (the stretch ``fit_restitution`` fits the rebound on; it needs 3). NaN where none."""
    from wmlib.video.physics import bounce_frames

    first, after = np.full(len(videos), np.nan), np.full(len(videos), np.nan)
    for i, h in enumerate(heights(videos)):
        if np.isnan(h).any():
            continue
        cuts = bounce_frames(h)
        if len(cuts):
            first[i] = cuts[0]
            after[i] = (cuts[1] if len(cuts) > 1 else len(h)) - cuts[0]
    return first, after


def per_throw(model, n: int = 500, seed: int = SEED + 1) -> dict[str, np.ndarray]:
    """Objects thrown and left alone, measured per throw on the frames the model dreamed (the 16 after
    the two real frames it is given), on the same 16 true frames, and on their autoencoder round trips:
    fitted gravity, restitution, landing frame and frames after it, and the mean |height error| (px)
    of the dream and of the round trip against the true frames."""
    thrown, frames = throws(n, seed)
    videos = {
        "dream": dream(model, thrown, frames),
        "true": frames[:, 2:],
        "round trip": round_trip(model, frames[:, 2:]),
    }
    out = {}
    for who, v in videos.items():
        out[f"gravity {who}"] = gravity(v)
        out[f"restitution {who}"] = restitution(v)
        out[f"landing {who}"], out[f"after landing {who}"] = landing(v)
        out[f"heights {who}"] = heights(v)
    truth = out["heights true"]
    for who in ("dream", "round trip"):
        out[f"height error {who}"] = np.nanmean(np.abs(out[f"heights {who}"] - truth), axis=1)
    fall = [fall_frames(h) for h in truth]
    for who in videos:
        out[f"fall gravity {who}"] = np.array([fit_on(h, f) for h, f in zip(out[f"heights {who}"], fall)])
    return out


def fall_frames(height: np.ndarray, min_segment: int = 5) -> np.ndarray | None:
    """The frames of the true fall: from the first frame to the last before the true video's first bounce
    (all of them if it does not bounce), if there are ``min_segment`` or more; else None."""
    from wmlib.video.physics import bounce_frames

    if np.isnan(height).any():
        return None
    cuts = bounce_frames(height)
    end = int(cuts[0]) if len(cuts) else len(height)
    return np.arange(end) if end >= min_segment else None


def fit_on(height: np.ndarray, frames: np.ndarray | None) -> float:
    """Gravity (px/frame²) of the parabola fitted to ``height`` on ``frames``; NaN if None or lost there."""
    if frames is None or np.isnan(height[frames]).any():
        return float("nan")
    return float(-2 * np.polyfit(frames, height[frames], 2)[0])


def per_episode(model, one_step=None, n: int = 500, seed: int = SEED, judge=None) -> dict[str, np.ndarray]:
    """Held-out episodes of random pushes, per episode: the distance (px) between where the object is
    drawn and where it is at each step ahead (B, 16), for the model, the one-step control (if given),
    holding the last real frame still, and the autoencoder's round trip of the true frames; and, per
    episode and step, whether the object was found and the judge named its true colour (B, 16), for the
    dream, the true frames and their round trips."""
    import torch

    from wmlib.video.physics import load_judge
    from wmlib.world.tracker import track

    episodes, frames = held_out_episodes(n, seed)
    truth = frames[:, 2:]
    videos = {"model": dream(model, episodes, frames), "true": truth, "round trip": round_trip(model, truth)}
    if one_step is not None:
        videos["one-step model"] = dream(one_step, episodes, frames)
    centre = lambda vs: np.stack([track(v)[0] for v in vs])  # noqa: E731  (B, T, 2), NaN if lost
    real = centre(truth)
    out = {f"place {who}": np.linalg.norm(centre(v) - real, axis=-1) for who, v in videos.items() if who != "true"}
    out["place last frame held"] = np.linalg.norm(np.repeat(centre(frames[:, 1:2]), HORIZON, 1) - real, axis=-1)
    judge = load_judge() if judge is None else judge
    colour = np.asarray(episodes.scene.colour[:, 0])
    for who in ("model", "true", "round trip"):
        v = videos[who]
        out[f"found {who}"] = np.stack([track(x)[1] for x in v])
        x = torch.from_numpy(np.ascontiguousarray(v, np.float32)).flatten(0, 1).permute(0, 3, 1, 2)
        with torch.no_grad():
            named = judge(x)["colour"].argmax(1).view(*v.shape[:2]).numpy()
        out[f"colour right {who}"] = named == colour[:, None]
    return out


# --- figures with their intervals ---------------------------------------------------------------------

STEPS_SHOWN = (1, 4, 8, 16)  # steps ahead reported


def _mean(values) -> dict:
    """The mean over the measured items (NaN dropped), its 95% bootstrap interval and the count."""
    from wmlib.stats import interval

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return {"mean": float(v.mean()), "ci": list(interval(v)), "n": int(len(v))}


def _share(flags) -> dict:
    from wmlib.stats import share_interval

    flags = np.asarray(flags, bool)
    return {"share": float(flags.mean()), "ci": list(share_interval(flags)), "n": int(len(flags))}


def _median(values) -> dict:
    from wmlib.stats import median_interval

    v = np.asarray(values, float)
    return {"median": float(np.nanmedian(v)), "ci": list(median_interval(v)), "n": int(np.isfinite(v).sum())}


def summarise_episodes(per: dict) -> dict:
    """The figures of ``per_episode`` with 95% intervals over episodes: where the object is drawn (px off)
    at ``STEPS_SHOWN`` steps ahead; the paired difference one-step control minus model; permanence."""
    out = {"episodes": int(len(per["found model"])), "place": {}, "one-step minus model": {}, "permanence": {}}
    for key in (k for k in per if k.startswith("place ")):
        out["place"][key[6:]] = {str(k): _mean(per[key][:, k - 1]) for k in STEPS_SHOWN}
    if "place one-step model" in per:
        diff = per["place one-step model"] - per["place model"]
        out["one-step minus model"] = {str(k): _mean(diff[:, k - 1]) for k in STEPS_SHOWN}
    for who in ("model", "true", "round trip"):
        found, right = per[f"found {who}"], per[f"colour right {who}"]
        out["permanence"][who] = {
            "found in every frame": _share(found.all(1)),
            "colour right in every frame": _share(right.all(1)),
            "colour right by step": [round(float(x), 3) for x in right.mean(0)],
        }
    return out


def summarise_throws(per: dict, tolerance: float = 0.2) -> dict:
    """The figures of ``per_throw`` with 95% intervals over throws: gravity within ``tolerance`` of the
    world's on the true fall's frames (the same throws for all three), and with the generic fit; the
    landing frame, paired; the height error; restitution where the dream and the truth both show one."""
    truth = gravity_px()
    fall = np.isfinite(per["fall gravity true"])
    ok = {
        who: np.abs(np.nan_to_num(per[f"fall gravity {who}"][fall], nan=np.inf) - truth) <= tolerance * truth
        for who in ("dream", "true", "round trip")
    }
    out = {
        "throws": int(len(fall)),
        "with a fall of 5 frames": int(fall.sum()),
        "fall gravity within 20%": {who: _share(v) for who, v in ok.items()},
        "fall gravity within 20%, dream minus true": _mean(ok["dream"].astype(float) - ok["true"]),
        "fall gravity median": {who: _median(per[f"fall gravity {who}"][fall]) for who in ok},
        "first stretch gravity within 20%": {
            who: _share(np.abs(np.nan_to_num(per[f"gravity {who}"], nan=np.inf) - truth) <= tolerance * truth)
            for who in ("dream", "true", "round trip")
        },
    }
    both = np.isfinite(per["landing dream"]) & np.isfinite(per["landing true"])
    out["landing frame, dream minus true"] = _mean(per["landing dream"][both] - per["landing true"][both])
    out["landing frame equal"] = _share(per["landing dream"][both] == per["landing true"][both])
    out["height error px"] = {who: _mean(per[f"height error {who}"]) for who in ("dream", "round trip")}
    measurable = {who: np.isfinite(per[f"restitution {who}"]) for who in ("dream", "true")}
    out["restitution measurable"] = {who: _share(v) for who, v in measurable.items()}
    out["true bounce seen as two kicks in a row"] = _share(per["after landing true"] == 1)
    pair = measurable["dream"] & measurable["true"]
    out["restitution median, both measurable"] = {
        who: _median(per[f"restitution {who}"][pair]) for who in ("dream", "true")
    }
    return out


def fmt(figure: dict, key: str = "mean", digits: int = 2, pct: bool = False) -> str:
    """A figure of the summaries and its interval as text: ``0.43 [0.40, 0.46]``, or ``62% [53%, 71%]``."""
    f = (lambda x: f"{x:.0%}") if pct else (lambda x: f"{x:.{digits}f}")
    ci = figure["ci"] if "ci" in figure else figure[key + " ci"]
    return f"{f(figure[key])} [{f(ci[0])}, {f(ci[1])}]"


def agrees(live: float, figure: dict, n_live: int, key: str = "mean") -> bool:
    """Whether a figure measured live on ``n_live`` items agrees with the benchmark's on more: it lies within
    the benchmark's 95% interval widened to ``n_live`` items (an interval shrinks as 1/sqrt(n))."""
    ci = figure["ci"] if "ci" in figure else figure[key + " ci"]
    widen = np.sqrt(figure.get("n", figure.get("tasks", n_live)) / n_live)
    centre = figure[key]
    return bool(centre - (centre - ci[0]) * widen - 1e-9 <= live <= centre + (ci[1] - centre) * widen + 1e-9)
