import socket
import sys
import time

import pytest

import wmlib
from wmlib import env, session


@pytest.fixture(autouse=True)
def fresh_hub_cache():
    env._hub_cache.clear()
    yield
    env._hub_cache.clear()


def test_device_matches_torch():
    import torch

    dev = env.device()
    assert dev in {"cuda", "mps", "cpu"}
    assert (dev == "cuda") == torch.cuda.is_available()


def test_cpu_dtype_is_float32():
    import torch

    assert env.default_dtype("cpu") == torch.float32
    assert env.default_dtype("mps") == torch.float16


def test_gpu_is_none_exactly_when_there_is_no_cuda():
    import torch

    g = env.gpu()
    assert (g is None) == (not torch.cuda.is_available())
    if g is not None:
        assert g.total_gb >= g.free_gb > 0


def test_memory_and_disk_are_plausible(tmp_path):
    total, available = env.ram_gb()
    assert total > 0.5
    assert available is None or 0 < available <= total
    assert env.free_disk_gb(tmp_path) > 0
    # A cache folder that does not exist yet is measured at its nearest existing parent.
    assert env.free_disk_gb(tmp_path / "not" / "yet") == pytest.approx(env.free_disk_gb(tmp_path), rel=0.05)


def test_model_cache_dir_follows_hf_variables(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert env.model_cache_dir() == str(tmp_path / "hub")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))
    assert env.model_cache_dir() == str(tmp_path / "elsewhere")


def test_colab_is_detected_from_its_module(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert env.in_colab() is False
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert env.in_colab() is True


@pytest.mark.parametrize("var", ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
def test_offline_flag_answers_without_probing(monkeypatch, var):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv(var, "1")
    monkeypatch.setattr(env, "_connect", lambda *a: pytest.fail("probed the network while offline"))
    status = env.hub_status()
    assert status == env.HubStatus(False, f"{var}=1")


def test_hub_is_reachable_when_the_endpoint_answers(monkeypatch):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        assert env.hub_status().reachable
    finally:
        server.close()


def test_hub_is_unreachable_when_nothing_listens(monkeypatch):
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    status = env.hub_status()
    assert not status.reachable
    assert "127.0.0.1" in status.reason


def test_hub_check_never_hangs_and_is_cached(monkeypatch):
    calls = []

    def hang(host, port, timeout):
        calls.append(host)
        time.sleep(30)  # a DNS lookup that never returns

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.invalid")
    monkeypatch.setattr(env, "_connect", hang)
    start = time.perf_counter()
    status = env.hub_status(timeout=0.2)
    assert time.perf_counter() - start < 5
    assert status == env.HubStatus(False, "no answer from hub.invalid within 0.2 s")
    assert env.hub_status(timeout=0.2) is status  # cached: no second probe
    assert calls == ["hub.invalid"]


def test_seed_everything_repeats_every_generator():
    import random

    import numpy as np
    import torch

    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    env.seed_everything(7)
    first = draw()
    env.seed_everything(7)
    assert draw() == first
    env.seed_everything(8)
    assert draw() != first


@pytest.mark.parametrize(
    "variables, expected",
    [
        ({"WMLIB_THREADS": "3", "OMP_NUM_THREADS": "2"}, 3),
        ({"OMP_NUM_THREADS": "2"}, 2),
        ({"WMLIB_THREADS": "zero", "OMP_NUM_THREADS": "5"}, 5),
    ],
)
def test_default_threads_reads_the_environment(monkeypatch, variables, expected):
    for var in ("WMLIB_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    for var, value in variables.items():
        monkeypatch.setenv(var, value)
    assert env.default_threads() == expected


def test_default_threads_is_half_the_cores_at_most_four(monkeypatch):
    for var in ("WMLIB_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    for cores, expected in [(1, 1), (2, 1), (8, 4), (64, 4)]:
        monkeypatch.setattr(env, "cpu_count", lambda cores=cores: cores)
        assert env.default_threads() == expected


def test_set_threads_sets_torch_and_rejects_nonsense():
    import torch

    before = torch.get_num_threads()
    try:
        assert env.set_threads(2) == 2 and torch.get_num_threads() == 2
        with pytest.raises(ValueError):
            env.set_threads(0)
    finally:
        torch.set_num_threads(before)


def test_setup_resolves_seeds_and_says_so(capsys, monkeypatch):
    import torch

    monkeypatch.delenv("WMLIB_MODE", raising=False)
    assert wmlib.setup(seed=3, threads=1) == "toy"
    line = capsys.readouterr().out
    assert line.startswith("Mode auto → toy: ") and "Seed 3, 1 torch thread." in line
    first = torch.rand(2)
    wmlib.setup("toy", seed=3, threads=1)
    assert torch.equal(first, torch.rand(2))


def test_setup_refuses_an_unknown_mode_before_doing_anything(monkeypatch):
    monkeypatch.setenv("WMLIB_MODE", "bogus")
    monkeypatch.setattr(env, "set_threads", lambda n=None: pytest.fail("set threads before checking the mode"))
    with pytest.raises(wmlib.ModeError, match="Allowed modes: auto, toy, real"):
        wmlib.setup()


def test_report_is_a_table_ending_with_the_mode(capsys, monkeypatch):
    monkeypatch.delenv("WMLIB_MODE", raising=False)
    session.report()
    lines = capsys.readouterr().out.splitlines()
    keys = [line.split("  ")[0].strip() for line in lines]
    for key in [
        "Python",
        "torch",
        "device",
        "dtype",
        "GPU",
        "GPU memory",
        "RAM",
        "free disk",
        "CPU cores",
        "Colab",
        "model hub",
        "mode",
    ]:
        assert key in keys
    assert lines[-1].split(None, 1)[1].startswith("auto → toy: ")
    assert "unreachable (HF_HUB_OFFLINE=1)" in "\n".join(lines)


def test_python_m_wmlib_refuses_a_bogus_mode_plainly():
    import os
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "wmlib"], capture_output=True, text=True, env={**os.environ, "WMLIB_MODE": "bogus"}
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "wmlib: Unknown mode 'bogus' (from WMLIB_MODE). Allowed modes: auto, toy, real."
    assert "Traceback" not in result.stderr


def test_import_is_light():
    import subprocess

    heavy = ("torch", "numpy", "transformers", "diffusers", "matplotlib")
    code = f"import sys, wmlib; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
