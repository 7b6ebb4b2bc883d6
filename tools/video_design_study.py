"""The design study behind ``data/models/toy-video``: settings of ``python -m wmlib.video.train`` trained
side by side on one GPU, on the same clips, for the same wall-clock budget each, then scored.

    python tools/video_design_study.py --out build/study --budget 240      # on a CUDA GPU, about 8 minutes

Every variant is the shipped command with one thing changed (``VARIANTS``): the timestep weighting,
the width and depth, the number of distinct training clips, the training length. The clips are
rendered once (``training_latents``: chunk k of 1,000 clips always has the same seed, so the first
12,000 clips of the pool are exactly those of ``--clips 12000``) and every variant trains in its own
process on its share of them. Each measures its own speed while the others run, and takes as many
steps as fit the budget (``--steps`` is then fixed and written in its manifest's command, which
reproduces it). Each folder under ``--out`` is a shippable checkpoint with its manifest and scores;
the table at the end ranks them by text-to-video gravity (the hardest goal), then by the prediction
model's tracking error.
"""

from __future__ import annotations

import argparse
import json
import queue
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COMMON = (
    "--autoencoder data/models/toy-t2v --first-frames 0,1,3 --clips 200000 --batch-size 256 --lr 1e-3 "
    "--control-step 200 --device cuda --workers 15 --half --eval-n 256 --seed 0"
)
# name: (what changes, the share of the budget it trains for)
VARIANTS = {
    "base": ("--width 128 --depth 6", 1.0),
    "min-snr": ("--width 128 --depth 6 --weighting min-snr", 1.0),
    "wide": ("--width 160 --depth 8 --weighting min-snr", 1.0),
    "few-clips": ("--width 128 --depth 6 --weighting min-snr --clips 12000", 1.0),
    "short": ("--width 128 --depth 6 --weighting min-snr", 0.5),
}


def variant_args(name: str, out: Path, extra: str):
    from wmlib.video.train import build_parser

    change, _ = VARIANTS[name]
    return build_parser().parse_args(shlex.split(f"{COMMON} {change} {extra} --out {out / name}"))


def run_variant(name: str, out: Path, extra: str, pool_file: str, budget: float, barrier, results) -> None:
    """One variant in its own process (``train_variant``); a failure breaks the barrier, so that the
    others stop waiting for it."""
    try:
        train_variant(name, out, extra, pool_file, budget, barrier, results)
    except BaseException:
        barrier.abort()
        raise


def train_variant(name: str, out: Path, extra: str, pool_file: str, budget: float, barrier, results) -> None:
    """Load the shared clips, time a few steps while the other variants do the same, fix the number of
    steps that fits this variant's share of ``budget``, then train, save and score."""
    import torch

    from wmlib import env
    from wmlib.video import transformer as tr_mod
    from wmlib.video.pipeline import ToyTextToVideoPipeline
    from wmlib.video.train import parse_first_frames, ship, train_denoiser

    args = variant_args(name, out, extra)
    threads = env.set_threads(args.threads or 2)
    env.seed_everything(args.seed)
    pool = torch.load(pool_file, weights_only=False)
    latents = pool["latents"][: args.clips].to(args.device).float()
    wordings = [w[: args.clips] for w in pool["wordings"]]
    autoencoder = ToyTextToVideoPipeline.from_pretrained(args.autoencoder).autoencoder.to(args.device)

    # Time 40 steps of a throw-away copy of the model, all variants at once, as they will train.
    first = parse_first_frames(args.first_frames)
    probe = tr_mod.build(
        64,
        latent_shape=tuple(latents.shape[2:]),
        text_length=32,
        width=args.width,
        depth=args.depth,
        heads=args.width // 32,
        patch=args.patch,
        condition_channels=latents.shape[2] + 1,
    )
    tokens = torch.zeros(len(latents), 1, 32, dtype=torch.long, device=args.device)
    barrier.wait(timeout=900)
    start = time.time()
    train_denoiser(
        probe,
        latents,
        tokens,
        40,
        args.batch_size,
        first_frames=first,
        weighting=args.weighting,
        device=args.device,
        progress=False,
    )
    per_step = (time.time() - start) / 40
    del probe
    _, share = VARIANTS[name]
    args.steps = int(max(2 * args.control_step, share * budget / per_step // 100 * 100))
    print(f"{name}: {per_step * 1000:.1f} ms a step -> {args.steps} steps", flush=True)
    barrier.wait(timeout=900)
    manifest = ship(args, autoencoder, {"from": str(args.autoencoder)}, latents, wordings, threads, time.time(), 0.0)
    results.put((name, manifest))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/study"))
    parser.add_argument("--budget", type=float, default=240.0, help="seconds of training for each variant")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--extra", default="", help="arguments added to every variant's (a small smoke test)")
    args = parser.parse_args(argv)

    import multiprocessing as mp

    import torch

    from wmlib import env
    from wmlib.video.pipeline import ToyTextToVideoPipeline
    from wmlib.video.train import training_latents

    names = args.variants.split(",")
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variants {sorted(unknown)}; known: {', '.join(VARIANTS)}")
    settings = {n: variant_args(n, args.out, args.extra) for n in names}
    first = settings[names[0]]
    env.set_threads(2)
    start = time.time()
    autoencoder = ToyTextToVideoPipeline.from_pretrained(first.autoencoder).autoencoder.to(first.device)
    latents, wordings = training_latents(
        autoencoder, max(s.clips for s in settings.values()), first.seed, first.workers, first.device
    )
    args.out.mkdir(parents=True, exist_ok=True)
    pool_file = str(args.out / "pool.pt")
    torch.save({"latents": latents.half().cpu(), "wordings": wordings}, pool_file)
    print(f"{len(latents)} clips rendered and encoded in {time.time() - start:.0f} s", flush=True)
    del latents

    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(len(names)), ctx.Queue()
    procs = [
        ctx.Process(target=run_variant, args=(n, args.out, args.extra, pool_file, args.budget, barrier, results))
        for n in names
    ]
    for p in procs:
        p.start()
    manifests = {}
    while len(manifests) < len(procs):
        try:
            name, manifest = results.get(timeout=10)
            manifests[name] = manifest
        except queue.Empty:
            if not any(p.is_alive() for p in procs):
                break
    for p in procs:
        p.join()
    failed = sorted(set(names) - set(manifests))
    if failed:
        print(f"these variants failed (their tracebacks are above): {', '.join(failed)}")
    if not manifests:
        raise SystemExit("no variant finished")
    Path(pool_file).unlink()

    def rank(name):
        s = manifests[name]["scores"]["model"]
        return (-s["c0"]["gravity_ok"], s["c3"]["track_error_px"])

    print(
        f"\n{'variant':10s} {'steps':>6s} {'min':>5s} {'c0 g':>6s} {'c0 prompt':>9s} {'c1 g':>6s} {'c3 g':>6s} "
        f"{'c3 track':>8s} {'id v':>6s} {'ood v':>6s} {'ctrl c0 g':>9s}"
    )
    for name in sorted(manifests, key=rank):
        m = manifests[name]
        s, c = m["scores"]["model"], m["scores"]["control"]
        print(
            f"{name:10s} {m['settings']['steps']:6d} {m['denoiser_seconds'] / 60:5.1f} {s['c0']['gravity_ok']:6.1%} "
            f"{s['c0'].get('prompt_ok', float('nan')):9.1%} {s['c1']['gravity_ok']:6.1%} {s['c3']['gravity_ok']:6.1%} "
            f"{s['c3']['track_error_px']:8.2f} {s['id']['velocity_error']:6.3f} {s['ood']['velocity_error']:6.3f} "
            f"{c['c0']['gravity_ok']:9.1%}"
        )
    best = min(manifests, key=rank)
    (args.out / "study.json").write_text(
        json.dumps(
            {
                "best": best,
                "budget_seconds": args.budget,
                "variants": {
                    n: {"command": m["command"], "scores": m["scores"], "denoiser_seconds": m["denoiser_seconds"]}
                    for n, m in manifests.items()
                },
            },
            indent=1,
        )
        + "\n"
    )
    print(f"\nbest: {best}; every variant took {time.time() - start:.0f} s in all")


if __name__ == "__main__":
    main()
