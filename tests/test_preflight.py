"""Preflight decisions on described machines, against memory figures derived from CogVideoX's real sizes."""

import importlib.util
import re
from pathlib import Path

import pytest

from wmlib import registry
from wmlib.preflight import MACHINES, Machine, note_loaded, preflight

VIDEO = ["cogvideox-2b", "cogvideox-5b", "cogvideox-5b-i2v"]
NO_BF16 = "no native bfloat16"

# What each machine should get: a memory option, or the words of its refusal. The 5B models are 19.9 GB of
# weights that need native bfloat16; 2b is 12.7 GB in float16; decoding 49 frames takes about 3.6 GB more.
EXPECTED = {
    #               cogvideox-2b                      cogvideox-5b / cogvideox-5b-i2v
    "t4": ("GiB of system RAM", NO_BF16),  # 16 GB card, 12.7 GB RAM: nothing fits
    "t4-high-ram": ("model_offload", NO_BF16),
    "v100": ("none", NO_BF16),
    "l4": ("none", "model_offload"),  # 22 GB: 2b whole, 5b not
    "a10g": ("none", "GiB of system RAM"),  # 16 GB RAM cannot hold 5b offloaded
    "a100-40": ("none", "none"),
    "a100": ("none", "none"),
    "h100": ("none", "none"),
}


@pytest.mark.parametrize("machine", list(EXPECTED))
@pytest.mark.parametrize("name", VIDEO)
def test_each_described_machine_gets_the_expected_plan(machine, name):
    expected = EXPECTED[machine][name != "cogvideox-2b"]
    plan = preflight(name, machine)
    if expected in ("none", "model_offload", "sequential_offload"):
        assert plan.fits and plan.memory == expected, plan.reason
        assert plan.device == "cuda" and plan.vae_slicing and plan.vae_tiling
        need = registry.get(name).memory.gpu_gb(expected)
        assert need <= 0.9 * MACHINES[machine].gpu_gb
        assert plan.dtype == ("float16" if name == "cogvideox-2b" else "bfloat16")
    else:
        assert not plan.fits and expected in plan.reason, plan.reason
        assert not re.search(r"\.(\s|$)", plan.reason), plan.reason  # one sentence, no full stop inside


@pytest.mark.parametrize("machine", list(EXPECTED))
def test_the_short_verdict_names_the_option_or_what_blocks_it(machine):
    words = {
        "none": "fits whole",
        "model_offload": "model offload",
        "GiB of system RAM": "too little RAM",
        NO_BF16: "no native bfloat16",
    }
    for name in VIDEO:
        assert preflight(name, machine).verdict() == words[EXPECTED[machine][name != "cogvideox-2b"]]


def test_a_machine_without_cuda_or_with_too_little_gpu_memory_says_so_in_its_verdict():
    assert preflight("cogvideox-2b", "cpu").verdict() == "needs a CUDA GPU"
    assert preflight("cogvideox-2b", Machine("cuda", 3.0, 64.0, True)).verdict() == "too little GPU memory"


def test_the_issues_cases():
    for name, machine in [("cogvideox-2b", "t4"), ("cogvideox-5b-i2v", "l4")]:
        plan = preflight(name, machine)
        assert not (plan.fits and plan.memory == "none"), plan.reason  # not "everything on the GPU"
    v100 = Machine("cuda", 32.0, 64.0, False, "V100 32 GB")
    for name in ("cogvideox-5b", "cogvideox-5b-i2v"):
        plan = preflight(name, v100)
        assert not plan.fits
        assert plan.reason.startswith(f"{name} needs a GPU that computes in bfloat16 natively")
        assert plan.reason.endswith("V100 32 GB has no native bfloat16; cogvideox-2b runs there in float16")
    assert preflight("cogvideox-2b", v100).dtype == "float16"


def test_everything_on_the_gpu_needs_at_least_the_weights_and_the_decode():
    for name in VIDEO:
        mem = registry.get(name).memory
        assert mem.gpu_gb("none") >= mem.weights_gb + registry.VAE_PEAK_GB - mem.part_gb("vae") - 1e-9
        assert mem.gpu_gb("model_offload") >= max(mem.part_gb(p) for p in ("text_encoder", "transformer", "vae"))
        assert mem.ram_gb("model_offload") > mem.weights_gb  # offloaded weights wait in RAM
    assert registry.get("cogvideox-2b").memory.weights_gb == pytest.approx(12.67, abs=0.01)
    assert registry.get("cogvideox-5b-i2v").memory.weights_gb == pytest.approx(19.89, abs=0.01)


def test_the_registrys_parameter_counts_are_those_of_the_configs():
    spec = importlib.util.spec_from_file_location(
        "count", Path(__file__).resolve().parents[1] / "tools" / "count_cogvideox_parameters.py"
    )
    count = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(count)
    for name, parts in count.counts().items():
        mem = registry.get(name).memory
        assert {p: getattr(mem, p) for p in parts} == parts, name
        assert registry.get(name).params_b == pytest.approx(sum(parts.values()) / 1e9, abs=0.05)


@pytest.mark.parametrize("name", VIDEO)
def test_a_cpu_is_refused_in_one_sentence_with_the_minimum(name):
    plan = preflight(name, "cpu")
    minimum = registry.get(name).memory.sequential_offload
    assert not plan.fits
    assert plan.reason == (
        f"{name} needs a CUDA GPU with at least {minimum:g} GiB of memory even with sequential "
        f"CPU offload; this machine has none"
    )


def test_smaller_gpus_step_down_the_memory_options():
    mem = registry.get("cogvideox-5b").memory
    chosen = []
    for gb in [mem.gpu_gb(o) / 0.9 + 0.1 for o in ("none", "model_offload", "sequential_offload")] + [4.0]:
        plan = preflight("cogvideox-5b", Machine("cuda", gpu_gb=gb, ram_gb=64, bf16=True))
        chosen.append(plan.memory if plan.fits else "refused")
    assert chosen == ["none", "model_offload", "sequential_offload", "refused"]
    refused = preflight("cogvideox-5b", Machine("cuda", gpu_gb=4, ram_gb=64, bf16=True))
    assert refused.reason == (
        "cogvideox-5b needs at least 5 GiB of GPU memory even with sequential CPU offload; "
        "this machine has 4.0 GiB free"
    )


def test_clip_and_the_small_families_run_on_a_cpu():
    for name in ["clip", "clip-vit-l-14", "dinov2-large", "pythia-410m"]:
        plan = preflight(name, "cpu")
        assert plan.fits and plan.device == "cpu" and plan.dtype == "float32"
    assert preflight("clip", "t4").dtype == "float16"


def test_pythia_is_never_planned_in_float16():
    assert preflight("pythia-410m", "t4").dtype == "float32"
    assert preflight("pythia-410m", "a100").dtype == "bfloat16"


def test_offline_models_always_fit():
    assert preflight("toy-clip", "cpu").fits


def test_tiny_local_copies_of_pipelines_may_run_on_a_cpu():
    assert preflight("cogvideox-2b", "cpu", local_gb=0.001).fits
    assert not preflight("cogvideox-2b", "cpu", local_gb=13).fits


def test_unknown_machine():
    with pytest.raises(ValueError, match="unknown machine 'tpu'; described machines: cpu, t4, "):
        preflight("clip", "tpu")


def test_this_machine_is_measured():
    plan = preflight("cogvideox-2b")
    here = Machine.here()
    assert plan.fits == (here.device == "cuda" and here.gpu_gb * 0.9 >= 4)


def test_a_pipeline_this_kernel_holds_is_named_until_it_is_freed():
    class Pipeline:  # stands in for a loaded pipeline: only its lifetime matters
        pass

    held = Pipeline()
    note_loaded("cogvideox-5b-i2v", held)
    machine = Machine("cuda", 20.0, 64.0, True, "a GPU", held=("cogvideox-5b-i2v",))
    assert "this kernel already holds cogvideox-5b-i2v" in preflight("cogvideox-2b", machine).reason
    from wmlib.preflight import held_pipelines

    assert held_pipelines() == ("cogvideox-5b-i2v",)
    del held
    assert held_pipelines() == ()


def test_the_readme_memory_table_is_the_registrys():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for label, name in [
        ("CogVideoX-2b (float16)", "cogvideox-2b"),
        ("CogVideoX-5b, 5b-I2V (bfloat16)", "cogvideox-5b"),
        ("CogVideoX-5b, 5b-I2V (bfloat16)", "cogvideox-5b-i2v"),
    ]:
        mem = registry.get(name).memory
        cells = [f"{mem.weights_gb:.1f}"] + [
            f"{mem.gpu_gb(o):.1f} GPU, {mem.ram_gb(o):.1f} RAM" for o in ("none", "model_offload", "sequential_offload")
        ]
        assert f"| {label} | " + " | ".join(cells) + " |" in readme, name
