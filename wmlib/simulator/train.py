"""Train the toy world model and ship it: ``python -m wmlib.simulator.train``.

1. Random episodes of the acting world (``episodes.sample_episodes``: random starts, random pushes).
2. The frame autoencoder on some of their frames (the recipe of ``wmlib.video.autoencoder``).
3. The dynamics network on the codes of all of them, with the autoencoder frozen. Each batch starts at
   a random frame and rolls the model forward on its **own predictions** for ``unroll`` steps, the
   loss averaged over every step: trained one step at a time, a model never sees its own errors and
   drifts as soon as it dreams. The first half of training is one step ahead (cheap, and where most
   is learned); then the unroll grows to ``--unroll`` (``unroll_at``).

The command writes ``config.json``, ``model.safetensors`` and ``manifest.json`` (command, seed,
settings, sha256 of every file, loss curves and the evaluation of ``wmlib.simulator.evaluate``) to
``--out`` (default ``data/models/toy-world-model``). ``--score-only`` re-scores a saved model.

``--one-step-control`` trains the control of the compounding-error lesson: a second dynamics network on
the same episodes, for the same number of steps, with the same (frozen) autoencoder taken from the
model in ``--out``, but always one step ahead (``unroll`` 1). It writes ``one_step.safetensors`` (the
dynamics weights alone) beside the model and its record under ``"one_step"`` in the manifest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np


def unroll_at(step: int, steps: int, unroll: int, one_step: float = 0.5) -> int:
    """How many steps the model is rolled out at training step ``step``: one for the first ``one_step``
    share of training (cheap, and where it learns most), then growing linearly to ``unroll`` over the
    next quarter, and ``unroll`` to the end."""
    start, ramp = one_step * steps, 0.25 * steps
    return int(min(unroll, 1 + max(0.0, step - start) / max(ramp, 1) * (unroll - 1)))


def train_dynamics(
    model,
    codes,
    actions,
    steps: int = 3000,
    batch_size: int = 32,
    lr: float = 1e-3,
    unroll: int = 8,
    one_step: float = 0.5,
    seed: int = 0,
    progress: bool = True,
    log_every: int = 100,
) -> list:
    """Train ``model.dynamics`` on ``codes`` (N, T, C, 8, 8) and ``actions`` (N, T-1, 2); returns
    [(step, seconds, loss, unroll)] every ``log_every`` steps (the loss is the mean over the unrolled
    steps, so it rises when the unroll grows). The autoencoder is not touched."""
    import torch

    from wmlib.progress import progress as bar
    from wmlib.training import set_learning_rate, warmup_cosine

    codes, actions = torch.as_tensor(codes), torch.as_tensor(actions)
    N, T = codes.shape[:2]
    if actions.shape[:2] != (N, T - 1):
        raise ValueError(
            f"need one action between each two frames: codes {tuple(codes.shape[:2])}, "
            f"actions {tuple(actions.shape[:2])}"
        )
    if not 1 <= unroll <= T - 2:
        raise ValueError(f"unroll must be in 1..{T - 2} for episodes of {T} frames, got {unroll}")
    g = torch.Generator().manual_seed(seed)
    params = list(model.dynamics.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    model.dynamics.train()
    history, running, start = [], 0.0, time.perf_counter()
    for step in bar(range(steps), desc="world model", show=progress):
        set_learning_rate(opt, warmup_cosine(step, steps, 100, lr))
        k = unroll_at(step, steps, unroll, one_step)
        i = torch.randint(0, N, (batch_size,), generator=g)
        t = torch.randint(1, T - k, (batch_size,), generator=g)
        ahead = t[:, None] + torch.arange(1, k + 1)
        predicted = model.rollout_codes(codes[i, t - 1], codes[i, t], actions[i[:, None], ahead - 1])
        loss = ((predicted - codes[i[:, None], ahead]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        running += loss.item()
        if (step + 1) % log_every == 0:
            history.append((step + 1, round(time.perf_counter() - start, 1), round(running / log_every, 6), k))
            running = 0.0
    model.dynamics.eval()
    return history


def encode_all(model, frames: np.ndarray, batch_size: int = 2048):
    """Codes (N, T, C, 8, 8) of frames (N, T, H, W, 3), without gradients."""
    import torch

    flat = frames.reshape(-1, *frames.shape[2:])
    with torch.no_grad():
        z = torch.cat([model.encode(flat[i : i + batch_size]) for i in range(0, len(flat), batch_size)])
    return z.reshape(*frames.shape[:2], *z.shape[1:])


def main(argv: list[str] | None = None) -> None:
    from wmlib import training

    parser = training.parser(
        "python -m wmlib.simulator.train",
        "Train the toy world model and ship it.",
        out=Path("data/models/toy-world-model"),
        steps=8000,
        lr=2e-3,
    )
    parser.add_argument("--episodes", type=int, default=8000)
    parser.add_argument("--ae-episodes", type=int, default=1500)
    parser.add_argument("--ae-steps", type=int, default=1500)
    parser.add_argument("--unroll", type=int, default=8)
    parser.add_argument("--one-step", type=float, default=0.5, help="share of training one step ahead")
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument(
        "--one-step-control",
        action="store_true",
        help="train the one-step-only control on the autoencoder of the model in --out",
    )
    args = parser.parse_args(argv)

    import torch

    from wmlib import env
    from wmlib.checkpoints import file_records, rescore, write_manifest
    from wmlib.simulator import evaluate
    from wmlib.simulator.episodes import sample_episodes
    from wmlib.simulator.model import WorldModel, build
    from wmlib.video import autoencoder as ae_mod
    from wmlib.world.studio import background

    threads = env.set_threads(args.threads)
    if args.score_only:
        t0 = time.time()
        scores = evaluate.manifest_scores(WorldModel.from_pretrained(args.out))
        scored = {
            "command": f"python -m wmlib.simulator.train --score-only --out {args.out}",
            "on": f"CPU, {threads} threads",
            "seconds": round(time.time() - t0),
        }
        print(json.dumps(rescore(args.out, scores, scored)["scores"], indent=1))
        return

    if args.one_step_control:
        one_step_control(args, threads)
        return

    start = time.perf_counter()
    model = build(ae_width=64, width=args.width, blocks=args.blocks, seed=args.seed)
    model.autoencoder.background.copy_(torch.as_tensor(background()).permute(2, 0, 1))
    data = sample_episodes(args.episodes, seed=args.seed)
    frames = data.render()
    ae_frames = torch.as_tensor(frames[: args.ae_episodes].reshape(-1, *frames.shape[2:])).permute(0, 3, 1, 2)
    ae_report = ae_mod.fit(model.autoencoder, ae_frames, model.autoencoder.background, args.ae_steps, args.seed)
    for p in model.autoencoder.parameters():
        p.requires_grad_(False)
    codes = encode_all(model, frames)
    del frames
    history = train_dynamics(
        model,
        codes,
        data.actions.vectors(),
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        unroll=args.unroll,
        one_step=args.one_step,
        seed=args.seed,
    )
    train_seconds = time.perf_counter() - start
    model.save_pretrained(args.out)
    scores = evaluate.manifest_scores(model)
    command = "python -m wmlib.simulator.train " + " ".join(
        f"--{k.replace('_', '-')} {v}"
        for k, v in vars(args).items()
        if k not in ("score_only", "threads", "one_step_control") and v is not None
    )
    manifest = {
        "name": "toy-world-model",
        "description": "an action-conditioned world model of the toy world, trained from scratch",
        "command": command,
        "seed": args.seed,
        "settings": {
            **{
                k: (str(v) if isinstance(v, Path) else v)
                for k, v in vars(args).items()
                if k not in ("score_only", "out", "one_step_control")
            },
            "threads": threads,
            "history": 2,
            "episode_steps": int(data.actions.steps),
        },
        "scores": scores,
        "autoencoder": ae_report,
        "loss_history": history,
        "train_seconds": round(train_seconds, 1),
        "parameters": {
            "dynamics": sum(p.numel() for p in model.dynamics.parameters()),
            "autoencoder": sum(p.numel() for p in model.autoencoder.parameters()),
        },
        "versions": {"torch": torch.__version__},
        "files": file_records(args.out),
    }
    write_manifest(args.out, manifest)
    print(json.dumps(scores, indent=1))


def one_step_control(args, threads: int) -> None:
    """Train the dynamics one step ahead only, on the frozen autoencoder of the model in ``args.out``, and
    record it beside that model (``one_step.safetensors`` and the manifest's ``"one_step"``)."""
    from wmlib.checkpoints import file_records, read_manifest, save_weights, write_manifest
    from wmlib.simulator import evaluate
    from wmlib.simulator.episodes import sample_episodes
    from wmlib.simulator.model import WorldModel, build

    start = time.perf_counter()
    model = build(ae_width=64, width=args.width, blocks=args.blocks, seed=args.seed)
    trained = WorldModel.from_pretrained(args.out)
    model.autoencoder.load_state_dict(trained.autoencoder.state_dict())
    for p in model.autoencoder.parameters():
        p.requires_grad_(False)
    data = sample_episodes(args.episodes, seed=args.seed)
    codes = encode_all(model, data.render())
    history = train_dynamics(
        model,
        codes,
        data.actions.vectors(),
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        unroll=1,
        seed=args.seed,
    )
    seconds = time.perf_counter() - start
    save_weights(args.out, model.dynamics.state_dict(), ONE_STEP_FILE)
    manifest = read_manifest(args.out)
    manifest["one_step"] = {
        "description": "the control: the same dynamics network trained on the same episodes for the same number "
        "of steps with the same frozen autoencoder, but only ever one step ahead",
        "command": "python -m wmlib.simulator.train --one-step-control "
        + " ".join(
            f"--{k} {getattr(args, k.replace('-', '_'))}"
            for k in ("out", "episodes", "steps", "batch-size", "lr", "width", "blocks", "seed")
        ),
        "file": ONE_STEP_FILE,
        "threads": threads,
        "train_seconds": round(seconds, 1),
        "loss_history": history,
        "scores": evaluate.manifest_scores(evaluate.with_dynamics(trained, args.out / ONE_STEP_FILE), physics=False),
    }
    # benchmark.json (benchmarks/world_model.py --write) is rewritten apart from the checkpoint
    manifest["files"] = {k: v for k, v in file_records(args.out).items() if k != "benchmark.json"}
    write_manifest(args.out, manifest)
    print(json.dumps(manifest["one_step"]["scores"], indent=1))


ONE_STEP_FILE = "one_step.safetensors"


if __name__ == "__main__":
    main()
