"""Preflight decisions on described machines, against the CogVideoX memory figures."""

import pytest

from wmlib import registry
from wmlib.preflight import MACHINES, Machine, preflight


@pytest.mark.parametrize("name", ["cogvideox-2b", "cogvideox-5b", "cogvideox-5b-i2v"])
def test_a_cpu_is_refused_in_one_sentence_with_the_minimum(name):
    plan = preflight(name, "cpu")
    minimum = registry.get(name).memory.sequential_offload
    assert not plan.fits
    assert plan.reason == (f"{name} needs a CUDA GPU with at least {minimum:g} GB of memory even with sequential "
                           f"CPU offload; this machine has none")


def test_t4_runs_2b_in_float16_and_refuses_5b_for_lack_of_ram():
    plan = preflight("cogvideox-2b", "t4")
    assert plan.fits and plan.dtype == "float16" and plan.vae_tiling and plan.vae_slicing
    assert plan.memory == "none"  # 12 GB of the T4's 15 fit
    five = preflight("cogvideox-5b-i2v", "t4")
    assert not five.fits
    assert "GB of system RAM" in five.reason and "12.7 GB" in five.reason  # the Colab RAM crash, refused early


def test_no_bfloat16_means_float16_even_for_models_trained_in_bfloat16():
    no_bf16 = Machine("cuda", gpu_gb=40, ram_gb=80, bf16=False)
    assert preflight("cogvideox-5b", no_bf16).dtype == "float16"
    assert preflight("cogvideox-5b", "a100").dtype == "bfloat16"


@pytest.mark.parametrize("machine", ["l4", "a100", "h100"])
@pytest.mark.parametrize("name", ["cogvideox-2b", "cogvideox-5b", "cogvideox-5b-i2v"])
def test_big_gpus_keep_everything_on_the_gpu(machine, name):
    plan = preflight(name, machine)
    assert plan.fits and plan.memory == "none" and plan.device == "cuda"
    assert plan.options_that_fit == ("none", "model_offload", "sequential_offload")


def test_smaller_gpus_step_down_the_memory_options():
    mem = registry.get("cogvideox-5b").memory
    chosen = []
    for gb in (mem.none / 0.9 + 0.1, mem.model_offload / 0.9 + 0.1, mem.sequential_offload / 0.9 + 0.1,
               mem.sequential_offload / 0.9 - 0.5):
        plan = preflight("cogvideox-5b", Machine("cuda", gpu_gb=gb, ram_gb=64, bf16=True))
        chosen.append(plan.memory if plan.fits else "refused")
    assert chosen == ["none", "model_offload", "sequential_offload", "refused"]
    refused = preflight("cogvideox-5b", Machine("cuda", gpu_gb=4, ram_gb=64, bf16=True))
    assert refused.reason == ("cogvideox-5b needs at least 5 GB of GPU memory even with sequential CPU offload; "
                              "this machine has 4.0 GB")


def test_clip_and_the_small_families_run_on_a_cpu():
    for name in ["clip", "clip-vit-l-14", "dinov2-large", "pythia-410m"]:
        plan = preflight(name, "cpu")
        assert plan.fits and plan.device == "cpu" and plan.dtype == "float32"
    assert preflight("clip", "t4").dtype == "float16"


def test_offline_models_always_fit():
    assert preflight("toy-clip", "cpu").fits


def test_tiny_local_copies_of_pipelines_may_run_on_a_cpu():
    assert preflight("cogvideox-2b", "cpu", local_gb=0.001).fits
    assert not preflight("cogvideox-2b", "cpu", local_gb=13).fits


def test_unknown_machine():
    with pytest.raises(ValueError, match="unknown machine 'tpu'; described machines: cpu, t4, l4, a100, h100"):
        preflight("clip", "tpu")


def test_this_machine_is_measured():
    plan = preflight("cogvideox-2b")
    here = Machine.here()
    assert plan.fits == (here.device == "cuda" and here.gpu_gb * 0.9 >= 4)
    assert set(MACHINES) == {"cpu", "t4", "l4", "a100", "h100"}
