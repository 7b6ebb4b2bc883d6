"""The toy edit benchmark: does "pick the earliest frame that does the edit" keep more of the source?

For each held-out edit (``edits.sample_edits``, the four kinds taking turns), the toy image-to-video
model makes one video from the source with the temporal caption, and each selection strategy picks
its frame. A one-jump baseline asks the same model for the same caption with no source image and
keeps its last frame: the target drawn from scratch, as an editor that jumps from noise to the
caption would. The true video (the simulator's) with the earliest-satisfying rule is the reference.

Measured on every chosen frame (``measure``):

- ``success``: the edit is done, read back from the frame (``probe``): the named object is found
  and the caption's claim holds for it;
- ``distance``: mean absolute pixel difference from the source (lower: more of the source kept; the
  toy stand-in for the paper's LPIPS to the source);
- ``distance_outside``: the same outside the region the true edit sweeps (what should not change);
- ``bystander_kept``: an object that the edit does not name is still there, in its colour, within
  10 cm of where it was (only edits that have one).

In toy mode the text score that selects a frame and the success that grades it read the same probe,
so a strategy that picks a frame only when it satisfies the edit cannot fail where some candidate
succeeds; what the benchmark tests is what that costs or saves in preservation, against the last
frame and the one jump.
"""

from __future__ import annotations

import numpy as np

from wmlib.frame2frame.edits import sample_edits, temporal_caption
from wmlib.frame2frame.scorers import ToyScorer
from wmlib.frame2frame.select import EVERY, choose, earliest_satisfying, last_frame

SEED = 1000          # held-out edits (the training clips use seeds 0 to 2)
KEPT = 0.1           # metres: a bystander within this of its source position has stayed put
METHODS = ("earliest satisfying", "last frame", "one jump (no source)", "true video, earliest satisfying")


def swept_region(true_video: np.ndarray, pad: int = 1) -> np.ndarray:
    """(H, W) bool: where the true video ever differs from its first frame, grown by ``pad`` pixels."""
    from scipy.ndimage import binary_dilation

    changed = (np.abs(true_video - true_video[:1]).sum(-1) > 0.05).any(0)
    return binary_dilation(changed, iterations=pad) if pad else changed


def measure(frame: np.ndarray, source: np.ndarray, scorer: ToyScorer, target: str, edit, source_xy,
            region: np.ndarray) -> dict:
    """Success and preservation of one chosen ``frame`` (see the module's docstring)."""
    success = bool(scorer.margins(frame[None], target)[0] > 0)
    diff = np.abs(frame - source).mean(-1)
    kept = np.nan
    bystanders = [k for k in scorer.probe.present if k not in edit.objects()]
    if bystanders:
        x, y, found = scorer.probe.read(frame[None])
        x0, y0 = source_xy
        kept = float(all(found[0, k] and abs(x[0, k] - x0[k]) < KEPT and abs(y[0, k] - y0[k]) < KEPT
                         for k in bystanders))
    return {"success": success, "distance": float(diff.mean()),
            "distance_outside": float(diff[~region].mean()) if (~region).any() else 0.0, "bystander_kept": kept}


def generate(pipe, images, prompts: list[str], batch: int = 40, seed: int = 0, progress: bool = True,
             **kwargs) -> np.ndarray:
    """Videos for many (image, prompt) pairs, ``batch`` at a time (``images`` None: from the prompt alone)."""
    from wmlib.progress import progress as bar

    out = []
    for i in bar(range(0, len(prompts), batch), desc="generating", show=progress):
        img = None if images is None else images[i:i + batch]
        out.append(pipe(img, prompts[i:i + batch], seed=seed + i, **kwargs))
    return np.concatenate(out)


def run(pipe, n: int = 120, seed: int = SEED, every: int = EVERY, progress: bool = True, **kwargs) -> dict:
    """The benchmark on ``n`` edits: ``rows`` (one dict per edit and method), ``summary`` (per method:
    success, distance, distance_outside, bystander_kept, kept_source, mean chosen frame, success per
    kind), the ``clips``, ``sources``, ``prompts``, the generated ``videos`` and ``jumps``, the ``true``
    videos, the frame each method ``chosen`` for each edit, and ``claim`` (``claim_holds``)."""
    from wmlib.video.clips import render_clips

    clips = sample_edits(n, seed=seed)
    true = render_clips(clips)
    sources = true[:, 0]
    prompts = [temporal_caption(clips.scene, i, clips.targets[i]) for i in range(n)]
    videos = generate(pipe, sources, prompts, progress=progress, **kwargs)
    jumps = generate(pipe, None, prompts, progress=progress, **kwargs)
    earliest, last = earliest_satisfying(), last_frame()
    rows, chosen = [], {m: np.empty_like(sources) for m in METHODS}
    for i in range(n):
        scorer, target, edit = ToyScorer(clips.scene, i), clips.targets[i], clips.edits[i]
        source_xy = (clips.scene.position[i, :, 0], clips.scene.position[i, :, 1])
        region = swept_region(true[i])
        picks = {"earliest satisfying": choose(videos[i], sources[i], target, scorer, earliest, every),
                 "last frame": choose(videos[i], sources[i], target, scorer, last, every),
                 "true video, earliest satisfying": choose(true[i], sources[i], target, scorer, earliest, every)}
        chosen["one jump (no source)"][i] = jumps[i][-1]
        for method, res in picks.items():
            chosen[method][i] = res.frame
            rows.append({"edit": i, "kind": edit.kind, "method": method, "frame_index": res.frame_index,
                         **measure(res.frame, sources[i], scorer, target, edit, source_xy, region)})
        rows.append({"edit": i, "kind": edit.kind, "method": "one jump (no source)", "frame_index": len(jumps[i]) - 1,
                     **measure(jumps[i][-1], sources[i], scorer, target, edit, source_xy, region)})
    summary = summarise(rows)
    return {"rows": rows, "summary": summary, "clips": clips, "sources": sources, "prompts": prompts,
            "videos": videos, "jumps": jumps, "true": true, "chosen": chosen, "claim": claim_holds(rows)}


def summarise(rows: list[dict]) -> dict:
    """Per method: the mean of each measure over the edits (``bystander_kept`` over those that have one)."""
    out = {}
    for method in METHODS:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        kept = [r["bystander_kept"] for r in mine if not np.isnan(r["bystander_kept"])]
        chosen = [r["frame_index"] for r in mine if r["frame_index"] is not None]
        out[method] = {
            "success": round(float(np.mean([r["success"] for r in mine])), 4),
            "distance": round(float(np.mean([r["distance"] for r in mine])), 5),
            "distance_outside": round(float(np.mean([r["distance_outside"] for r in mine])), 5),
            "bystander_kept": round(float(np.mean(kept)), 4) if kept else None,
            "kept_source": round(float(np.mean([r["frame_index"] is None for r in mine])), 4),
            "mean_frame": round(float(np.mean(chosen)), 2) if chosen else None,
            "success_by_kind": {k: round(float(np.mean([r["success"] for r in mine if r["kind"] == k])), 4)
                                for k in dict.fromkeys(r["kind"] for r in mine)},
            "n": len(mine)}
    return out


def paired_distance(rows: list[dict], method: str, other: str) -> tuple[float, float, int]:
    """Mean ``distance`` of ``method`` and of ``other`` over the edits both did successfully, and how
    many those are: a like-for-like comparison of what each keeps of the source."""
    by = {(r["edit"], r["method"]): r for r in rows}
    both = [e for (e, m) in by if m == method and by[e, method]["success"] and by.get((e, other), {}).get("success")]
    if not both:
        return float("nan"), float("nan"), 0
    return (float(np.mean([by[e, method]["distance"] for e in both])),
            float(np.mean([by[e, other]["distance"] for e in both])), len(both))


def claim_holds(rows: list[dict], min_success: float = 0.5, min_pairs: int = 10) -> dict:
    """The paper's claim, on this benchmark: the earliest-satisfying frame does the edit at least as often
    as the last frame and the one jump (and in at least ``min_success`` of the edits, so that the claim
    is about edits that happen), and where both did the edit it keeps more of the source (smaller
    distance, over at least ``min_pairs`` such edits)."""
    summary = summarise(rows)
    e = summary[METHODS[0]]["success"]
    checks = {f"does the edit in at least {min_success:.0%} of the edits": e >= min_success}
    for other, name in ((METHODS[1], "the last frame"), (METHODS[2], "the one jump")):
        mine, theirs, n = paired_distance(rows, METHODS[0], other)
        checks[f"success no worse than {name}"] = e >= summary[other]["success"]
        checks[f"keeps more than {name} where both succeed ({n} edits: {mine:.4f} vs {theirs:.4f})"] = (
            n >= min_pairs and mine < theirs)
    return checks | {"holds": all(checks.values())}


def table(summary: dict) -> str:
    """The summary as a fixed-width text table."""
    head = f"{'method':<34}{'success':>8}{'distance':>10}{'outside':>9}{'bystander':>10}{'source':>8}{'frame':>7}"
    lines = [head, "-" * len(head)]
    for method, s in summary.items():
        kept = "-" if s["bystander_kept"] is None else f"{s['bystander_kept']:.2f}"
        frame = "-" if s["mean_frame"] is None else f"{s['mean_frame']:.1f}"
        lines.append(f"{method:<34}{s['success']:>8.2f}{s['distance']:>10.4f}{s['distance_outside']:>9.4f}"
                     f"{kept:>10}{s['kept_source']:>8.2f}{frame:>7}")
    return "\n".join(lines)
