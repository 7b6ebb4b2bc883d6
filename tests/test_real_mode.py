"""Real mode on first contact: the five ways it broke (issue 20), one test each, run on this CPU.

1. real CLIP's inputs stayed on the CPU while the model was on the GPU;
2. on Colab's T4 the toy image-to-video pipeline reached ``CogVideoXEditor``;
3. bfloat16 was read from an emulation check, so T4s and V100s were planned in bfloat16;
4. the "everything on the GPU" figures were below the weights alone (tests/test_preflight.py has the table);
5. ``MODE = "real"`` in a notebook never reached ``wmlib.load``.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import wmlib
from wmlib import env, tiny
from wmlib.loading import CannotLoad

ROOT = Path(__file__).resolve().parents[1]


class Reached(Exception):
    """Raised by a forward hook once it has seen the model's inputs: nothing after that is under test."""


def inputs_seen_by(model):
    """Hook ``model`` so that its forward records the devices of its tensor inputs, then stops."""
    seen = []

    def hook(module, args, kwargs):
        seen.extend(v.device.type for v in [*args, *kwargs.values()] if hasattr(v, "device"))
        raise Reached

    model.register_forward_pre_hook(hook, with_kwargs=True)
    return seen


# --- 1. device placement ------------------------------------------------------------------------------


def test_clip_similarity_sends_its_inputs_to_the_models_device():
    """A model on ``meta`` stands in for one on a GPU: a CPU input into it is the bug."""
    from wmlib.clip import contrastive

    model, proc = tiny.clip()
    model = model.to("meta")
    seen = inputs_seen_by(model)
    with pytest.raises(Reached):
        contrastive.similarity(model, proc, [np.zeros((32, 32, 3), np.uint8)] * 2, ["a red ball", "a cat"])
    assert seen and set(seen) == {"meta"}


def test_clip_scorer_and_embed_send_their_inputs_to_the_models_device():
    from wmlib.clip import contrastive
    from wmlib.frame2frame.scorers import ClipScorer

    model, proc = tiny.clip()
    model = model.to("meta")
    seen = []
    for name in ("get_image_features", "get_text_features"):
        original = getattr(model, name)

        def spy(*args, original=original, **kwargs):
            seen.extend(v.device.type for v in [*args, *kwargs.values()] if hasattr(v, "device"))
            raise Reached

        setattr(model, name, spy)
    with pytest.raises(Reached):
        ClipScorer(model, proc).text_scores(np.zeros((1, 32, 32, 3), np.float32), "a red ball")
    with pytest.raises(Reached):
        contrastive.embed(model, proc, texts=["a red ball"])
    with pytest.raises(Reached):
        contrastive.embed(model, proc, images=np.zeros((1, 32, 32, 3), np.uint8))
    assert seen and set(seen) == {"meta"}


def test_similarity_comes_back_on_the_cpu_in_float32():
    from wmlib.clip import contrastive

    model, proc = tiny.clip()
    sim = contrastive.similarity(model.half(), proc, [np.zeros((32, 32, 3), np.uint8)] * 3, ["a red ball", "a cat"])
    assert sim.shape == (3, 2) and sim.device.type == "cpu" and str(sim.dtype) == "torch.float32"


def test_model_device_of_a_pipeline_is_where_it_computes():
    pipe = tiny.cogvideox()
    assert env.model_device(pipe).type == "cpu"
    pipe.transformer.to("meta")  # weights elsewhere (as under offload) do not move the execution device
    assert env.model_device(pipe.transformer).type == "meta"


# --- 2. Colab's T4 and the image-to-video pipeline ---------------------------------------------------


@pytest.fixture
def colab_t4(monkeypatch):
    """This CPU made to look like Colab with a GPU runtime and the hub reachable (auto resolves to real)."""
    monkeypatch.delenv("WMLIB_MODE", raising=False)
    monkeypatch.setattr(env, "device", lambda: "cuda")
    monkeypatch.setattr(env, "hub_status", lambda *a, **k: env.HubStatus(True, "huggingface.co answers"))


def test_on_a_colab_t4_the_real_cell_is_refused_in_a_sentence_not_given_a_toy(colab_t4, capsys):
    assert wmlib.setup(seed=0, threads=1) == "real"
    with pytest.raises(CannotLoad) as info:
        wmlib.load("cogvideox-5b-i2v", machine="t4")
    message = str(info.value)
    assert "bfloat16" in message and "cogvideox-2b runs there in float16" in message
    assert "instead of" not in capsys.readouterr().out  # no quiet fallback to the toy


def test_the_editor_refuses_the_toy_pipeline_in_one_sentence():
    from wmlib.frame2frame.real import CogVideoXEditor

    toy = wmlib.load("toy-i2v")
    with pytest.raises(
        TypeError,
        match=r"^CogVideoXEditor needs a diffusers CogVideoXImageToVideoPipeline "
        r"\(wmlib.load\('cogvideox-5b-i2v'\) in mode real\); got a "
        r"ToyImageToVideoPipeline, which select.frame2frame takes as it is$",
    ):
        CogVideoXEditor(toy)


# --- 3. bfloat16 from the compute capability ------------------------------------------------------


def fake_gpu(monkeypatch, capability, free_gb=14.0, total_gb=14.75, name="Tesla T4"):
    """torch.cuda made to describe one GPU, as torch on that GPU would (this CPU build has none)."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # what torch says on a T4
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (free_gb * 2**30, total_gb * 2**30))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda device=None: 0)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda device=None: 0)


def test_a_t4_is_planned_in_float16_although_torch_says_it_supports_bfloat16(monkeypatch):
    import torch

    from wmlib.preflight import Machine

    fake_gpu(monkeypatch, (7, 5))
    here = Machine.here()
    assert here.device == "cuda" and here.bf16 is False
    assert env.default_dtype("cuda") == torch.float16
    assert not wmlib.preflight("cogvideox-5b-i2v", here).fits
    assert "no native bfloat16" in wmlib.preflight("cogvideox-5b-i2v", here).reason


def test_an_ampere_gpu_is_planned_in_bfloat16(monkeypatch):
    import torch

    from wmlib.preflight import Machine

    fake_gpu(monkeypatch, (8, 0), free_gb=39.0, total_gb=39.39, name="NVIDIA A100-SXM4-40GB")
    assert Machine.here().bf16 is True and env.default_dtype("cuda") == torch.bfloat16


# --- 4. memory figures (the table of machines is in tests/test_preflight.py) -----------------------


def test_the_2b_is_not_planned_whole_on_a_t4_nor_the_5b_on_an_l4():
    for name, machine in [("cogvideox-2b", "t4"), ("cogvideox-5b-i2v", "l4"), ("cogvideox-5b", "l4")]:
        plan = wmlib.preflight(name, machine)
        assert not (plan.fits and plan.memory == "none"), plan.reason


def test_plans_use_the_memory_free_now_not_the_total(monkeypatch):
    from wmlib.preflight import Machine

    # An 80 GB GPU with 12 GB free (a pipeline from an earlier cell still holds the rest).
    fake_gpu(monkeypatch, (9, 0), free_gb=12.0, total_gb=79.1, name="NVIDIA H100 80GB HBM3")
    monkeypatch.setattr(env, "ram_gb", lambda: (200.0, 180.0))
    here = Machine.here()
    assert here.gpu_gb == pytest.approx(12.0)
    plan = wmlib.preflight("cogvideox-5b-i2v", here)
    assert plan.fits and plan.memory == "sequential_offload", plan.reason


# --- 5. the notebook's MODE reaches wmlib.load -----------------------------------------------------


def test_setup_real_then_load_refuses_plainly_here():
    assert wmlib.setup("real", threads=1) == "real"
    with pytest.raises(
        CannotLoad,
        match=r"^clip-vit-b-32 must be downloaded from the model hub, which is "
        r"unreachable \(HF_HUB_OFFLINE=1\)\. Its offline counterpart is toy-clip",
    ):
        wmlib.load("clip")


def test_setup_toy_makes_load_give_the_toy(capsys, monkeypatch):
    monkeypatch.setenv("WMLIB_MODE", "real")  # setup's argument wins over the environment
    assert wmlib.setup("toy", threads=1) == "toy"
    capsys.readouterr()
    model, _ = wmlib.load("clip")
    assert capsys.readouterr().out.strip() == "toy: toy-clip instead of clip-vit-b-32"
    assert wmlib.get_mode() == "toy" and str(wmlib.resolve_mode()).startswith("toy: asked for")


def test_papermill_mode_real_reaches_load_in_a_notebook(tmp_path):
    """Notebook 00 run as the README says (``papermill -p MODE real``) on this CPU, offline: its cell that
    loads CLIP in the session's mode must refuse in one sentence, not fall back to the toy."""
    out = tmp_path / "00.ipynb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(ROOT / "notebooks" / "00_start_here.ipynb"),
            str(out),
            "-p",
            "MODE",
            "real",
            "--cwd",
            str(ROOT / "notebooks"),
            "--kernel",
            "python3",
            "--no-progress-bar",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = "\n".join(
        "".join(o.get("text", "")) for cell in json.loads(out.read_text())["cells"] for o in cell.get("outputs", [])
    )
    assert "Mode real: asked for, although no CUDA GPU" in text
    assert "CannotLoad: clip-vit-b-32 must be downloaded from the model hub, which is unreachable" in text
    assert "toy-clip instead of" not in text
