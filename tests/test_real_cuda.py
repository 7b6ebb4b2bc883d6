"""The real path on a CUDA GPU, with the tiny models of ``wmlib.tiny`` saved as local copies of the hub models:
the same code as real mode (setup, load, preflight on the machine present, device placement, dtype choice,
memory options, CogVideoXEditor, the anatomy walkthrough on an offloaded pipeline), only small. Skipped
without CUDA. Needs only wmlib, torch, transformers, diffusers, accelerate, numpy and pillow; no model hub.

    PYTHONPATH=. python3 -m pytest tests/test_real_cuda.py -q -p no:cacheprovider -o addopts=""
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before anything imports huggingface_hub

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import wmlib  # noqa: E402
from wmlib import env, session, tiny  # noqa: E402
from wmlib.preflight import Machine  # noqa: E402

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (this runs the real path on one)"
)
GiB = 2**30


def test_the_machine_is_measured(capsys):
    major, minor = torch.cuda.get_device_capability(0)
    here = Machine.here()
    free, total = (x / GiB for x in torch.cuda.mem_get_info(0))
    print(
        f"\n{here.name}: compute capability {major}.{minor}, {here.gpu_gb:.1f} GiB free of {total:.1f}, "
        f"{here.ram_gb:.1f} GiB RAM available, native bfloat16 {here.bf16}; "
        f"torch.cuda.is_bf16_supported() says {torch.cuda.is_bf16_supported()}"
    )
    assert here.device == "cuda" and env.device() == "cuda"
    assert here.bf16 == (major >= 8) == env.native_bf16()
    assert env.default_dtype("cuda") == (torch.bfloat16 if major >= 8 else torch.float16)
    assert free - 0.5 <= here.gpu_gb <= total
    session.report()
    assert "dtype" in capsys.readouterr().out


def test_free_memory_is_what_plans_use(capsys):
    before = Machine.here().gpu_gb
    block = torch.empty(int(4 * GiB), dtype=torch.uint8, device="cuda")
    during = Machine.here().gpu_gb
    del block  # torch keeps the block cached; this process can still use it, so it counts as free
    after = Machine.here().gpu_gb
    assert during == pytest.approx(before - 4, abs=0.5)
    assert after == pytest.approx(before, abs=0.5)


@pytest.mark.parametrize("name", ["cogvideox-2b", "cogvideox-5b", "cogvideox-5b-i2v", "clip", "pythia-410m"])
def test_preflight_plans_for_this_machine(name):
    here = Machine.here()
    plan = wmlib.preflight(name)
    print(f"\n{name}: {plan}")
    assert plan.reason
    if name.startswith("cogvideox-5b") and not here.bf16:
        assert not plan.fits and "bfloat16" in plan.reason
    if plan.fits:
        assert plan.device == "cuda"
        if name.startswith("cogvideox-5b"):
            assert plan.dtype == "bfloat16"
        if name == "pythia-410m":
            assert plan.dtype in ("bfloat16", "float32")


def test_setup_real_decides_and_load_honours_it():
    assert wmlib.setup("real", threads=1) == "real"
    with pytest.raises(wmlib.CannotLoad, match="unreachable"):  # no model hub on this machine
        wmlib.load("clip")


def test_real_clip_on_the_gpu_gets_its_inputs_there(clip_dir):
    from wmlib.clip import contrastive
    from wmlib.frame2frame.scorers import ClipScorer

    model, proc = wmlib.load("clip", mode="real", source=clip_dir)
    assert next(model.parameters()).device.type == "cuda" and model.dtype == torch.float16
    images = [np.random.default_rng(i).integers(0, 255, (40, 48, 3), dtype=np.uint8) for i in range(3)]
    texts = ["a red ball", "a blue cube", "a cat"]
    sim = contrastive.similarity(model, proc, images, texts)
    assert sim.shape == (3, 3) and sim.device.type == "cpu" and sim.dtype == torch.float32
    reference_model, _ = tiny.clip()  # the same weights, in float32 on the CPU
    assert torch.allclose(sim, contrastive.similarity(reference_model, proc, images, texts), atol=2e-2)
    scorer = ClipScorer(model, proc)
    frames = np.stack(images[:2]).astype(np.float32) / 255
    assert scorer.text_scores(frames, "a red ball").shape == (2,)
    assert scorer.image_similarity(frames, frames[0]).shape == (2,)
    assert contrastive.embed(model, proc, texts=texts).device.type == "cpu"


def test_text_to_video_loads_on_the_gpu_in_its_dtype_and_generates(t2v_dir):
    from wmlib.generation import generate

    pipe = wmlib.load("cogvideox-2b", mode="real", source=t2v_dir)
    assert pipe.transformer.device.type == "cuda" and pipe.transformer.dtype == torch.float16
    assert env.model_device(pipe).type == "cuda"
    frames = generate(
        pipe, "a red ball is thrown to the right", height=32, width=32, num_frames=9, num_inference_steps=2
    )
    assert frames.shape == (9, 32, 32, 3) and np.isfinite(frames).all()
    held = Machine.here().held
    assert "cogvideox-2b" in held
    assert "this kernel already holds cogvideox-2b" in wmlib.preflight("cogvideox-2b").reason
    del pipe
    assert "cogvideox-2b" not in Machine.here().held


def test_image_to_video_editor_on_the_gpu(i2v_dir):
    from wmlib.frame2frame.real import CogVideoXEditor

    pipe = wmlib.load("cogvideox-5b-i2v", mode="real", source=i2v_dir)
    expected = torch.bfloat16 if env.native_bf16() else torch.float16
    assert pipe.transformer.device.type == "cuda" and pipe.transformer.dtype == expected
    editor = CogVideoXEditor(pipe, num_frames=9, num_inference_steps=2, height=32, width=48)
    src = np.random.default_rng(0).random((20, 20, 3)).astype(np.float32)
    frames = editor(src, "a ball falls", seed=0, progress=False)
    assert frames.shape == (1, 9, 20, 20, 3) and np.isfinite(frames).all()
    assert 0 <= frames.min() and frames.max() <= 1
    assert np.allclose(frames, editor(src, "a ball falls", seed=0, progress=False), atol=1e-3)  # seeded


@pytest.mark.parametrize("memory", ["model_offload", "sequential_offload"])
def test_offloaded_pipelines_generate_and_the_walkthrough_follows_them(t2v_dir, memory):
    from wmlib.generation import generate
    from wmlib.video.anatomy import walkthrough

    plain = wmlib.load("cogvideox-2b", mode="real", source=t2v_dir)
    offloaded = wmlib.load("cogvideox-2b", mode="real", source=t2v_dir, memory=memory)
    assert offloaded.wmlib_plan.memory == memory
    assert env.model_device(offloaded).type == "cuda"
    assert offloaded.transformer.device.type == ("cpu" if memory == "model_offload" else "meta")
    kwargs = dict(height=16, width=16, num_frames=9, num_inference_steps=2)
    a = generate(plain, "a red ball", **kwargs)
    b = generate(offloaded, "a red ball", **kwargs)
    assert np.isfinite(b).all() and np.abs(a - b).max() < 1e-2
    rows_plain = walkthrough(plain, num_frames=9, height=16, width=16, seed=1, keep_tensors=True)
    rows = walkthrough(offloaded, num_frames=9, height=16, width=16, seed=1, keep_tensors=True)
    for x, y in zip(rows_plain, rows):
        assert x["stage"] == y["stage"] and x["shape"] == y["shape"]
        assert torch.allclose(x["tensor"], y["tensor"], atol=1e-2), x["stage"]
