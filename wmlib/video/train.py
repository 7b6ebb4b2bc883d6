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
import time
from pathlib import Path

import numpy as np

from wmlib.checkpoints import write_manifest
from wmlib.video import autoencoder as ae_mod
from wmlib.video import transformer as tr_mod
from wmlib.video.clips import build_vocabulary, render_clips, sample_clips, tokenize, words
from wmlib.video.pipeline import ToyTextToVideoPipeline, scheduler
from wmlib.world.studio import FRAMES

TEXT_LENGTH = 32
CAPTION_VARIANTS = 3  # wordings per clip, drawn with different caption seeds
EVAL_SEED = 777  # held-out clips whose captions are the evaluation prompts


def encode_clips(autoencoder, clips, chunk: int = 256, progress: bool = True):
    """Latents (B, T, C, 8, 8) of every clip, rendered and encoded a chunk at a time."""
    import torch

    from wmlib.progress import progress as bar
    from wmlib.video.clips import Clips

    out = []
    for i in bar(range(0, len(clips), chunk), desc="encoding clips", show=progress):
        part = Clips(
            clips.scene[i : i + chunk], clips.trajectory.clips(slice(i, i + chunk)), clips.captions[i : i + chunk]
        )
        frames = torch.from_numpy(render_clips(part)).flatten(0, 1).permute(0, 3, 1, 2)
        with torch.no_grad():
            z = autoencoder.encode(frames)
        out.append(z.view(len(part), FRAMES, *z.shape[1:]))
    return torch.cat(out)


def first_frame_condition(x0, c, mask_channel: bool = True):
    """The condition of a model that continues given frames, for a training batch: each clip's first
    ``c[b]`` clean latent frames and a mask channel that is 1 on them (zeros elsewhere)."""
    import torch

    B, T = x0.shape[:2]
    given = (torch.arange(T, device=x0.device)[None] < c[:, None]).to(x0.dtype)  # (B, T)
    mask = given[:, :, None, None, None]
    return torch.cat([x0 * mask, mask.expand(-1, -1, 1, *x0.shape[3:])], dim=2)


def loss_weights(ddpm, t, weighting: str):
    """Per-clip weights of the loss at timesteps ``t``. ``"min-snr"``: min(SNR, 5) / (SNR + 1), the
    min-SNR-5 weighting for a v-prediction model (Hang et al. 2023), which stops the nearly clean
    timesteps, easy and many, from dominating the gradient; ``"none"``: all 1."""
    import torch

    if weighting == "none":
        return torch.ones(len(t), device=t.device)
    if weighting != "min-snr":
        raise ValueError(f"unknown weighting {weighting!r}; allowed: none, min-snr")
    alpha = ddpm.alphas_cumprod.to(t.device)[t]
    snr = alpha / (1 - alpha)
    return snr.clamp(max=5.0) / (snr + 1)


def train_denoiser(
    model,
    latents,
    tokens,
    steps: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    drop_caption: float = 0.1,
    ema_decay: float = 0.999,
    seed: int = 0,
    snapshot_at: int | None = None,
    progress: bool = True,
    log_every: int = 100,
    drop_image: float = 0.1,
    first_frames: tuple[int, ...] = (),
    weighting: str = "none",
    device: str = "cpu",
):
    """Train ``model`` to predict v on noisy ``latents`` (N, T, C, h, w) given ``tokens`` (N, V, L): V
    wordings of each clip. Returns (EMA model, snapshot of the EMA at ``snapshot_at`` or None, loss
    history as (step, seconds, loss)).

    A model built with ``condition_channels`` = C learns image-to-video: it also sees each clip's clean
    first latent frame, repeated in every frame (``frame2frame.pipeline`` says why), dropped ``drop_image``
    of the time so that it can also start from the caption alone.

    With ``first_frames`` (for example (0, 1, 3)) and ``condition_channels`` = C + 1, it learns to
    continue videos: each clip gets a number c of given frames drawn from ``first_frames``, their latents
    and a mask enter as channels (Kang et al. 2024, section 2.2), and the loss counts only the frames it
    has to make. One model so does text-to-video (c = 0), image-to-video (1) and prediction (3).

    ``weighting``: ``"none"`` or ``"min-snr"`` (``loss_weights``). ``device``: where to train (the
    latents and tokens may already be there)."""
    import torch

    from wmlib.progress import progress as bar
    from wmlib.training import set_learning_rate, warmup_cosine

    ddpm = scheduler("ddpm")
    g = torch.Generator().manual_seed(seed)
    # On a GPU the noise is drawn there (a batch of it each step is too much to copy over); on the CPU from g.
    g_noise = g if torch.device(device).type == "cpu" else torch.Generator(device).manual_seed(seed)
    model = model.to(device)
    ema = copy.deepcopy(model).eval()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    warmup = min(200, steps // 10 + 1)
    choices = torch.tensor(first_frames or [0])
    history, running, snapshot, start = [], torch.zeros((), device=device), None, time.time()
    model.train()
    for step in bar(range(steps), desc="denoiser", show=progress):
        set_learning_rate(opt, warmup_cosine(step, steps, warmup, lr))
        i = torch.randint(0, len(latents), (batch_size,), generator=g)
        variant = torch.randint(0, tokens.shape[1], (batch_size,), generator=g)
        tok = tokens[i.to(tokens.device), variant.to(tokens.device)].to(device)
        drop = (torch.rand(batch_size, 1, generator=g) < drop_caption).to(device)
        tok = torch.where(drop, torch.zeros_like(tok), tok)
        x0 = latents[i.to(latents.device)].to(device)
        noise = torch.randn(x0.shape, generator=g_noise, device=g_noise.device)
        t = torch.randint(0, ddpm.config.num_train_timesteps, (batch_size,), generator=g).to(device)
        xt = ddpm.add_noise(x0, noise, t)
        target = ddpm.get_velocity(x0, noise, t)
        condition, frame_weight = None, torch.ones(x0.shape[:2], device=device)
        if first_frames:
            c = choices[torch.randint(0, len(choices), (batch_size,), generator=g)].to(device)
            condition = first_frame_condition(x0, c)
            frame_weight = (torch.arange(x0.shape[1], device=device)[None] >= c[:, None]).float()
        elif getattr(model, "condition_channels", 0):
            keep = (torch.rand(batch_size, generator=g) >= drop_image).float().to(device)
            condition = x0[:, :1].expand_as(x0) * keep[:, None, None, None, None]  # the start frame, in every frame
        error = (model(xt, tok, t, condition) - target).pow(2).mean(dim=(2, 3, 4))  # (B, T)
        per_clip = (error * frame_weight).sum(1) / frame_weight.sum(1)
        loss = (per_clip * loss_weights(ddpm, t, weighting)).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(ema_decay, (1 + step) / (10 + step))  # a short memory at first, then ema_decay
            torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)
            running += loss.detach()  # summed on the device: no wait for the GPU at every step
        if (step + 1) % log_every == 0:
            history.append((step + 1, round(time.time() - start, 1), round(float(running) / log_every, 5)))
            running.zero_()
        if snapshot_at is not None and step + 1 == snapshot_at:
            snapshot = copy.deepcopy(ema).cpu()
    model.eval()
    return ema.cpu(), snapshot, history


def caption_tokens(wordings: list[list[str]], vocabulary: list[str]):
    """(clips, wordings, TEXT_LENGTH) token ids of every wording of every caption; refuses a caption longer
    than the model reads."""
    import torch

    longest = max(len(words(c)) for w in wordings for c in w)
    if longest > TEXT_LENGTH:
        raise RuntimeError(f"a caption has {longest} words, more than TEXT_LENGTH = {TEXT_LENGTH}")
    return torch.from_numpy(np.stack([tokenize(w, vocabulary, TEXT_LENGTH) for w in wordings], 1))


def build_denoiser(args, vocabulary: list[str], latent_shape: tuple, condition_channels: int = 0):
    """The denoiser a training command's ``args`` (``--width``, ``--depth``, ``--patch``, ``--seed``) ask for,
    over latents of ``latent_shape`` and captions in ``vocabulary`` (one head per 32 channels)."""
    return tr_mod.build(
        len(vocabulary),
        seed=args.seed,
        latent_shape=tuple(latent_shape),
        text_length=TEXT_LENGTH,
        width=args.width,
        depth=args.depth,
        heads=args.width // 32,
        patch=args.patch,
        condition_channels=condition_channels,
    )


def train_small(
    autoencoder,
    vocabulary: list[str],
    n_clips: int = 1000,
    steps: int = 600,
    width: int = 64,
    depth: int = 2,
    batch_size: int = 32,
    seed: int = 0,
    progress: bool = True,
):
    """A small denoiser trained from scratch on ``n_clips`` fresh clips, encoded with a trained
    ``autoencoder``: the shipped recipe at a size that trains in about a minute on a CPU.
    Returns the pipeline and the loss history (step, seconds, loss)."""
    clips = sample_clips(n_clips, seed=seed + 50)
    latents = encode_clips(autoencoder, clips, progress=False)
    scale = float(1 / latents.std())
    import torch

    tokens = torch.from_numpy(tokenize(clips.captions, vocabulary, TEXT_LENGTH))[:, None]
    model = tr_mod.build(
        len(vocabulary),
        seed=seed,
        latent_shape=tuple(latents.shape[2:]),
        text_length=TEXT_LENGTH,
        width=width,
        depth=depth,
        heads=max(1, width // 32),
        patch=4 if width >= 64 else 2,
    )
    ema, _, history = train_denoiser(
        model,
        latents * scale,
        tokens,
        steps,
        batch_size,
        lr=2e-3,
        ema_decay=0.99,
        seed=seed,
        progress=progress,
        log_every=max(1, steps // 30),
    )
    return ToyTextToVideoPipeline(ema, autoencoder, vocabulary, scale, TEXT_LENGTH), history


def evaluation_prompts(n: int = 128) -> tuple[list[str], dict[str, np.ndarray]]:
    """Held-out captions (clips never trained on) and the colour, shape and size each asks for."""
    clips = sample_clips(n, seed=EVAL_SEED)
    return clips.captions, clips.attributes()


def generate(pipe, prompts: list[str], batch: int = 64, seed: int = 0, **kwargs) -> np.ndarray:
    """Videos for many prompts, ``batch`` at a time, each batch with its own seed."""
    return np.concatenate(
        [pipe(prompts[i : i + batch], seed=seed + i, **kwargs) for i in range(0, len(prompts), batch)]
    )


def score(pipe, judge, n: int = 128, seed: int = 0, **kwargs) -> dict[str, float]:
    """The physics and prompt shares of ``physics.evaluate`` for ``n`` held-out prompts."""
    from wmlib.video.physics import evaluate

    prompts, attributes = evaluation_prompts(n)
    result = evaluate(generate(pipe, prompts, seed=seed, **kwargs), attributes, judge)
    return {k: round(v, 4) for k, v in result.items() if k.startswith("share_")} | {
        "median_gravity": round(result["median_gravity"], 4),
        "true_gravity": round(result["true_gravity"], 4),
    }


def train_and_ship_judge(out: Path, seed: int, threads: int, start: float) -> dict:
    """Train the judge on true frames and their round trips through the shipped toy-t2v autoencoder (the
    one every model of notebook 04 draws through), score it on 300 held-out true videos and their round
    trips, and ship it to ``out``; returns its manifest."""
    import torch

    from wmlib.checkpoints import file_records
    from wmlib.registry import checkpoint_dir, get
    from wmlib.video import physics

    t2v = checkpoint_dir(get("toy-t2v"))
    autoencoder = ToyTextToVideoPipeline.from_pretrained(t2v).autoencoder
    settings = {"n_clips": 3000, "steps": 6000, "lr": 2e-3}
    judge = physics.train_judge(**settings, seed=seed, autoencoder=autoencoder)
    seconds = time.time() - start
    clips = sample_clips(300, seed=EVAL_SEED + 1)
    truth = render_clips(clips)
    scores = {
        "accuracy_true_videos": physics.judge_accuracy(judge, truth, clips.attributes()),
        "accuracy_autoencoder_round_trips": physics.judge_accuracy(
            judge, physics.round_trip(autoencoder, truth), clips.attributes()
        ),
        "held_out": f"300 true videos of clip seed {EVAL_SEED + 1}, and their round trips",
    }
    command = f"python -m wmlib.video.train judge --out {out} --seed {seed} --threads {threads}"
    manifest = physics.save_judge(
        judge,
        out,
        command,
        seed,
        scores,
        seconds,
        settings=settings
        | {
            "batch_size": 64,
            "frames": "every other frame of each clip, as rendered and as the autoencoder gives it back",
            "threads": threads,
        },
        autoencoder={"from": "toy-t2v", "sha256": file_records(t2v)["model.safetensors"]["sha256"]},
        versions={"torch": torch.__version__},
    )
    print(json.dumps({k: manifest[k] for k in ("scores", "train_seconds")}))
    return manifest


def parse_first_frames(text: str) -> tuple[int, ...]:
    """``--first-frames`` ("0,1,3") as a tuple of ints; empty for a caption-only model."""
    return tuple(int(c) for c in text.split(",") if c.strip())


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m wmlib.video.train``."""
    from wmlib import training

    parser = training.parser(
        "python -m wmlib.video.train",
        "Train the toy text-to-video model (or its judge) and ship it.",
        out=None,
        steps=9000,
        lr=1e-3,
        score_only=False,
    )
    parser.add_argument("what", nargs="?", choices=["model", "judge"], default="model")
    parser.add_argument("--clips", type=int, default=12000)
    parser.add_argument("--ae-clips", type=int, default=4000)
    parser.add_argument("--ae-steps", type=int, default=2500)
    parser.add_argument("--control-step", type=int, default=400)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--patch", type=int, default=4)
    parser.add_argument(
        "--autoencoder",
        type=Path,
        default=None,
        help="take the frame autoencoder of this saved pipeline instead of training one",
    )
    parser.add_argument(
        "--first-frames",
        default="",
        help="numbers of given frames to learn to continue from, e.g. 0,1,3 (empty: captions only)",
    )
    parser.add_argument("--weighting", choices=["none", "min-snr"], default="none")
    parser.add_argument("--device", default="cpu", help="where to train: cpu or cuda")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="render the training clips in this many processes, in chunks of 1000 (0: one batch)",
    )
    parser.add_argument("--half", action="store_true", help="save the model's weights in float16")
    parser.add_argument("--eval-n", type=int, default=128, help="held-out clips the manifest's scores use")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)

    from wmlib import env

    threads = env.set_threads(args.threads)
    env.seed_everything(args.seed)
    start = time.time()
    if args.what == "judge":
        train_and_ship_judge(args.out or Path("data/models/toy-video-judge"), args.seed, threads, start)
        return

    # Stage 1: the frame autoencoder, trained here or taken from a saved pipeline.
    if args.autoencoder is not None:
        autoencoder = ToyTextToVideoPipeline.from_pretrained(args.autoencoder).autoencoder
        ae_report = {"from": str(args.autoencoder)}
    else:
        autoencoder, ae_report = train_autoencoder(args.ae_clips, args.ae_steps, args.seed)
    autoencoder.to(args.device)

    # Stage 2: latents of the training clips, several wordings of each caption.
    t0 = time.time()
    latents, wordings = training_latents(autoencoder, args.clips, args.seed, args.workers, args.device)
    ship(args, autoencoder, ae_report, latents, wordings, threads, start, data_seconds=time.time() - t0)


def ship(
    args: argparse.Namespace,
    autoencoder,
    ae_report: dict,
    latents,
    wordings: list[list[str]],
    threads: int,
    start: float,
    data_seconds: float,
) -> dict:
    """Stages 3 and 4 of ``main``: train the denoiser on ``latents`` and their caption ``wordings``, save
    the pipeline and its control to ``args.out``, score both and write the manifest; returns it."""
    import torch

    from wmlib.checkpoints import file_records
    from wmlib.video import physics

    out = args.out or Path("data/models/toy-t2v")
    first_frames = parse_first_frames(args.first_frames)
    t0 = time.time()
    latent_scale = float(1 / latents.std())
    latents = latents * latent_scale
    # The words of the held-out prompts too (words only: a caption-only model would refuse an unknown one).
    held_out = (
        evaluation_prompts()[0]
        if not first_frames
        else [
            c for n, t in ((1024, "train"), (256, "fast")) for c in sample_clips(n, seed=EVAL_SEED, throws=t).captions
        ]
    )
    vocabulary = build_vocabulary([c for w in wordings for c in w] + held_out)
    tokens = caption_tokens(wordings, vocabulary).to(args.device)
    data_seconds += time.time() - t0

    # Stage 3: the denoiser.
    channels = latents.shape[2]
    model = build_denoiser(args, vocabulary, latents.shape[2:], channels + 1 if first_frames else 0)
    t0 = time.time()
    ema, snapshot, history = train_denoiser(
        model,
        latents,
        tokens,
        args.steps,
        args.batch_size,
        args.lr,
        seed=args.seed,
        snapshot_at=args.control_step,
        first_frames=first_frames,
        weighting=args.weighting,
        device=args.device,
    )
    denoiser_seconds = time.time() - t0
    del latents
    autoencoder.cpu()
    pipe = ToyTextToVideoPipeline(ema, autoencoder, vocabulary, latent_scale, TEXT_LENGTH, first_frames=first_frames)
    control = ToyTextToVideoPipeline(
        snapshot, copy.deepcopy(autoencoder), vocabulary, latent_scale, TEXT_LENGTH, first_frames=first_frames
    )
    # Round the weights to what ships, so that the manifest scores the weights a learner loads.
    with torch.no_grad():
        for half, module in ((args.half, ema), (True, snapshot)):
            for p in module.parameters() if half else ():
                p.copy_(p.half().float())
    pipe.save_pretrained(out, half=args.half)
    # Only a control: half size, and with a frozen autoencoder (taken from elsewhere) it shares the model's.
    control.save_pretrained(out, weights="control.safetensors", half=True, autoencoder=args.autoencoder is None)

    # Scores, on the device the model trained on (the same noise, drawn on the CPU, as anywhere else).
    t0 = time.time()
    judge = physics.load_judge()
    if first_frames:
        from wmlib.video.benchmark import conditioned, held_out

        clips, truth = held_out(args.eval_n, EVAL_SEED)
        scores = {
            name: conditioned(p.to(args.device), clips, truth, judge, first_frames)[0]
            for name, p in (("model", pipe), ("control", control))
        }
    else:
        scores = {"model": score(pipe, judge, args.eval_n), "control": score(control, judge, args.eval_n)}
    files = file_records(out)
    command = (
        f"python -m wmlib.video.train --out {out} --clips {args.clips} --ae-clips {args.ae_clips} "
        f"--ae-steps {args.ae_steps} --steps {args.steps} --control-step {args.control_step} "
        f"--batch-size {args.batch_size} --lr {args.lr:g} --width {args.width} --depth {args.depth} "
        f"--patch {args.patch} "
        f"--seed {args.seed}"
    )
    if args.autoencoder is not None:
        command += f" --autoencoder {args.autoencoder}"
    if first_frames:
        command += f" --first-frames {args.first_frames} --weighting {args.weighting} --eval-n {args.eval_n}"
    if args.workers:
        command += f" --workers {args.workers}"
    if args.half:
        command += " --half"
    if args.device != "cpu":
        command += f" --device {args.device}"
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"CPU, {threads} threads"
    manifest = {
        "name": out.name,
        "description": (
            "a video diffusion model of the toy world that continues a caption and "
            f"the first c = {', '.join(map(str, first_frames))} frames, trained from scratch"
            if first_frames
            else "a text-to-video diffusion model of the toy world, trained from scratch"
        ),
        "command": command,
        "seed": args.seed,
        "trained_on": where,
        "settings": {
            k: getattr(args, k)
            for k in (
                "clips",
                "ae_clips",
                "ae_steps",
                "steps",
                "control_step",
                "batch_size",
                "lr",
                "width",
                "depth",
                "patch",
                "weighting",
                "workers",
            )
        }
        | {
            "first_frames": list(first_frames),
            "threads": threads,
            "caption_variants": CAPTION_VARIANTS,
            "text_length": TEXT_LENGTH,
            "caption_dropout": 0.1,
            "ema_decay": 0.999,
            "schedule": "cosine, 1000 steps, v-prediction",
            "evaluation": f"{args.eval_n} held-out prompts (clip seed {EVAL_SEED}), 25 DDIM steps, guidance 4",
        },
        "scores": scores,
        "autoencoder": ae_report,
        "loss_history": history,
        "data_seconds": round(data_seconds, 1),
        "denoiser_seconds": round(denoiser_seconds, 1),
        "score_seconds": round(time.time() - t0, 1),
        "train_seconds": round(time.time() - start, 1),
        "parameters": {
            "transformer": sum(p.numel() for p in ema.parameters()),
            "autoencoder": sum(p.numel() for p in autoencoder.parameters()),
        },
        "versions": {"torch": torch.__version__, "diffusers": __import__("diffusers").__version__},
        "files": files,
    }
    write_manifest(out, manifest)
    print(json.dumps({k: manifest[k] for k in ("scores", "train_seconds", "parameters")}))
    return manifest


def train_autoencoder(n_clips: int, steps: int, seed: int):
    """Stage 1: the frame autoencoder, trained on every frame of ``n_clips`` clips; returns it and a report
    (its held-out squared error, loss curve and seconds)."""
    import torch

    from wmlib.world.studio import background

    ae_clips = sample_clips(n_clips, seed=seed + 1)
    frames = torch.from_numpy(render_clips(ae_clips)).flatten(0, 1).permute(0, 3, 1, 2).contiguous()
    bg = torch.from_numpy(background()).permute(2, 0, 1)
    autoencoder = ae_mod.build(seed=seed)
    return autoencoder, ae_mod.fit(autoencoder, frames, bg, steps, seed)


POOL_CHUNK = 1000  # clips a worker renders at a time; chunk k is sample_clips(POOL_CHUNK, seed=POOL_SEED + k)
POOL_SEED = 100_000  # far from the seeds of the held-out clips (777, 778) and of the autoencoder's (seed + 1)


def _render_chunk(job: tuple[int, int, int]):
    """One chunk of training clips for a worker process: float16 frames and every wording of the captions."""
    from wmlib.world.captions import motion_captions

    k, n, seed = job
    clips = sample_clips(n, seed=POOL_SEED + 1000 * seed + k)
    wordings = [clips.captions] + [
        motion_captions(clips.scene, clips.trajectory, seed + 100 + v) for v in range(1, CAPTION_VARIANTS)
    ]
    return render_clips(clips).astype(np.float16), wordings


def training_latents(autoencoder, n_clips: int, seed: int, workers: int = 0, device: str = "cpu"):
    """Latents (N, T, C, 8, 8) of ``n_clips`` training clips on ``device``, and the captions as
    ``CAPTION_VARIANTS`` lists of N wordings.

    ``workers`` = 0: one batch, ``sample_clips(n_clips, seed)`` (how ``toy-t2v`` was made). Otherwise the
    clips come in chunks of ``POOL_CHUNK``, each with its own seed, rendered by ``workers`` processes
    while this one encodes: the simulator is cheap, so a large run can see far more clips than fit a
    single batch."""
    import torch

    if workers == 0:
        from wmlib.world.captions import motion_captions

        clips = sample_clips(n_clips, seed=seed)
        latents = encode_clips(autoencoder.cpu(), clips).to(device)
        autoencoder.to(device)
        return latents, [clips.captions] + [
            motion_captions(clips.scene, clips.trajectory, seed + 100 + v) for v in range(1, CAPTION_VARIANTS)
        ]
    import multiprocessing as mp

    from wmlib.progress import progress as bar

    jobs = [(k, min(POOL_CHUNK, n_clips - k * POOL_CHUNK), seed) for k in range(-(-n_clips // POOL_CHUNK))]
    latents, wordings = [], [[] for _ in range(CAPTION_VARIANTS)]
    with mp.get_context("spawn").Pool(workers) as pool:
        for frames, words_ in bar(pool.imap(_render_chunk, jobs), total=len(jobs), desc="training clips"):
            x = torch.from_numpy(frames).to(device).float().flatten(0, 1).permute(0, 3, 1, 2)
            with torch.no_grad():
                z = autoencoder.encode(x)
            latents.append(z.view(len(frames), FRAMES, *z.shape[1:]))
            for w, more in zip(wordings, words_):
                w.extend(more)
    return torch.cat(latents), wordings


if __name__ == "__main__":
    main()
