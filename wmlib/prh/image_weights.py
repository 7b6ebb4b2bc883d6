"""The image encoders of notebook 03's family, kept as weights: so that they can look at new images (video frames).

``data/features/prh-toy*`` ship only each model's features of the 1,000 evaluation scenes. To ask how well a
model's representation predicts what happens next, its encoder has to see frames it has never seen, so this
module retrains the final image checkpoints exactly as ``wmlib.prh.families features`` did (same data, seed,
steps, one thread) and saves their encoder blocks (the head is not needed) in float16. It checks that the
retrained encoders reproduce the shipped features' kernels, and records how closely in the manifest.

    python -m wmlib.prh.image_weights --out data/models/prh-image-encoders --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from wmlib.prh import families as F


def weights_path() -> Path:
    """Where the shipped encoder weights live: ``data/models/prh-image-encoders`` (``$WMLIB_DATA`` moves ``data/``)."""
    from wmlib.registry import data_dir

    return data_dir() / "models" / "prh-image-encoders"


def key(objective: str, width: int, seed: int) -> str:
    """The name of one encoder in the weights file and the manifest, e.g. ``classifier/w8/s0``."""
    return f"{objective}/w{width}/s{seed}"


@functools.cache
def shipped_weights(folder: Path | None = None) -> dict:
    """Every saved encoder's blocks, as one state dict (checked against the manifest's sha256 first)."""
    from wmlib.checkpoints import load_weights, verify_checkpoint

    folder = Path(folder or weights_path())
    verify_checkpoint(folder)
    return load_weights(folder)


def load_encoder(objective: str, width: int, seed: int, folder: Path | None = None) -> F.ImageModel:
    """One image encoder of the family: ``untrained`` is rebuilt (step 0 of every objective is the same
    network), a trained objective is read from the shipped weights (blocks only; its head is not kept)."""
    if objective == "untrained":
        return F.build_image_encoder(F.IMAGE_OBJECTIVES[0], width, seed).eval()
    state = shipped_weights(folder)
    prefix = key(objective, width, seed) + "."
    blocks = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    if not blocks:
        raise KeyError(f"no encoder {key(objective, width, seed)} in {folder}")
    model = F.build_image_encoder(objective, width, seed)
    model.blocks.load_state_dict(blocks)
    return model.eval()


def _kernel_gap(a: np.ndarray, b: np.ndarray) -> float:
    """The largest difference between the cosine kernels of two feature sets of the same items."""
    from wmlib.prh.alignment import normalize

    ka, kb = normalize(a).numpy(), normalize(b).numpy()
    return float(np.abs(ka @ ka.T - kb @ kb.T).max())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m wmlib.prh.image_weights", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data/models/prh-image-encoders"))
    parser.add_argument("--seeds", type=int, nargs="+", default=list(F.REPLICA_SEEDS))
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    from wmlib import env
    from wmlib.checkpoints import file_records, save_weights, write_manifest

    threads = env.set_threads(args.threads)
    start = time.perf_counter()
    n, data_seed, n_objects = F.SPLITS["image_train"]
    train = F.image_data(n, data_seed, n_objects=n_objects, progress=True)
    _, eval_images, _ = F.eval_set()
    state, gaps, seconds = {}, {}, {}
    for seed in args.seeds:
        shipped = F.load_features(F.replica_path(seed))
        for width in F.IMAGE_WIDTHS:
            for objective in F.IMAGE_OBJECTIVES:
                name = key(objective, width, seed)
                model, history, _ = F.train_image_encoder(objective, width, args.steps, train, seed=seed)
                seconds[name] = history[-1]["seconds"]
                for k, v in model.blocks.state_dict().items():
                    state[f"{name}.{k}"] = v.detach().clone()
                ours = [F._reduce(x, F.FEATURE_DIM) for x in F.image_features(model, eval_images)]
                theirs = shipped.layers[F.model_name("image", objective, width, args.steps, "cnn")]
                gaps[name] = round(max(_kernel_gap(a, b) for a, b in zip(ours, theirs)), 4)
                print(f"{name}: trained in {seconds[name]:.0f} s; kernel gap to the shipped features {gaps[name]}")
    save_weights(args.out, state, half=True)
    manifest = {
        "name": args.out.name,
        "description": "the encoder blocks (no heads) of notebook 03's trained image models, retrained as "
        "`python -m wmlib.prh.families features` trains them, in float16",
        "command": f"python -m wmlib.prh.image_weights --out {args.out} --seeds {' '.join(map(str, args.seeds))}",
        "seeds": args.seeds,
        "settings": {"threads": threads, "steps": args.steps, "widths": list(F.IMAGE_WIDTHS)},
        "train_seconds": seconds,
        "seconds": round(time.perf_counter() - start, 1),
        "where": f"CPU ({platform.machine()}, {os.cpu_count()} cores), {threads} torch thread(s)",
        "scores": {
            "max_kernel_gap_to_shipped_features": gaps,
            "what": "per encoder, the largest difference between the cosine kernels (1,000 evaluation scenes, "
            "every layer) of the retrained encoder and of the shipped features it should reproduce",
        },
        "versions": {"torch": torch.__version__},
        "files": file_records(args.out),
    }
    write_manifest(args.out, manifest)
    print(f"saved {len(gaps)} encoders in {args.out} ({manifest['seconds'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
