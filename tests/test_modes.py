import pytest

from wmlib.modes import MODES, ModeError, get_mode, resolve_mode


def test_default_is_auto(monkeypatch):
    monkeypatch.delenv("WMLIB_MODE", raising=False)
    assert get_mode() == "auto"


@pytest.mark.parametrize("value, expected", [("toy", "toy"), (" REAL ", "real"), ("Auto", "auto")])
def test_environment_variable_is_read_and_normalised(monkeypatch, value, expected):
    monkeypatch.setenv("WMLIB_MODE", value)
    assert get_mode() == expected


def test_argument_wins_over_environment(monkeypatch):
    monkeypatch.setenv("WMLIB_MODE", "real")
    assert get_mode("toy") == "toy"


def test_unknown_mode_from_environment_names_allowed_modes(monkeypatch):
    monkeypatch.setenv("WMLIB_MODE", "bogus")
    with pytest.raises(ModeError) as info:
        get_mode()
    message = str(info.value)
    assert "'bogus'" in message and "WMLIB_MODE" in message
    assert all(mode in message for mode in MODES)


@pytest.mark.parametrize("bad", ["bogus", "", 3])
def test_unknown_mode_argument_is_a_value_error(bad):
    with pytest.raises(ValueError, match="Allowed modes: auto, toy, real"):
        get_mode(bad)


@pytest.mark.parametrize(
    "device, hub, expected",
    [
        ("cuda", True, "real"),
        ("cuda", False, "toy"),
        ("cpu", True, "toy"),
        ("mps", True, "toy"),
        ("cpu", False, "toy"),
    ],
)
def test_auto_needs_cuda_and_the_hub(device, hub, expected):
    resolution = resolve_mode("auto", device=device, hub_reachable=hub, hub_reason="HF_HUB_OFFLINE=1")
    assert resolution.mode == expected
    assert str(resolution).startswith(f"auto → {expected}: ")


def test_auto_says_every_reason_it_fell_back():
    reason = resolve_mode("auto", device="cpu", hub_reachable=False, hub_reason="HF_HUB_OFFLINE=1").reason
    assert "no CUDA GPU (device: cpu)" in reason
    assert "HF_HUB_OFFLINE=1" in reason


def test_toy_never_probes_the_machine(monkeypatch):
    import wmlib.env

    def fail(*args, **kwargs):
        raise AssertionError("toy mode should not probe the device or the hub")

    monkeypatch.setattr(wmlib.env, "device", fail)
    monkeypatch.setattr(wmlib.env, "hub_status", fail)
    assert resolve_mode("toy").mode == "toy"


def test_real_stays_real_without_a_gpu_and_says_so():
    resolution = resolve_mode("real", device="cpu", hub_reachable=True, hub_reason="")
    assert resolution.mode == "real"
    assert "no CUDA GPU" in resolution.reason


def test_resolve_uses_this_machine_when_not_told(monkeypatch):
    # conftest sets HF_HUB_OFFLINE=1, so auto must fall back to toy here, whatever the device.
    monkeypatch.delenv("WMLIB_MODE", raising=False)
    resolution = resolve_mode()
    assert resolution.mode == "toy"
    assert "HF_HUB_OFFLINE=1" in resolution.reason
