"""Train the toy text-to-video model and ship it: ``python -m wmlib.video.train``.

Two stages, as for CogVideoX: first the frame autoencoder, then the denoiser on the frozen
autoencoder's latents. The denoiser is a diffusion model (cosine schedule, v-prediction, 1000 steps),
trained with AdamW, a cosine learning rate, captions dropped 10% of the time (for classifier-free
guidance) and an exponential moving average of its weights, which is what ships. A snapshot taken
early in training ships beside it as ``control.safetensors``: the same model before it learned the
physics, so that a notebook can show the measurement failing.

The command writes ``data/models/toy-t2v`` with ``config.json``, ``model.safetensors``,
``control.safetensors`` and ``manifest.json`` (the command, seed, settings, sha256 of every file, the
loss curve, and the scores of ``wmlib.video.physics.evaluate`` for the model and the control).
``python -m wmlib.video.train judge`` trains and ships the judge those scores use, on true frames and
their round trips through the shipped toy-t2v autoencoder (``train_and_ship_judge``).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path

import numpy as np

from wmlib.video import autoencoder as ae_mod
from wmlib.video import transformer as tr_mod
from wmlib.video.clips import FRAMES, build_vocabulary, render_clips, sample_clips, tokenize, words
from wmlib.video.pipeline import ToyTextToVideoPipeline, scheduler

TEXT_LENGTH = 32
CAPTION_VARIANTS = 3  # wordings per clip, drawn with different caption seeds
EVAL_SEED = 777       # held-out clips whose captions are the evaluation prompts


def encode_clips(autoencoder, clips, chunk: int = 256, progress: bool = True):
    """Latents (B, T, C, 8, 8) of every clip, rendered and encoded a chunk at a time."""
    import torch

    from wmlib.plots import progress as bar
    from wmlib.video.clips import Clips

    out = []
    for i in bar(range(0, len(clips), chunk), desc="encoding clips", show=progress):
        part = Clips(clips.scene[i:i + chunk], clips.trajectory.clips(slice(i, i + chunk)), clips.captions[i:i + chunk])
        frames = torch.from_numpy(render_clips(part)).flatten(0, 1).permute(0, 3, 1, 2)
        with torch.no_grad():
            z = autoencoder.encode(frames)
        out.append(z.view(len(part), FRAMES, *z.shape[1:]))
    return torch.cat(out)


def train_denoiser(model, latents, tokens, steps: int, batch_size: int = 64, lr: float = 1e-3,
                   drop_caption: float = 0.1, ema_decay: float = 0.999, seed: int = 0, snapshot_at: int | None = None,
                   progress: bool = True, log_every: int = 100, drop_image: float = 0.1):
    """Train ``model`` to predict v on noisy ``latents`` (N, T, C, h, w) given ``tokens`` (N, V, L): V
    wordings of each clip. Returns (EMA model, snapshot of the EMA at ``snapshot_at`` or None, loss
    history as (step, seconds, loss)).

    A model built with ``condition_channels`` learns image-to-video: it also sees each clip's clean first
    latent frame, repeated in every frame (``frame2frame.pipeline`` says why), dropped ``drop_image`` of the
    time so that it can also start from the caption alone."""
    import torch

    from wmlib.plots import progress as bar

    ddpm = scheduler("ddpm")
    g = torch.Generator().manual_seed(seed)
    ema = copy.deepcopy(model).eval()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    warmup = min(200, steps // 10 + 1)
    history, running, snapshot, start = [], 0.0, None, time.time()
    model.train()
    for step in bar(range(steps), desc="denoiser", show=progress):
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / steps))
        i = torch.randint(0, len(latents), (batch_size,), generator=g)
        variant = torch.randint(0, tokens.shape[1], (batch_size,), generator=g)
        tok = tokens[i, variant]
        tok = torch.where(torch.rand(batch_size, 1, generator=g) < drop_caption, torch.zeros_like(tok), tok)
        x0 = latents[i]
        noise = torch.randn(x0.shape, generator=g)
        t = torch.randint(0, ddpm.config.num_train_timesteps, (batch_size,), generator=g)
        xt = ddpm.add_noise(x0, noise, t)
        target = ddpm.get_velocity(x0, noise, t)
        condition = None
        if getattr(model, "condition_channels", 0):
            keep = (torch.rand(batch_size, generator=g) >= drop_image).float()
            condition = x0[:, :1].expand_as(x0) * keep[:, None, None, None, None]  # the start frame, in every frame
        loss = torch.nn.functional.mse_loss(model(xt, tok, t, condition), target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(ema_decay, (1 + step) / (10 + step))  # a short memory at first, then ema_decay
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1 - decay)
        running += loss.item()
        if (step + 1) % log_every == 0:
            history.append((step + 1, round(time.time() - start, 1), round(running / log_every, 5)))
            running = 0.0
        if snapshot_at is not None and step + 1 == snapshot_at:
            snapshot = copy.deepcopy(ema)
    model.eval()
    return ema, snapshot, history


def train_small(autoencoder, vocabulary: list[str], n_clips: int = 1000, steps: int = 600, width: int = 64,
                depth: int = 2, batch_size: int = 32, seed: int = 0, progress: bool = True):
    """A small denoiser trained from scratch on ``n_clips`` fresh clips, encoded with a trained
    ``autoencoder``: the shipped recipe at a size that trains in about a minute on a CPU.
    Returns the pipeline and the loss history (step, seconds, loss)."""
    clips = sample_clips(n_clips, seed=seed + 50)
    latents = encode_clips(autoencoder, clips, progress=False)
    scale = float(1 / latents.std())
    import torch

    tokens = torch.from_numpy(tokenize(clips.captions, vocabulary, TEXT_LENGTH))[:, None]
    model = tr_mod.build(len(vocabulary), seed=seed, latent_shape=tuple(latents.shape[2:]), text_length=TEXT_LENGTH,
                         width=width, depth=depth, heads=max(1, width // 32), patch=4 if width >= 64 else 2)
    ema, _, history = train_denoiser(model, latents * scale, tokens, steps, batch_size, lr=2e-3, ema_decay=0.99,
                                     seed=seed, progress=progress, log_every=max(1, steps // 30))
    return ToyTextToVideoPipeline(ema, autoencoder, vocabulary, scale, TEXT_LENGTH), history


def evaluation_prompts(n: int = 128) -> tuple[list[str], dict[str, np.ndarray]]:
    """Held-out captions (clips never trained on) and the colour, shape and size each asks for."""
    clips = sample_clips(n, seed=EVAL_SEED)
    return clips.captions, clips.attributes()


def generate(pipe, prompts: list[str], batch: int = 64, seed: int = 0, **kwargs) -> np.ndarray:
    """Videos for many prompts, ``batch`` at a time, each batch with its own seed."""
    return np.concatenate([pipe(prompts[i:i + batch], seed=seed + i, **kwargs) for i in range(0, len(prompts), batch)])


def score(pipe, judge, n: int = 128, seed: int = 0, **kwargs) -> dict[str, float]:
    """The physics and prompt shares of ``physics.evaluate`` for ``n`` held-out prompts."""
    from wmlib.video.physics import evaluate

    prompts, attributes = evaluation_prompts(n)
    result = evaluate(generate(pipe, prompts, seed=seed, **kwargs), attributes, judge)
    return {k: round(v, 4) for k, v in result.items() if k.startswith("share_")} | {
        "median_gravity": round(result["median_gravity"], 4), "true_gravity": round(result["true_gravity"], 4)}


def train_and_ship_judge(out: Path, seed: int, threads: int, start: float) -> dict:
    """Train the judge on true frames and their round trips through the shipped toy-t2v autoencoder (the
    one every model of notebook 04 draws through), score it on 300 held-out true videos and their round
    trips, and ship it to ``out``; returns its manifest."""
    import torch

    from wmlib.loading import file_records
    from wmlib.registry import checkpoint_dir, get
    from wmlib.video import physics

    t2v = checkpoint_dir(get("toy-t2v"))
    autoencoder = ToyTextToVideoPipeline.from_pretrained(t2v).autoencoder
    settings = {"n_clips": 3000, "steps": 6000, "lr": 2e-3}
    judge = physics.train_judge(**settings, seed=seed, autoencoder=autoencoder)
    seconds = time.time() - start
    clips = sample_clips(300, seed=EVAL_SEED + 1)
    truth = render_clips(clips)
    scores = {"accuracy_true_videos": physics.judge_accuracy(judge, truth, clips.attributes()),
              "accuracy_autoencoder_round_trips": physics.judge_accuracy(
                  judge, physics.round_trip(autoencoder, truth), clips.attributes()),
              "held_out": f"300 true videos of clip seed {EVAL_SEED + 1}, and their round trips"}
    command = f"python -m wmlib.video.train judge --out {out} --seed {seed} --threads {threads}"
    manifest = physics.save_judge(
        judge, out, command, seed, scores, seconds,
        settings=settings | {"batch_size": 64, "frames": "every other frame of each clip, as rendered and as the "
                             "autoencoder gives it back", "threads": threads},
        autoencoder={"from": "toy-t2v", "sha256": file_records(t2v)["model.safetensors"]["sha256"]},
        versions={"torch": torch.__version__})
    print(json.dumps({k: manifest[k] for k in ("scores", "train_seconds")}))
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wmlib.video.train",
                                     description="Train the toy text-to-video model (or its judge) and ship it.")
    parser.add_argument("what", nargs="?", choices=["model", "judge"], default="model")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--clips", type=int, default=12000)
    parser.add_argument("--ae-clips", type=int, default=4000)
    parser.add_argument("--ae-steps", type=int, default=2500)
    parser.add_argument("--steps", type=int, default=9000)
    parser.add_argument("--control-step", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--patch", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    import torch

    from wmlib import env
    from wmlib.loading import file_records
    from wmlib.video import physics

    threads = env.set_threads(args.threads)
    env.seed_everything(args.seed)
    start = time.time()
    if args.what == "judge":
        train_and_ship_judge(args.out or Path("data/models/toy-video-judge"), args.seed, threads, start)
        return

    out = args.out or Path("data/models/toy-t2v")
    # Stage 1: the frame autoencoder.
    ae_clips = sample_clips(args.ae_clips, seed=args.seed + 1)
    frames = torch.from_numpy(render_clips(ae_clips)).flatten(0, 1).permute(0, 3, 1, 2).contiguous()
    from wmlib.video.clips import background

    bg = torch.from_numpy(background()).permute(2, 0, 1)
    autoencoder = ae_mod.build(seed=args.seed)
    ae_history = ae_mod.train(autoencoder, frames, bg, steps=args.ae_steps, seed=args.seed)
    with torch.no_grad():
        test = frames[::97][:2000]
        ae_mse = float(torch.nn.functional.mse_loss(autoencoder(test).clamp(0, 1), test))
    del frames
    ae_seconds = time.time() - start

    # Stage 2: latents of the training clips, several wordings of each caption.
    clips = sample_clips(args.clips, seed=args.seed)
    latents = encode_clips(autoencoder, clips)
    latent_scale = float(1 / latents.std())
    latents = latents * latent_scale
    from wmlib.world.captions import motion_captions

    wordings = [clips.captions] + [motion_captions(clips.scene, clips.trajectory, args.seed + 100 + v)
                                   for v in range(1, CAPTION_VARIANTS)]
    vocabulary = build_vocabulary([c for w in wordings for c in w] + evaluation_prompts()[0])
    longest = max(len(words(c)) for w in wordings for c in w)
    if longest > TEXT_LENGTH:
        raise RuntimeError(f"a caption has {longest} words, more than TEXT_LENGTH = {TEXT_LENGTH}")
    tokens = torch.from_numpy(np.stack([tokenize(w, vocabulary, TEXT_LENGTH) for w in wordings], 1))

    # Stage 3: the denoiser.
    model = tr_mod.build(len(vocabulary), seed=args.seed, latent_shape=tuple(latents.shape[2:]),
                         text_length=TEXT_LENGTH, width=args.width, depth=args.depth, heads=args.width // 32,
                         patch=args.patch)
    t0 = time.time()
    ema, snapshot, history = train_denoiser(model, latents, tokens, args.steps, args.batch_size, args.lr,
                                            seed=args.seed, snapshot_at=args.control_step)
    denoiser_seconds = time.time() - t0
    pipe = ToyTextToVideoPipeline(ema, autoencoder, vocabulary, latent_scale, TEXT_LENGTH)
    control = ToyTextToVideoPipeline(snapshot, autoencoder, vocabulary, latent_scale, TEXT_LENGTH)
    pipe.save_pretrained(out)
    control.save_pretrained(out, weights="control.safetensors", half=True)  # only a control: half size

    judge = physics.load_judge()
    scores = {"model": score(pipe, judge), "control": score(control, judge)}
    files = file_records(out)
    command = (f"python -m wmlib.video.train --out {out} --clips {args.clips} --ae-clips {args.ae_clips} "
               f"--ae-steps {args.ae_steps} --steps {args.steps} --control-step {args.control_step} "
               f"--batch-size {args.batch_size} --lr {args.lr:g} --width {args.width} --depth {args.depth} --patch {args.patch} "
               f"--seed {args.seed}")
    manifest = {
        "name": out.name, "description": "a text-to-video diffusion model of the toy world, trained from scratch",
        "command": command, "seed": args.seed,
        "settings": {k: getattr(args, k) for k in ("clips", "ae_clips", "ae_steps", "steps", "control_step",
                                                   "batch_size", "lr", "width", "depth", "patch")} | {
            "threads": threads, "caption_variants": CAPTION_VARIANTS, "text_length": TEXT_LENGTH,
            "caption_dropout": 0.1, "ema_decay": 0.999, "schedule": "cosine, 1000 steps, v-prediction",
            "evaluation": "128 held-out prompts (clip seed 777), 25 DDIM steps, guidance 4"},
        "scores": scores,
        "autoencoder": {"mse": round(ae_mse, 5), "loss_every_100_steps": [round(v, 5) for v in ae_history],
                        "seconds": round(ae_seconds, 1)},
        "loss_history": history, "denoiser_seconds": round(denoiser_seconds, 1),
        "train_seconds": round(time.time() - start, 1),
        "parameters": {"transformer": sum(p.numel() for p in ema.parameters()),
                       "autoencoder": sum(p.numel() for p in autoencoder.parameters())},
        "versions": {"torch": torch.__version__, "diffusers": __import__("diffusers").__version__},
        "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps({k: manifest[k] for k in ("scores", "train_seconds", "parameters")}))


if __name__ == "__main__":
    main()
