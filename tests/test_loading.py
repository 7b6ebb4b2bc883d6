"""wmlib.load through the real code path, on tiny models saved to a folder as if they came from the hub."""

import re
import time

import numpy as np
import pytest

import wmlib
from wmlib import checkpoints, loading, registry
from wmlib.checkpoints import ChecksumError
from wmlib.generation import OutOfMemory, generate
from wmlib.loading import CannotLoad


def test_clip_loads_from_a_local_copy_and_runs(clip_dir, capsys):
    import torch
    from transformers import CLIPProcessor

    model, processor = wmlib.load("clip", mode="real", source=clip_dir)
    assert "real: clip-vit-b-32: float32 on the CPU" in capsys.readouterr().out
    assert isinstance(processor, CLIPProcessor)
    inputs = processor(
        text=["a red ball", "a blue cube"],
        images=[np.zeros((32, 32, 3), np.uint8)] * 3,
        return_tensors="pt",
        padding="max_length",
        max_length=16,
    )
    with torch.no_grad():
        out = model(**inputs)
    assert out.logits_per_image.shape == (3, 2)
    assert not model.training


def test_text_to_video_pipeline_loads_and_generates(t2v_dir):
    pipe = wmlib.load("cogvideox-2b", mode="real", source=t2v_dir)
    frames = generate(
        pipe, "a red ball is thrown to the right", height=16, width=16, num_frames=9, num_inference_steps=2
    )
    assert frames.shape == (9, 16, 16, 3) and np.isfinite(frames).all()
    again = generate(
        pipe, "a red ball is thrown to the right", height=16, width=16, num_frames=9, num_inference_steps=2
    )
    assert np.array_equal(frames, again)  # seeded


def test_image_to_video_pipeline_loads_and_generates(i2v_dir):
    from PIL import Image

    pipe = wmlib.load("cogvideox-5b-i2v", mode="real", source=i2v_dir)
    frames = generate(
        pipe,
        "a red ball",
        image=Image.new("RGB", (40, 24), "red"),
        height=32,
        width=32,
        num_frames=9,
        num_inference_steps=2,
    )
    assert frames.shape == (9, 32, 32, 3)


def test_real_mode_without_the_hub_fails_at_once_naming_the_fallback():
    start = time.perf_counter()
    with pytest.raises(CannotLoad) as info:
        wmlib.load("clip", mode="real")
    assert time.perf_counter() - start < 2
    assert "unreachable (HF_HUB_OFFLINE=1)" in str(info.value) and "toy-clip" in str(info.value)


def test_auto_mode_falls_back_and_says_why(monkeypatch, tmp_path, clip_dir, capsys):
    make_toy_checkpoint(tmp_path, clip_dir)
    monkeypatch.setenv("WMLIB_DATA", str(tmp_path))
    monkeypatch.delenv("WMLIB_MODE", raising=False)
    model, _ = wmlib.load("clip")
    line = capsys.readouterr().out.strip()
    assert line.startswith("auto: toy-clip instead of clip-vit-b-32, because ") and "HF_HUB_OFFLINE=1" in line
    from transformers import CLIPModel

    assert isinstance(model, CLIPModel)  # the toy CLIP is a CLIPModel (with a convolutional stem)


def test_toy_mode_loads_the_counterpart(monkeypatch, tmp_path, clip_dir, capsys):
    make_toy_checkpoint(tmp_path, clip_dir)
    monkeypatch.setenv("WMLIB_DATA", str(tmp_path))
    wmlib.load("clip-vit-l-14", mode="toy")
    assert capsys.readouterr().out.strip() == "toy: toy-clip instead of clip-vit-l-14"


def test_a_checkpoint_that_does_not_match_its_manifest_is_refused(monkeypatch, tmp_path, clip_dir):
    folder = make_toy_checkpoint(tmp_path, clip_dir)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    monkeypatch.setenv("WMLIB_DATA", str(tmp_path))
    with pytest.raises(ChecksumError, match=r"model.safetensors does not match its manifest .*Rebuild it with: "):
        wmlib.load("toy-clip")


def test_a_missing_toy_checkpoint_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("WMLIB_DATA", str(tmp_path))
    with pytest.raises(CannotLoad, match="toy-clip .* is not in"):
        wmlib.load("toy-clip")


def test_a_pipeline_that_cannot_fit_is_refused_in_real_mode_and_replaced_in_auto(capsys, monkeypatch, tmp_path):
    # A local copy as large as the real model is planned with the real model's figures.
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "weights.bin", "wb") as f:
        f.truncate(3 * 1024**3)  # a sparse 3 GB file: too big to count as a toy
    with pytest.raises(CannotLoad, match="needs a CUDA GPU with at least 5 GiB"):
        wmlib.load("cogvideox-5b-i2v", mode="real", source=big, machine="cpu")
    monkeypatch.setenv("WMLIB_DATA", str(tmp_path / "empty"))
    with pytest.raises(CannotLoad, match="toy-i2v"):
        wmlib.load("cogvideox-5b-i2v", mode="auto", source=big, machine="cpu")
    assert capsys.readouterr().out.startswith(
        "auto: toy-i2v instead of cogvideox-5b-i2v, because cogvideox-5b-i2v needs"
    )


def test_unknown_names_and_options_are_refused():
    with pytest.raises(ValueError, match="unknown model 'clop'; known: clip, clip-vit-b-32"):
        wmlib.load("clop")
    with pytest.raises(ValueError, match="unknown memory option 'half'; allowed: none, model_offload"):
        wmlib.load("clip", memory="half")


def test_out_of_memory_names_the_option_that_would_fit(t2v_dir):
    import torch

    pipe = wmlib.load("cogvideox-2b", mode="real", source=t2v_dir)

    def boom(**kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    pipe.__class__ = type("Exploding", (pipe.__class__,), {"__call__": lambda self, **kw: boom(**kw)})
    pipe.wmlib_plan = wmlib.preflight("cogvideox-2b", "t4")
    with pytest.raises(OutOfMemory, match="memory option 'none'; load the pipeline with memory='model_offload'"):
        generate(pipe, "a red ball", height=16, width=16, num_frames=9, num_inference_steps=1)


def test_every_hub_model_is_pinned_sized_licensed_and_has_a_counterpart():
    for entry in registry.HUB.values():
        assert re.fullmatch(r"[0-9a-f]{40}", entry.revision), entry.name
        assert entry.download_gb > 0 and entry.params_b > 0 and entry.licence
        assert registry.get(entry.counterpart).name == entry.counterpart
        assert entry.kind in {"clip", "text-to-video", "image-to-video", "vision", "language"}
        if entry.kind.endswith("video"):
            need = [entry.memory.gpu_gb(o) for o in ("sequential_offload", "model_offload", "none")]
            assert need == sorted(need) and entry.memory.source
    kinds = {e.kind for e in registry.HUB.values()}
    assert sum(e.kind == "vision" for e in registry.HUB.values()) >= 3
    assert sum(e.kind == "language" for e in registry.HUB.values()) >= 3
    assert {"clip", "text-to-video", "image-to-video"} <= kinds


def make_toy_checkpoint(data_root, model_dir):
    """A shipped-checkpoint folder (weights + manifest with sha256) made from a saved model."""
    import shutil

    folder = data_root / "models" / "toy-clip"
    shutil.copytree(model_dir, folder, dirs_exist_ok=True)
    manifest = {
        "name": "toy-clip",
        "command": "python -m wmlib.train toy-clip --seed 0",
        "seed": 0,
        "files": checkpoints.file_records(folder),
        "scores": {},
    }
    checkpoints.write_manifest(folder, manifest)
    return folder


def test_model_families_fall_back_to_the_packaged_encoders(monkeypatch, capsys):
    monkeypatch.delenv("WMLIB_MODE", raising=False)
    vision = wmlib.load("dinov2-large")
    language = wmlib.load("pythia-410m")
    said = capsys.readouterr().out
    assert (
        "auto: efficientnet-lite0 instead of dinov2-large" in said and "auto: minilm-l6 instead of pythia-410m" in said
    )
    assert vision.embed(np.zeros((2, 64, 64, 3), np.uint8)).shape == (2, vision.dim)
    assert language.embed(["a small red ball."]).shape == (1, language.dim)


def test_a_download_the_disk_cannot_hold_is_refused_before_it_starts(monkeypatch, tmp_path):
    from wmlib import env

    monkeypatch.setattr(env, "hub_status", lambda *a, **k: env.HubStatus(True, "huggingface.co answers"))
    monkeypatch.setattr(env, "free_disk_gb", lambda path=None: 5.0)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(
        CannotLoad,
        match=rf"^cogvideox-5b-i2v needs 21.6 GB of free disk for its download into "
        rf"{tmp_path}; there are 5.0 GB free\. Its offline counterpart is toy-i2v",
    ):
        wmlib.load("cogvideox-5b-i2v", mode="real", machine="a100")
    entry = registry.get("cogvideox-5b-i2v")
    assert not loading._cached(entry)
    (tmp_path / "models--zai-org--CogVideoX-5b-I2V" / "snapshots" / entry.revision).mkdir(parents=True)
    assert loading._cached(entry)  # already downloaded: nothing to check
