"""Train the toy image-to-video model and ship it: ``python -m wmlib.frame2frame.train``.

The recipe of the toy text-to-video model (``wmlib.video.train``: a frame autoencoder, then a
diffusion transformer on its latents, v-prediction, cosine schedule, EMA), on the edit clips of
``wmlib.frame2frame.edits`` (every kind of edit, one or two objects), with the start frame as a
condition. The command writes ``data/models/toy-i2v`` with ``config.json``, ``model.safetensors`` and
``manifest.json`` (command, seed, settings, sha256 of every file, loss curve, and the scores of the
Frame2Frame benchmark on held-out edits). ``--score-only`` re-scores a saved model.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from wmlib.checkpoints import write_manifest
from wmlib.frame2frame.edits import sample_edits
from wmlib.video.train import TEXT_LENGTH, build_denoiser, caption_tokens, encode_clips, train_denoiser

CAPTION_VARIANTS = 3  # temporal-caption wordings per clip


def manifest_scores(pipe, n: int = 120) -> dict:
    """The benchmark on ``n`` held-out edits and one generation seed, as the manifest keeps it: the
    summary per method (``benchmarks/frame2frame.py --write`` ships the run over three seeds)."""
    from wmlib.frame2frame.benchmark import run, summarise

    result = run(pipe, n=n, progress=False)
    return {"methods": summarise(result["measures"]), "edits": n}


def main(argv: list[str] | None = None) -> None:
    from wmlib import training

    parser = training.parser(
        "python -m wmlib.frame2frame.train",
        "Train the toy image-to-video model and ship it.",
        out=Path("data/models/toy-i2v"),
        steps=6000,
        lr=1e-3,
    )
    parser.add_argument("--clips", type=int, default=8000)
    parser.add_argument("--ae-clips", type=int, default=3000)
    parser.add_argument("--ae-steps", type=int, default=3000)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--patch", type=int, default=4)
    args = parser.parse_args(argv)

    import torch

    from wmlib import env
    from wmlib.checkpoints import file_records, rescore
    from wmlib.frame2frame.edits import describe_motion
    from wmlib.frame2frame.pipeline import ToyImageToVideoPipeline
    from wmlib.video import autoencoder as ae_mod
    from wmlib.video.clips import build_vocabulary, render_clips
    from wmlib.world.studio import background

    threads = env.set_threads(args.threads)
    env.seed_everything(args.seed)
    out = args.out
    if args.score_only:
        t0 = time.time()
        scores = manifest_scores(ToyImageToVideoPipeline.from_pretrained(out))
        scored = {
            "command": f"python -m wmlib.frame2frame.train --score-only --out {out}",
            "on": f"CPU, {threads} threads",
            "seconds": round(time.time() - t0),
        }
        print(json.dumps(rescore(out, scores, scored)["scores"], indent=1))
        return

    start = time.time()
    # Stage 1: the frame autoencoder, on frames of edit clips.
    ae_clips = sample_edits(args.ae_clips, seed=args.seed + 1)
    frames = torch.from_numpy(render_clips(ae_clips)).flatten(0, 1).permute(0, 3, 1, 2).contiguous()
    bg = torch.from_numpy(background()).permute(2, 0, 1)
    # The camera and the cave never change: the autoencoder codes only what differs from the empty
    # background (its "plate") and spends all of its capacity on the objects.
    autoencoder = ae_mod.build(seed=args.seed, plate=True)
    autoencoder.background.copy_(bg)
    ae_report = ae_mod.fit(autoencoder, frames, bg, args.ae_steps, args.seed)
    del frames

    # Stage 2: latents of the training clips, and several wordings of each temporal caption.
    clips = sample_edits(args.clips, seed=args.seed + 2)
    latents = encode_clips(autoencoder, clips)
    latent_scale = float(1 / latents.std())
    latents = latents * latent_scale
    wordings = [clips.captions] + [
        [
            describe_motion(clips.scene, i, e, np.random.default_rng([args.seed, v, 7]))
            for i, e in enumerate(clips.edits)
        ]
        for v in range(1, CAPTION_VARIANTS)
    ]
    from wmlib.frame2frame.benchmark import SEED as BENCHMARK_SEED

    held_out = sample_edits(200, seed=BENCHMARK_SEED)  # their words are in the vocabulary, not their clips
    vocabulary = build_vocabulary([c for w in wordings for c in w] + held_out.captions)
    tokens = caption_tokens(wordings, vocabulary)

    # Stage 3: the denoiser, with the start frame as a condition.
    model = build_denoiser(args, vocabulary, latents.shape[2:], condition_channels=latents.shape[2])
    t0 = time.time()
    ema, _, history = train_denoiser(model, latents, tokens, args.steps, args.batch_size, args.lr, seed=args.seed)
    denoiser_seconds = time.time() - t0
    pipe = ToyImageToVideoPipeline(ema, autoencoder, vocabulary, latent_scale, TEXT_LENGTH)
    pipe.save_pretrained(out)
    command = (
        f"python -m wmlib.frame2frame.train --out {out} --clips {args.clips} --ae-clips {args.ae_clips} "
        f"--ae-steps {args.ae_steps} --steps {args.steps} --batch-size {args.batch_size} --lr {args.lr:g} "
        f"--width {args.width} --depth {args.depth} --patch {args.patch} --seed {args.seed}"
    )
    manifest = {
        "name": out.name,
        "description": "an image-to-video diffusion model of the toy world's edits, trained from scratch",
        "command": command,
        "seed": args.seed,
        "settings": {
            k: getattr(args, k)
            for k in ("clips", "ae_clips", "ae_steps", "steps", "batch_size", "lr", "width", "depth", "patch")
        }
        | {
            "threads": threads,
            "caption_variants": CAPTION_VARIANTS,
            "text_length": TEXT_LENGTH,
            "caption_dropout": 0.1,
            "image_dropout": 0.1,
            "ema_decay": 0.999,
            "schedule": "cosine, 1000 steps, v-prediction",
            "evaluation": f"the Frame2Frame benchmark: 120 held-out edits (seed {BENCHMARK_SEED}), "
            "25 DDIM steps, guidance 4",
        },
        "scores": None,
        "autoencoder": ae_report,
        "loss_history": history,
        "denoiser_seconds": round(denoiser_seconds, 1),
        "train_seconds": round(time.time() - start, 1),
        "parameters": {
            "transformer": sum(p.numel() for p in ema.parameters()),
            "autoencoder": sum(p.numel() for p in autoencoder.parameters()),
        },
        "versions": {"torch": torch.__version__, "diffusers": __import__("diffusers").__version__},
        "files": file_records(out),
    }
    write_manifest(out, manifest)  # saved before scoring
    manifest["scores"] = manifest_scores(pipe)
    write_manifest(out, manifest)
    print(json.dumps({k: manifest[k] for k in ("scores", "train_seconds", "parameters")}, indent=1))


if __name__ == "__main__":
    main()
