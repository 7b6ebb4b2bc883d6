"""The toy edit benchmark: Frame2Frame against a source-conditioned one-jump editor, graded apart.

For each held-out edit (``edits.sample_edits``, the four kinds taking turns) and each generation seed,
the toy image-to-video model makes a video from the source, and each method gives one image:

- ``earliest satisfying`` and ``last frame``: Frame2Frame with the temporal caption, and the paper's
  last-frame ablation (its Table S5), on the same video;
- ``target caption, earliest satisfying``: the same, but the video model reads the target caption
  itself (the paper's Table S4). The toy model never read two of its words ("lies", "next"): they
  reach it as ``<unk>``; the move and roll edits' target captions are words it knows;
- ``SDEdit s=...``: the source as a still video, noised to strength s and denoised with the same
  temporal caption and the source as condition (``pipeline.sdedit``); its last frame;
- ``one jump (no source)``: the same caption and no source at all (an upper end for SDEdit);
- ``true video, ...``: the simulator's own video with either rule: what a perfect video model gives.

Measured on every image (``measure``), by three instruments:

- the probe (``probe``), which also *selects* Frame2Frame's frame: ``success`` (the named object is
  found and the caption's claim holds) and ``bystander_kept`` (an object the edit does not name is
  still there, in its colour, within 10 cm; edits that have one);
- the simulator, which selects nothing (``simulator_grade``): ``done``, the true state nearest to the
  image (among the true video's frames, compared blurred) does the edit and the image shows something
  where that state's moved objects are (``presence``), and ``target_distance``, how
  far the image is from the nearest true state that does it (the paper's distance to the ground-truth
  target on PosEdit, with pixels for LPIPS);
- pixels and the toy CLIP: ``distance`` from the source (the paper's LPIPS to the source, in mean
  absolute pixel difference), ``distance_outside`` (outside the region the true edit sweeps), and
  ``clip_i`` (the cosine of the toy CLIP's image features with the source's, the paper's CLIP-I).

Every measure is an array (edits, seeds). Differences between methods are paired over edits and
seeds (``compare``: ``wmlib.stats.paired_mean_difference``, bootstrap over edits).
"""

from __future__ import annotations

import numpy as np

from wmlib.frame2frame.edits import sample_edits, temporal_caption, true_margins
from wmlib.frame2frame.scorers import ToyScorer
from wmlib.frame2frame.select import EVERY, choose, earliest_satisfying, last_frame

SEED = 1000  # held-out edits (the training clips use seeds 0 to 2)
KEPT = 0.1  # metres: a bystander within this of its source position has stayed put
BLUR = 1.5  # pixels: the simulator grade compares blurred frames, so a shifted object costs in
# proportion to the shift instead of the same once the blobs no longer overlap
PRESENT = 0.3  # share of a true state's contrast an image must show where that state's objects are
STRENGTHS = (0.3, 0.5, 0.7, 0.9)
F2F, LAST, TARGET = "earliest satisfying", "last frame", "target caption, earliest satisfying"
SDEDIT = tuple(f"SDEdit s={s}" for s in STRENGTHS)
JUMP, TRUE, TRUE_LAST = "one jump (no source)", "true video, earliest satisfying", "true video, last frame"
METHODS = (F2F, LAST, TARGET, *SDEDIT, JUMP, TRUE, TRUE_LAST)
MEASURES = ("success", "done", "target_distance", "distance", "distance_outside", "bystander_kept", "clip_i", "frame")
# (a, b, measure): the paired differences the benchmark reports (a - b)
COMPARISONS = (
    [(F2F, LAST, m) for m in ("done", "target_distance", "distance", "clip_i")]
    + [(TRUE, TRUE_LAST, "distance")]
    + [(F2F, TARGET, m) for m in ("done", "target_distance", "distance")]
    + [(F2F, s, m) for s in SDEDIT for m in ("done", "distance")]
)


def swept_region(true_video: np.ndarray, pad: int = 1) -> np.ndarray:
    """(H, W) bool: where the true video ever differs from its first frame, grown by ``pad`` pixels."""
    from scipy.ndimage import binary_dilation

    changed = (np.abs(true_video - true_video[:1]).sum(-1) > 0.05).any(0)
    return binary_dilation(changed, iterations=pad) if pad else changed


def blurred(frames: np.ndarray, sigma: float = BLUR) -> np.ndarray:
    """Frames (..., H, W, 3) blurred over H and W only."""
    from scipy.ndimage import gaussian_filter

    frames = np.asarray(frames, np.float32)
    return gaussian_filter(frames, sigma=(0,) * (frames.ndim - 3) + (sigma, sigma, 0))


def simulator_grade(frame: np.ndarray, true_blurred: np.ndarray, margins: np.ndarray) -> tuple[bool, float]:
    """Grade ``frame`` (H, W, 3) with the simulator: (the true state nearest to it does the edit, its
    distance to the nearest true state that does). ``true_blurred``: the true video (T, H, W, 3),
    ``blurred``; ``margins``: (T,) ``edits.margin`` of each true frame (positive: done).

    The nearest state counts only if the image shows something where that state has moved its objects
    to (at least ``PRESENT`` of the true frame's contrast with the empty cave there): an image whose
    objects vanished resembles no state on the path, whichever true frame happens to be nearest."""
    d = np.abs(blurred(frame)[None] - true_blurred).mean((1, 2, 3))
    done = margins > 0
    t = int(np.argmin(d))
    ok = bool(done[t]) and presence(frame, true_blurred, t) >= PRESENT
    return ok, float(d[done].min()) if done.any() else float("nan")


def presence(frame: np.ndarray, true_blurred: np.ndarray, t: int) -> float:
    """How much of true frame ``t``'s moved objects ``frame`` shows: its contrast with the empty cave
    over the pixels where frame ``t`` has an object that is not where frame 0 had it (where it has
    objects at all, if none moved), over the true frame's own contrast there (blurred; 1: as much)."""
    from wmlib.world.studio import background

    empty = blurred(background())
    contrast = np.abs(true_blurred[t] - empty).sum(-1)
    mask = contrast > 0.1
    moved = mask & (np.abs(true_blurred[t] - true_blurred[0]).sum(-1) > 0.1)
    mask = moved if moved.any() else mask
    return float(np.abs(blurred(frame) - empty).sum(-1)[mask].sum() / max(contrast[mask].sum(), 1e-9))


def measure(
    frame: np.ndarray,
    source: np.ndarray,
    scorer: ToyScorer,
    target: str,
    edit,
    source_xy,
    region: np.ndarray,
    true_blurred: np.ndarray,
    margins: np.ndarray,
) -> dict:
    """Every measure of one image but ``clip_i`` and ``frame`` (see the module's docstring)."""
    success = bool(scorer.margins(frame[None], target)[0] > 0)
    diff = np.abs(frame - source).mean(-1)
    kept = np.nan
    bystanders = [k for k in scorer.probe.present if k not in edit.objects()]
    if bystanders:
        x, y, found = scorer.probe.read(frame[None])
        x0, y0 = source_xy
        kept = float(
            all(found[0, k] and abs(x[0, k] - x0[k]) < KEPT and abs(y[0, k] - y0[k]) < KEPT for k in bystanders)
        )
    done, to_target = simulator_grade(frame, true_blurred, margins)
    return {
        "success": float(success),
        "done": float(done),
        "target_distance": to_target,
        "distance": float(diff.mean()),
        "distance_outside": float(diff[~region].mean()) if (~region).any() else 0.0,
        "bystander_kept": kept,
    }


def generate(
    pipe,
    images,
    prompts: list[str],
    batch: int = 40,
    seed: int = 0,
    progress: bool = True,
    strength: float | None = None,
    **kwargs,
) -> np.ndarray:
    """Videos for many (image, prompt) pairs, ``batch`` at a time, batch j with seed ``seed + j * batch``
    (``images`` None: from the prompt alone; ``strength``: ``pipe.sdedit`` instead of ``pipe``)."""
    from wmlib.progress import progress as bar

    out = []
    for i in bar(range(0, len(prompts), batch), desc="generating", show=progress):
        img = None if images is None else images[i : i + batch]
        if strength is None:
            out.append(pipe(img, prompts[i : i + batch], seed=seed + i, **kwargs))
        else:
            out.append(pipe.sdedit(img, prompts[i : i + batch], strength, seed=seed + i, **kwargs))
    return np.concatenate(out)


def run(
    pipe,
    n: int = 120,
    seeds: tuple[int, ...] = (0,),
    methods: tuple[str, ...] = METHODS,
    clip=None,
    every: int = EVERY,
    progress: bool = True,
    batch: int = 40,
    first: int | None = None,
) -> dict:
    """The benchmark on ``n`` edits and generation ``seeds``, for ``methods`` (a subset of ``METHODS``
    generates only what they need); ``first``: only the first edits of the ``n`` (the same images as the
    full run's, batch for batch, when it is a multiple of ``batch``). Returns ``measures``
    ({method: {measure: (n, seeds) array}};
    ``clip_i`` only with ``clip``, a ``scorers.ClipScorer``), and for the first seed the ``chosen``
    images and the temporal-caption ``videos``; with the ``clips``, ``sources``, ``true`` videos and
    ``prompts``."""
    from wmlib.video.clips import render_clips

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; allowed: {', '.join(METHODS)}")
    clips = sample_edits(n, seed=SEED)
    if first is not None:
        clips, n = clips[:first], min(first, n)
    true = render_clips(clips)
    sources = true[:, 0]
    prompts = [temporal_caption(clips.scene, i, clips.targets[i]) for i in range(n)]
    margins = true_margins(clips)
    true_blurred = blurred(true)
    scorers = [ToyScorer(clips.scene, i) for i in range(n)]
    regions = [swept_region(v) for v in true]
    measures = {m: {k: np.full((n, len(seeds)), np.nan) for k in MEASURES} for m in methods}
    chosen, videos = {}, None
    rules = {"earliest satisfying": earliest_satisfying(), "last frame": last_frame()}
    for j, seed in enumerate(seeds):
        made = {}  # method -> (n, T, H, W, 3) videos to choose from (or None: the truth)
        if F2F in methods or LAST in methods:
            made[F2F] = made[LAST] = generate(pipe, sources, prompts, batch, seed, progress)
        if TARGET in methods:
            made[TARGET] = generate(pipe, sources, clips.targets, batch, seed, progress, strict=False)
        for name, s in zip(SDEDIT, STRENGTHS):
            if name in methods:
                made[name] = generate(pipe, sources, prompts, batch, seed, progress, strength=s)
        if JUMP in methods:
            made[JUMP] = generate(pipe, None, prompts, batch, seed, progress)
        made[TRUE] = made[TRUE_LAST] = true
        if j == 0:
            videos = made.get(F2F)
        for method in methods:
            rule = rules["last frame" if method in (LAST, TRUE_LAST) else "earliest satisfying"]
            pick = {}
            for i in range(n):
                edit, target = clips.edits[i], clips.targets[i]
                if method in (F2F, LAST, TARGET, TRUE, TRUE_LAST):
                    res = choose(made[method][i], sources[i], target, scorers[i], rule, every)
                    frame, index = res.frame, res.frame_index
                else:
                    frame, index = made[method][i][-1], len(made[method][i]) - 1
                source_xy = (clips.scene.position[i, :, 0], clips.scene.position[i, :, 1])
                row = measure(
                    frame, sources[i], scorers[i], target, edit, source_xy, regions[i], true_blurred[i], margins[i]
                )
                for k, v in row.items():
                    measures[method][k][i, j] = v
                measures[method]["frame"][i, j] = np.nan if index is None else index
                pick[i] = frame
            frames = np.stack([pick[i] for i in range(n)])
            if clip is not None:
                measures[method]["clip_i"][:, j] = clip_i(clip, frames, sources)
            if j == 0:
                chosen[method] = frames
    return {
        "measures": measures,
        "seeds": tuple(seeds),
        "n": n,
        "chosen": chosen,
        "videos": videos,
        "clips": clips,
        "sources": sources,
        "true": true,
        "prompts": prompts,
    }


def clip_i(clip, frames: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """(N,) the cosine between the CLIP image features of each frame and of its source (CLIP-I)."""
    return np.sum(clip.features(frames) * clip.features(sources), axis=1)


def per_edit(values: np.ndarray) -> np.ndarray:
    """(n, seeds) to (n,): each edit's mean over its measured seeds (NaN where none was measured)."""
    values = np.asarray(values, float)
    ok = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        return np.where(ok, values, 0).sum(1) / ok.sum(1)


def summarise(measures: dict, intervals: tuple[str, ...] = ("done", "distance"), n_resamples: int = 2000) -> dict:
    """Per method: the mean of each measure over edits and seeds (``bystander_kept`` over the edits that
    have one), ``kept_source`` (no frame chosen), and a 95% interval (bootstrap over edits) of each of
    ``intervals``."""
    from wmlib.stats import interval

    out = {}
    for method, m in measures.items():
        s = {}
        for k in MEASURES:
            v = per_edit(m[k])
            v = v[np.isfinite(v)]
            s[k] = round(float(v.mean()), 5) if len(v) else None
            if k in intervals and len(v) >= 2:
                s[f"{k}_ci"] = [round(x, 5) for x in interval(v, n_resamples=n_resamples)]
        s["kept_source"] = round(float(np.isnan(m["frame"]).mean()), 4)
        s["n"] = int(m["frame"].shape[0])
        s["seeds"] = int(m["frame"].shape[1])
        out[method] = s
    return out


def compare(measures: dict, a: str, b: str, measure: str, n_resamples: int = 2000) -> dict:
    """``a - b`` on ``measure``, paired over edits and seeds, with its 95% interval (bootstrap over edits)."""
    from wmlib.stats import paired_mean_difference

    r = paired_mean_difference(measures[a][measure], measures[b][measure], n_resamples=n_resamples)
    return {
        "first": a,
        "second": b,
        "measure": measure,
        "difference": round(r["difference"], 5),
        "low": round(r["low"], 5),
        "high": round(r["high"], 5),
        "mean_first": round(r["a"], 5),
        "mean_second": round(r["b"], 5),
        "edits": r["units"],
    }


def comparisons(measures: dict, which=COMPARISONS, n_resamples: int = 2000) -> list[dict]:
    """``compare`` for each (a, b, measure) of ``which`` whose methods were measured."""
    return [
        compare(measures, a, b, k, n_resamples)
        for a, b, k in which
        if a in measures and b in measures and np.isfinite(measures[a][k]).any()
    ]


def to_json(result: dict) -> dict:
    """What the shipped ``benchmark.json`` keeps: every measure of every edit and seed (4 decimals)."""
    return {
        "n": result["n"],
        "seeds": list(result["seeds"]),
        "edit_seed": SEED,
        "kinds": [e.kind for e in result["clips"].edits],
        "measures": {
            m: {
                k: [[None if not np.isfinite(x) else round(float(x), 4) for x in row] for row in v]
                for k, v in ms.items()
            }
            for m, ms in result["measures"].items()
        },
    }


def from_json(data: dict) -> dict:
    """``measures`` ({method: {measure: (n, seeds) array}}) back from ``to_json``'s form."""
    return {
        m: {k: np.array([[np.nan if x is None else x for x in row] for row in v], float) for k, v in ms.items()}
        for m, ms in data["measures"].items()
    }


def table(summary: dict) -> str:
    """The summary as a fixed-width text table (95% intervals over edits in brackets; - : not measured)."""

    def f(s, k, fmt):
        if s.get(k) is None:
            return "-"
        c = s.get(f"{k}_ci")
        return f"{s[k]:{fmt}} [{c[0]:{fmt}}, {c[1]:{fmt}}]" if c else f"{s[k]:{fmt}}"

    head = (
        f"{'method':<37}{'probe':>6}{'done (simulator)':>23}{'to target':>10}{'from source':>28}"
        f"{'outside':>8}{'bystander':>10}{'CLIP-I':>7}{'frame':>6}"
    )
    lines = [head, "-" * len(head)]
    for method, s in summary.items():
        lines.append(
            f"{method:<37}{f(s, 'success', '.2f'):>6}{f(s, 'done', '.2f'):>23}"
            f"{f(s, 'target_distance', '.4f'):>10}{f(s, 'distance', '.4f'):>28}"
            f"{f(s, 'distance_outside', '.4f'):>8}{f(s, 'bystander_kept', '.2f'):>10}"
            f"{f(s, 'clip_i', '.3f'):>7}{f(s, 'frame', '.1f'):>6}"
        )
    return "\n".join(lines)


def comparison_table(rows: list[dict]) -> str:
    """``comparisons`` as text: a - b, the 95% interval, and whether it excludes 0."""
    head = f"{'a - b':<63}{'measure':>16} {'a':>8} {'b':>8} {'a - b':>9} [95% interval]"
    lines = [head, "-" * len(head)]
    for r in rows:
        side = "a > b" if r["low"] > 0 else "a < b" if r["high"] < 0 else "no difference shown"
        lines.append(
            f"{r['first'] + ' - ' + r['second']:<63}{r['measure']:>16} {r['mean_first']:>8.4f} "
            f"{r['mean_second']:>8.4f} {r['difference']:+9.4f} [{r['low']:+.4f}, {r['high']:+.4f}]  {side}"
        )
    return "\n".join(lines)


def grader_check(pipe, n: int = 40, seed: int = 7, spread: float = 0.3) -> dict:
    """How well ``simulator_grade`` and the probe tell "done" on states the true video never visits.

    Each of ``n`` edits is simulated again with every velocity scaled by a factor drawn from
    [1 - spread, 1 + spread] (a drop lands elsewhere, a slide stops elsewhere), rendered and sent
    through the model's autoencoder (blurred as generated frames are); each of its frames is graded
    against the *original* true video, and compared with the simulator's own margin of that state.
    Returns the share of frames each instrument gets right, per edit (``simulator``, ``probe``: (n,)),
    the share of those frames that are done (``done``), and the share of edits for which an empty cave
    (through the autoencoder) is graded done (``empty_done``, which should be 0)."""
    import dataclasses

    import torch

    from wmlib.frame2frame.edits import EditClips
    from wmlib.video.clips import render_clips
    from wmlib.world.physics import simulate
    from wmlib.world.studio import FPS, FRAMES, background

    clips = sample_edits(n, seed=seed)
    true = render_clips(clips)
    rng = np.random.default_rng(seed)
    scale = rng.uniform(1 - spread, 1 + spread, (n, 1, 1)).astype(np.float32)
    scene = dataclasses.replace(clips.scene, velocity=clips.scene.velocity * scale)
    other = EditClips(scene, simulate(scene, FRAMES, FPS), clips.edits, clips.targets, clips.captions)
    frames = render_clips(other)
    with torch.no_grad():
        z = pipe.encode(frames.reshape(-1, *frames.shape[2:])).reshape(
            *frames.shape[:2], *pipe.transformer.latent_shape
        )
    frames = pipe.decode(z)
    truth = true_margins(other) > 0
    margins, true_blurred = true_margins(clips), blurred(true)
    with torch.no_grad():
        empty = pipe.decode(pipe.encode(background()[None])[:, None])[0, 0]
    empty_done = np.mean([simulator_grade(empty, true_blurred[i], margins[i])[0] for i in range(n)])
    sim, probe = np.zeros(truth.shape, bool), np.zeros(truth.shape, bool)
    for i in range(n):
        scorer = ToyScorer(clips.scene, i)
        probe[i] = scorer.margins(frames[i], clips.targets[i]) > 0
        for t in range(frames.shape[1]):
            sim[i, t] = simulator_grade(frames[i, t], true_blurred[i], margins[i])[0]
    return {
        "simulator": (sim == truth).mean(1),
        "probe": (probe == truth).mean(1),
        "done": float(truth.mean()),
        "frames": int(truth.size),
        "empty_done": float(empty_done),
    }
