"""CogVideoX's anatomy: the tiny model's stages have the shapes the formulas say, and the real model's
arithmetic gives the reference's numbers."""

import time

import pytest
import torch

from wmlib.tiny import cogvideox
from wmlib.video.anatomy import attention_cost, latent_frames, show_walkthrough, token_count, walkthrough

STAGES = [
    "pixels",
    "VAE latent",
    "scaled latent",
    "noised latent",
    "transformer layout",
    "text token ids",
    "text states",
    "patch tokens",
    "transformer output",
    "decoded pixels",
]


@pytest.fixture(scope="module")
def pipe():
    torch.set_num_threads(1)
    return cogvideox(seed=0)


@pytest.mark.parametrize("frames,height,width", [(9, 32, 32), (17, 16, 48)])
def test_walkthrough_shapes_follow_the_formulas(pipe, frames, height, width):
    rows = walkthrough(pipe, num_frames=frames, height=height, width=width)
    assert [r["stage"] for r in rows] == STAGES
    shape = {r["stage"]: r["shape"] for r in rows}
    c = pipe.vae.config.latent_channels
    p = pipe.transformer.config.patch_size
    f_lat, h, w = (frames - 1) // 4 + 1, height // 8, width // 8
    assert shape["pixels"] == (1, 3, frames, height, width)
    assert shape["VAE latent"] == shape["scaled latent"] == shape["noised latent"] == (1, c, f_lat, h, w)
    assert shape["transformer layout"] == shape["transformer output"] == (1, f_lat, c, h, w)
    text_len = pipe.transformer.config.max_text_seq_length
    assert shape["text token ids"] == (1, text_len)
    d = pipe.text_encoder.config.d_model
    assert shape["text states"] == (1, text_len, d)
    patch = rows[STAGES.index("patch tokens")]
    inner = pipe.transformer.config.num_attention_heads * pipe.transformer.config.attention_head_dim
    assert patch["video_tokens"] == f_lat * (h // p) * (w // p)
    assert patch["text_tokens"] == text_len
    assert patch["shape"] == (1, text_len + patch["video_tokens"], inner)
    assert shape["decoded pixels"] == shape["pixels"]
    # The real-model arithmetic agrees with the tiny model's real code.
    counted = token_count(frames, height, width, text_tokens=text_len, latent_channels=c)
    assert counted["video_tokens"] == patch["video_tokens"]
    assert counted["latent_shape"] == shape["VAE latent"][1:]
    assert all(r["what"] for r in rows)


def test_walkthrough_is_deterministic_and_the_seed_matters(pipe):
    a = walkthrough(pipe, seed=3, keep_tensors=True)
    b = walkthrough(pipe, seed=3, keep_tensors=True)
    c = walkthrough(pipe, seed=4, keep_tensors=True)
    for x, y in zip(a, b):
        assert torch.equal(x["tensor"], y["tensor"]), x["stage"]
        assert tuple(x["tensor"].shape) == x["shape"]
    out = STAGES.index("transformer output")
    assert torch.isfinite(a[out]["tensor"]).all()
    assert not torch.equal(a[0]["tensor"], c[0]["tensor"])
    assert not torch.equal(a[out]["tensor"], c[out]["tensor"])
    # The scaling stage really multiplies by the VAE's scaling factor.
    scale = pipe.vae.config.scaling_factor
    assert torch.allclose(a[2]["tensor"], a[1]["tensor"] * scale)
    assert "tensor" not in walkthrough(pipe)[0]


def test_walkthrough_runs_on_a_pipeline_with_model_cpu_offload():
    """Under offload a hook brings each part to the execution device when it is called, so calling a piece of
    the transformer alone would find its weights elsewhere. On a CPU both devices are the CPU, so this checks
    the path through the hooks; tests/test_real_cuda.py checks the devices on a GPU."""
    plain = walkthrough(cogvideox(seed=0), seed=1, keep_tensors=True)
    offloaded = cogvideox(seed=0)
    offloaded.enable_model_cpu_offload(device="cpu")
    rows = walkthrough(offloaded, seed=1, keep_tensors=True)
    for a, b in zip(plain, rows):
        assert a["stage"] == b["stage"] and torch.allclose(a["tensor"], b["tensor"], atol=1e-6), a["stage"]


def test_walkthrough_is_fast_from_scratch(pipe):
    start = time.perf_counter()
    rows = walkthrough()  # builds its own tiny pipeline (imports already done by the fixture)
    assert time.perf_counter() - start < 5.0
    assert rows[-1]["shape"] == (1, 3, 9, 32, 32)


def test_walkthrough_refuses_what_cogvideox_cannot_do(pipe):
    with pytest.raises(ValueError, match="8k\\+1"):
        walkthrough(pipe, num_frames=8)
    with pytest.raises(ValueError, match="height must be a positive multiple of 16"):
        walkthrough(pipe, height=24)
    with pytest.raises(ValueError, match="width must be a positive multiple of 16"):
        walkthrough(pipe, width=20)
    with pytest.raises(ValueError, match="tokens long"):
        walkthrough(pipe, prompt=" ".join(["red ball"] * 12))
    with pytest.raises(ValueError, match="timestep"):
        walkthrough(pipe, timestep=1000)
    with pytest.raises(ValueError, match="text-to-video"):
        walkthrough(cogvideox("image-to-video"))


def test_show_walkthrough_lists_every_stage(pipe):
    text = show_walkthrough(walkthrough(pipe))
    lines = text.splitlines()
    assert len(lines) == 2 + len(STAGES)
    assert "(1, 4, 3, 4, 4)" in lines[3]  # the VAE latent of the default 9 x 32 x 32 clip
    with pytest.raises(ValueError):
        show_walkthrough([])


def test_token_count_gives_the_reference_numbers_for_cogvideox_2b():
    # Reference §4.1: 49 frames at 480x720 -> 13 latent frames of 60x90 -> 17,550 video + 226 text tokens.
    c = token_count()
    assert (c["latent_frames"], c["latent_height"], c["latent_width"]) == (13, 60, 90)
    assert c["patch_grid"] == (13, 30, 45)
    assert c["video_tokens"] == 17_550 and c["text_tokens"] == 226 and c["total_tokens"] == 17_776
    assert c["latent_shape"] == (16, 13, 60, 90)
    assert c["compression"] == pytest.approx(49 * 480 * 720 * 3 / (16 * 13 * 60 * 90))
    assert latent_frames(9) == 3 and latent_frames(1) == 1
    assert token_count(9, 16, 16, text_tokens=0)["total_tokens"] == 3 * 1 * 1


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(num_frames=48), "multiple of the temporal"),
        (dict(height=488), "height must be a multiple of"),
        (dict(width=0), "width must be a whole number"),
        (dict(text_tokens=-1), "text_tokens"),
        (dict(patch=2.0), "patch"),
    ],
)
def test_token_count_refuses_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        token_count(**kwargs)


def test_attention_cost_is_quadratic_in_tokens():
    one, two = attention_cost(1000), attention_cost(2000)
    for key in ("entries_per_head", "flops_per_layer", "flops", "fp16_bytes_per_head", "fp16_bytes_per_layer"):
        assert two[key] == 4 * one[key], key
    # The docstring's formulas, by hand: 10 tokens, width 4, 2 layers, 2 heads.
    small = attention_cost(10, hidden=4, layers=2, heads=2)
    assert small["entries_per_head"] == 100
    assert small["flops_per_layer"] == 2 * 2 * 100 * 4
    assert small["flops"] == 2 * small["flops_per_layer"]
    assert small["fp16_bytes_per_head"] == 200 and small["fp16_bytes_per_layer"] == 400


def test_full_attention_costs_about_latent_frames_times_factorised():
    toy = attention_cost(12, hidden=4, layers=1, heads=1, frames=3)  # 3 frames of 4 tokens
    assert toy["spatial_entries_per_head"] == 3 * 4**2
    assert toy["temporal_entries_per_head"] == 4 * 3**2
    assert toy["full_over_factorised"] == pytest.approx(144 / (48 + 36))
    c = token_count()
    real = attention_cost(c["video_tokens"], frames=c["latent_frames"])
    assert real["tokens_per_frame"] == 30 * 45
    # N² T² / (T N² + N T²) = T N / (N + T): a bit under the 13 latent frames.
    t, n = 13, 1350
    assert real["full_over_factorised"] == pytest.approx(t * n / (n + t))
    assert 12 < real["full_over_factorised"] < 13
    assert real["fp16_bytes_per_head"] / 2**30 == pytest.approx(0.574, abs=0.001)  # 17,550² x 2 bytes


def test_attention_cost_refuses_bad_arguments():
    with pytest.raises(ValueError, match="split evenly"):
        attention_cost(17_776, frames=13)  # text tokens included: not a whole number per frame
    with pytest.raises(ValueError, match="multiple of heads"):
        attention_cost(100, hidden=100, heads=30)
    with pytest.raises(ValueError, match="tokens must be a whole number"):
        attention_cost(0)


def test_expert_adaln_gives_each_modality_its_own_shift_scale_and_gate(pipe):
    from wmlib.video.anatomy import expert_adaln

    rows = expert_adaln(pipe, keep_tensors=True)
    inner = pipe.transformer.config.num_attention_heads * pipe.transformer.config.attention_head_dim
    shape = {r["stage"]: r["shape"] for r in rows}
    assert shape["modulation"] == (1, 6 * inner)
    for name in ("video shift", "video scale", "video gate", "text shift", "text scale", "text gate"):
        assert shape[name] == (1, inner)
    tensors = {r["stage"]: r["tensor"] for r in rows}
    assert not torch.equal(tensors["video scale"], tensors["text scale"])  # two experts, not one
    assert "timestep" in show_walkthrough(rows)
    with pytest.raises(ValueError, match="timestep"):
        expert_adaln(pipe, timestep=1000)


def test_rope_3d_splits_the_head_2_3_3_and_has_one_row_per_token():
    from wmlib.video.anatomy import rope_3d

    out = rope_3d()
    assert out["channels"] == {"t": 16, "h": 24, "w": 24}
    assert out["tokens"] == 17_550 == token_count()["video_tokens"]
    assert out["cos_shape"] == out["sin_shape"] == (17_550, 64)
    assert rope_3d(16, 3, 2, 2)["cos_shape"] == (12, 16)
    with pytest.raises(ValueError, match="multiple of 16"):
        rope_3d(24)
