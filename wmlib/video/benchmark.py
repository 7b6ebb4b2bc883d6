"""The figures of a group of videos, with their intervals: what ``benchmarks/video.py`` prints and
notebook 04 shows, computed in one place.

A *group* is a batch of videos, one per held-out prompt: a model's, or one of the instruments' controls
(``controls``): the true videos (the ceiling), the true videos through the frame autoencoder (the
ceiling of a model that draws through it), and the true videos with their frames shuffled (must fail).
``measure`` turns groups into figures; a new group is one more entry in the dict it is given.
"""

from __future__ import annotations

import math

import numpy as np

# The shares of ``physics.evaluate`` that every group reports, with the name of each one's interval.
SHARES = {
    "gravity_ok": "gravity_ci",
    "prompt_ok": "prompt_ci",
    "colour_ok": "colour_ci",
    "shape_ok": "shape_ci",
    "size_ok": "size_ci",
    "found_all": "found_all_ci",
}


def _number(x: float, digits: int = 4) -> float | None:
    """Rounded for a JSON line; None where there is no figure (JSON has no NaN)."""
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def figures(result: dict, confidence: float = 0.95, seed: int = 0) -> dict:
    """The figures of one group from ``physics.evaluate``'s ``result``: each share (``gravity_ok``,
    ``prompt_ok``, ``colour_ok``, ``shape_ok``, ``size_ok``, ``found_all``; the last four need the judge)
    with its ``confidence`` interval as [low, high] (bootstrap over the videos, ``wmlib.stats``), the
    median fitted gravity over the videos where it could be fitted with its interval, and restitution:
    the share of videos where it is measurable, and the share of those where it is within 20%."""
    from wmlib.stats import median_interval, share_interval

    out: dict = {"n": len(result["gravity"])}
    for share, ci in SHARES.items():
        if share in result:
            out[share] = _number(np.mean(result[share]))
            out[ci] = [_number(x) for x in share_interval(result[share], confidence, seed=seed)]
    out["median_gravity"] = _number(result["median_gravity"])
    measured = np.isfinite(result["gravity"]).sum()
    out["median_gravity_ci"] = (
        [_number(x) for x in median_interval(result["gravity"], confidence, seed=seed)] if measured >= 2 else None
    )
    out["restitution_measured"] = _number(result["share_restitution_measured"])
    out["restitution_ok"] = _number(result["share_restitution_ok"])
    return out


def controls(truth: np.ndarray, autoencoder, seed: int = 0) -> dict[str, np.ndarray]:
    """The instruments' controls for true videos (B, T, H, W, 3): ``truth`` itself (the ceiling),
    ``autoencoder`` (each frame through the frame ``autoencoder`` and back: the ceiling of a model that
    draws through it) and ``shuffled`` (frames 1 to T-1 in a random order: must fail the physics)."""
    from wmlib.video.physics import round_trip, shuffle_frames

    return {"truth": truth, "autoencoder": round_trip(autoencoder, truth), "shuffled": shuffle_frames(truth, seed)}


def measure(
    groups: dict[str, np.ndarray],
    attributes: dict[str, np.ndarray],
    judge=None,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, dict]:
    """``figures`` of every group of videos (each (B, T, H, W, 3), one video per prompt, in the order of
    ``attributes``), in the order given."""
    from wmlib.video.physics import evaluate

    return {name: figures(evaluate(videos, attributes, judge), confidence, seed) for name, videos in groups.items()}


def table(by_group: dict[str, dict]) -> str:
    """The figures of each group as a text table, one row a group (percentages; '-' where there is none):
    gravity within 20% and its interval, the median fitted g, colour and shape as prompted, each factor,
    the object found in every frame, and restitution within 20% where it is measurable (``e ±20%``)."""

    def pct(x):
        return "     -" if x is None else f"{x:6.1%}"

    head = (
        f"{'videos':14s} {'g ±20%':>6s}  {'its 95% interval':>16s}  {'median g':>8s}  {'prompt':>6s}  "
        f"{'colour':>6s}  {'shape':>6s}  {'size':>6s}  {'found':>6s}  {'e ±20%':>6s}"
    )
    rows = [head]
    for name, f in by_group.items():
        low, high = f["gravity_ci"]
        g = "       -" if f["median_gravity"] is None else f"{f['median_gravity']:8.3f}"
        rows.append(
            f"{name:14s} {pct(f['gravity_ok'])}  {f'[{low:.1%}, {high:.1%}]':>16s}  {g}  "
            f"{pct(f.get('prompt_ok'))}  {pct(f.get('colour_ok'))}  {pct(f.get('shape_ok'))}  "
            f"{pct(f.get('size_ok'))}  {pct(f['found_all'])}  {pct(f['restitution_ok'])}"
        )
    return "\n".join(rows)


def continuation(videos: np.ndarray, clips, c: int, judge=None, confidence: float = 0.95, seed: int = 0) -> dict:
    """The figures of videos that continue ``clips`` from their first ``c`` true frames: ``figures`` of the
    made frames only (gravity is fitted on frames c..T-1, so the given frames cannot lend it the truth's
    parabola), plus the median ``track_error_px`` at the last frame and the median ``velocity_error``
    (px/frame, ``wmlib.video.generalisation``), each with its interval (bootstrap over clips)."""
    from wmlib.stats import median_interval
    from wmlib.video.generalisation import track_error, tracks, velocity_error
    from wmlib.video.physics import evaluate

    out = figures(evaluate(videos[:, c:] if c else videos, clips.attributes(), judge), confidence, seed)
    xy, found = tracks(videos)
    for name, errors in (
        ("track_error_px", track_error(xy, found, clips)),
        ("velocity_error", velocity_error(xy, found, clips, c)),
    ):
        out[name] = _number(np.median(errors))
        out[name.removesuffix("_px") + "_ci"] = [_number(x) for x in median_interval(errors, confidence, seed=seed)]
    return out


def held_out(n: int, seed: int) -> tuple[dict, dict]:
    """``n`` held-out clips in distribution (``"id"``) and thrown faster than any training clip (``"ood"``),
    both from clip seed ``seed``, and their true videos."""
    from wmlib.video.clips import render_clips, sample_clips

    clips = {"id": sample_clips(n, seed=seed), "ood": sample_clips(n, seed=seed, throws="fast")}
    return clips, {k: render_clips(v) for k, v in clips.items()}


def conditioned(pipe, clips: dict, truth: dict, judge=None, conditionings=(0, 1, 3), seed: int = 0):
    """The figures of ``pipe`` continuing the held-out ``clips`` (from ``held_out``) from their first c true
    frames: ``continuation`` for each c in ``conditionings`` (``"c0"``, ...), and with c = 3 the velocity
    error in distribution and out (``"id"``, ``"ood"``), each beside its floor, the true videos through the
    model's autoencoder. Returns (figures, the videos made in distribution for each c)."""
    from wmlib.video.generalisation import continue_clips
    from wmlib.video.physics import round_trip

    made = {c: continue_clips(pipe, clips["id"], c, truth["id"], seed=seed) for c in conditionings}
    out = {f"c{c}": continuation(made[c], clips["id"], c, judge) for c in conditionings}
    if 3 not in conditionings:
        return out, made
    for k in ("id", "ood"):
        videos = made[3] if k == "id" else continue_clips(pipe, clips[k], 3, truth[k], seed=seed)
        f = out["c3"] if k == "id" else continuation(videos, clips[k], 3)
        floor = continuation(round_trip(pipe.autoencoder, truth[k]), clips[k], 3)
        out[k] = {
            "velocity_error": f["velocity_error"],
            "velocity_error_ci": f["velocity_error_ci"],
            "gravity_ok": f["gravity_ok"],
            "gravity_ci": f["gravity_ci"],
            "track_error_px": f["track_error_px"],
            "floor_velocity_error": floor["velocity_error"],
            "floor_velocity_error_ci": floor["velocity_error_ci"],
        }
        if k == "id":
            out["c3"]["track_error_floor_px"] = floor["track_error_px"]
    return out, made
