"""A toy checkpoint on disk: weights and config saved and read back, a manifest that lists every file with
its sha256, and a plain error for a damaged or missing file."""

import pytest

from wmlib import checkpoints


def test_file_records_list_every_file_but_the_manifest_and_the_benchmark_results(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"abc")
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "benchmark.json").write_text("{}")  # rewritten by each benchmark run: not part of the model
    assert checkpoints.file_records(tmp_path) == {
        "a.bin": {"sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "bytes": 3}
    }


def test_weights_and_config_come_back_as_saved_and_half_precision_comes_back_float(tmp_path):
    import torch

    state = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(), "steps": torch.tensor([3])}
    checkpoints.save_weights(tmp_path, state, config={"width": 8})
    back = checkpoints.load_weights(tmp_path)
    assert torch.equal(back["w"], state["w"]) and back["steps"].dtype == torch.int64
    assert checkpoints.read_config(tmp_path) == {"width": 8}
    checkpoints.save_weights(tmp_path, state, "half.safetensors", half=True)
    assert (tmp_path / "half.safetensors").stat().st_size < (tmp_path / "model.safetensors").stat().st_size
    assert checkpoints.load_weights(tmp_path, "half.safetensors")["w"].dtype == torch.float32
    with pytest.raises(FileNotFoundError, match="not a saved toy model"):
        checkpoints.read_config(tmp_path / "elsewhere")


def test_a_manifest_is_verified_file_by_file(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    manifest = {"command": "python -m wmlib.video.train", "files": checkpoints.file_records(tmp_path)}
    checkpoints.write_manifest(tmp_path, manifest)
    assert checkpoints.read_manifest(tmp_path) == manifest
    assert checkpoints.verify_checkpoint(tmp_path) == manifest
    (tmp_path / "model.safetensors").write_bytes(b"damaged")
    with pytest.raises(checkpoints.ChecksumError, match="does not match its manifest .* python -m wmlib.video.train"):
        checkpoints.verify_checkpoint(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(checkpoints.ChecksumError, match="is missing"):
        checkpoints.verify_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        checkpoints.read_manifest(tmp_path / "nothing")


def test_rescore_replaces_the_scores_and_keeps_how_they_were_made(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    checkpoints.write_manifest(tmp_path, {"command": "train", "scores": {"old": 1}, "files": {}})
    (tmp_path / "benchmark.json").write_text("{}")
    scored = {"command": "train --score-only", "on": "CPU, 1 threads", "seconds": 3}
    manifest = checkpoints.rescore(tmp_path, {"new": 2}, scored)
    assert manifest == checkpoints.read_manifest(tmp_path)
    assert manifest["scores"] == {"new": 2} and manifest["scored"] == scored and manifest["command"] == "train"
    assert list(manifest["files"]) == ["model.safetensors"]
    checkpoints.verify_checkpoint(tmp_path)
