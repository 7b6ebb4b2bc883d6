"""The course's own checkpoints on disk: weights in safetensors, a ``config.json`` beside them, and a
``manifest.json`` that records how they were made (command, where and how long it ran, scores) and the
sha256 and size of every file, which ``wmlib.load`` checks before it trusts them.

One way to do each thing, for every toy model the course trains and ships:
``save_weights`` / ``load_weights``, ``write_manifest`` / ``read_manifest``, ``file_records`` / ``verify_checkpoint``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "manifest.json"
BENCHMARK = "benchmark.json"  # a benchmark script's results, written beside the model it measured


class ChecksumError(ValueError):
    """A shipped checkpoint does not match the sha256 recorded in its manifest."""


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """The file's sha256, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_records(folder: Path) -> dict[str, dict]:
    """``{name: {"sha256", "bytes"}}`` of every file in ``folder`` but the manifest and the benchmark results
    written beside the model (measurements of it, not part of it): what a manifest lists, and
    ``verify_checkpoint`` checks."""
    return {
        p.name: {"sha256": sha256(p), "bytes": p.stat().st_size}
        for p in sorted(Path(folder).iterdir())
        if p.is_file() and p.name not in (MANIFEST, BENCHMARK)
    }


def write_manifest(folder: Path, manifest: dict) -> Path:
    """Write ``manifest`` as ``folder/manifest.json`` (one key per line, so that a diff reads); returns its path."""
    path = Path(folder) / MANIFEST
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    return path


def read_manifest(folder: Path) -> dict:
    """The manifest of a checkpoint: command, seed, files with sha256 and bytes, scores."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{folder} has no {MANIFEST}")
    return json.loads(path.read_text())


def rescore(folder: Path, scores: dict, scored: dict | None = None) -> dict:
    """Replace the scores in ``folder``'s manifest (a training command's ``--score-only``), with the file
    records brought up to date; ``scored``: how the new scores were made (the command, where, how long),
    kept beside them. Returns the manifest."""
    manifest = read_manifest(folder)
    manifest["scores"] = scores
    if scored is not None:
        manifest["scored"] = scored
    manifest["files"] = file_records(folder)
    write_manifest(folder, manifest)
    return manifest


def verify_checkpoint(folder: Path) -> dict:
    """Check every file listed in ``folder/manifest.json`` against its sha256; returns the manifest."""
    manifest = read_manifest(folder)
    for rel, meta in manifest["files"].items():
        path = Path(folder) / rel
        if not path.exists():
            raise ChecksumError(f"{path} is missing; rebuild it with: {manifest['command']}")
        found = sha256(path)
        if found != meta["sha256"]:
            raise ChecksumError(
                f"{path} does not match its manifest (sha256 {found[:12]}…, expected "
                f"{meta['sha256'][:12]}…): the file changed or is damaged. Rebuild it with: "
                f"{manifest['command']}"
            )
    return manifest


def save_weights(
    folder: Path, state: dict, name: str = "model.safetensors", config: dict | None = None, half: bool = False
) -> Path:
    """Write a state dict as ``folder/name`` (``half``: in float16, half the size) and, if given, ``config``
    as ``folder/config.json``; returns the weights' path."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    path = folder / name
    save_file({k: (v.half() if half else v).contiguous() for k, v in state.items()}, str(path))
    return path


def load_weights(folder: Path, name: str = "model.safetensors") -> dict:
    """The state dict in ``folder/name``, as float32 (weights saved in half precision come back full)."""
    from safetensors.torch import load_file

    return {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(Path(folder) / name)).items()}


def read_config(folder: Path) -> dict:
    """``folder/config.json``; a plain error when the folder holds no saved model."""
    path = Path(folder) / "config.json"
    if not path.exists():
        raise FileNotFoundError(f"{folder} has no config.json: not a saved toy model")
    return json.loads(path.read_text())
