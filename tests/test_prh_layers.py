"""Layer features of vision and language models, on tiny models built from configs and loaded through
``wmlib.load``'s real code path from a local folder, as if they came from the hub."""

import math
import time

import numpy as np
import pytest

import wmlib
from wmlib.loading import CannotLoad
from wmlib.prh import layers

TEXTS = ["a red ball", "héllo wörld, a cube is thrown to the left", "dog", "the small green cat bounces"]


def byte_tokenizer():
    """A GPT-NeoX byte-level tokenizer with no merges (one token per UTF-8 byte) and, like Pythia's, an
    end-of-text token but no padding token."""
    from tokenizers import pre_tokenizers
    from transformers import GPTNeoXTokenizer

    vocab = {"<|endoftext|>": 0}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    return GPTNeoXTokenizer(vocab=vocab, merges=[], pad_token=None)


@pytest.fixture(scope="module")
def language(tmp_path_factory):
    import torch
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    tok = byte_tokenizer()
    config = GPTNeoXConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=128,
        eos_token_id=0,
        bos_token_id=0,
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("pythia")
    GPTNeoXForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return wmlib.load("pythia-70m", mode="real", source=folder)


@pytest.fixture(scope="module")
def vision(tmp_path_factory):
    import torch
    from transformers import BitImageProcessorPil, Dinov2Config, Dinov2Model

    config = Dinov2Config(
        hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=37, image_size=28, patch_size=14
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("dinov2")
    Dinov2Model(config).save_pretrained(folder)
    BitImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 28, "width": 28}).save_pretrained(folder)
    return wmlib.load("dinov2-small", mode="real", source=folder)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (30 + i, 40, 3), dtype=np.uint8) for i in range(5)]


def test_vision_features_are_the_class_token_of_every_block(vision, images):
    import torch

    model, processor = vision
    feats = layers.vision_layer_features(model, processor, images, batch_size=2, progress=False)
    assert feats.shape == (3, 5, 32) and feats.dtype == torch.float32
    with torch.no_grad():
        pixels = processor(images=images, return_tensors="pt")["pixel_values"]
        hidden = model(pixel_values=pixels, output_hidden_states=True).hidden_states
    assert len(hidden) == 4  # the patch embeddings, then 3 blocks: the embeddings are left out
    for layer in range(3):
        assert torch.allclose(feats[layer], hidden[layer + 1][:, 0], atol=1e-5)
    assert not torch.allclose(feats[0], feats[1])


def test_encoded_images_decode_as_they_are_used(vision, images):
    import io

    import torch
    from PIL import Image

    files = []
    for im in images:
        buffer = io.BytesIO()
        Image.fromarray(im).save(buffer, format="PNG")  # lossless, so decoding gives the pixels back
        files.append(buffer.getvalue())
    lazy = layers.EncodedImages(files)
    assert len(lazy) == 5 and np.array_equal(np.asarray(lazy[2]), images[2]) and len(lazy[1:4]) == 3
    feats = layers.vision_layer_features(*vision, lazy, batch_size=2, progress=False)
    assert torch.equal(feats, layers.vision_layer_features(*vision, images, batch_size=2, progress=False))


def test_language_features_are_every_hidden_state_mean_pooled(language):
    import torch

    model, tok = language
    feats, bpb = layers.language_layer_features(model, tok, TEXTS, batch_size=3, progress=False)
    assert feats.shape == (3, 4, 32) and bpb.shape == (4,)  # embeddings + 2 blocks
    ids = torch.tensor([tok(TEXTS[1])["input_ids"]])
    with torch.no_grad():
        hidden = model(input_ids=ids, output_hidden_states=True).hidden_states
    for layer in range(3):
        assert torch.allclose(feats[layer, 1], hidden[layer][0].mean(0), atol=1e-5)


def test_padding_changes_nothing(language):
    import torch

    model, tok = language
    together, bpb_together = layers.language_layer_features(model, tok, TEXTS, batch_size=4, progress=False)
    for i, text in enumerate(TEXTS):  # "dog" is padded by 39 tokens in the batch, and by none alone
        alone, bpb_alone = layers.language_layer_features(model, tok, [text], progress=False)
        assert torch.allclose(alone[:, 0], together[:, i], atol=1e-5), text
        assert torch.allclose(bpb_alone, bpb_together[i : i + 1], atol=1e-5), text
    assert tok.pad_token is None  # the tokenizer was left as it was


def test_padding_goes_on_the_left():
    input_ids, mask = layers.left_pad([[5, 6, 7], [8]], pad_id=0)
    assert input_ids.tolist() == [[5, 6, 7], [0, 0, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]


def test_bits_per_byte_equal_a_direct_computation(language):
    import torch

    model, tok = language
    text = TEXTS[1]
    _, bpb = layers.language_layer_features(model, tok, [TEXTS[0], text], progress=False)
    ids = torch.tensor([tok(text)["input_ids"]])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), dim=-1)
    nats = -sum(logp[t, ids[0, t + 1]] for t in range(ids.shape[1] - 1))  # every token after the first
    n_bytes = len(text.encode("utf-8"))
    assert n_bytes > len(text)  # é and ö take two bytes each
    assert abs(bpb[1].item() - float(nats) / math.log(2) / n_bytes) < 1e-4
    assert layers.language_score(bpb) == pytest.approx(1 - bpb.double().mean().item())


def test_bad_inputs_are_refused(vision, language):
    model, tok = language
    with pytest.raises(TypeError, match="not a single string"):
        layers.language_layer_features(model, tok, "a red ball", progress=False)
    with pytest.raises(ValueError, match="text 1 has no tokens"):
        layers.language_layer_features(model, tok, ["a", ""], progress=False)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        layers.language_layer_features(model, tok, ["a"], batch_size=0, progress=False)
    with pytest.raises(ValueError, match="no images"):
        layers.vision_layer_features(*vision, [], progress=False)


def test_wit_pairs_say_they_need_the_hub():
    start = time.perf_counter()
    with pytest.raises(CannotLoad) as info:
        layers.wit_pairs()
    message = str(info.value)
    assert time.perf_counter() - start < 5
    assert "minhuh/prh" in message and "wit_1024" in message and "HF_HUB_OFFLINE=1" in message
    assert "hub" in message and "Colab" in message
    with pytest.raises(ValueError, match="n must be between 1 and 1024"):
        layers.wit_pairs(0)


def test_family_alignment_finds_the_layers_that_share_a_kernel():
    import torch

    from wmlib.prh.alignment import best_layer_pair, prepare

    torch.manual_seed(0)
    n = 64
    seeing = torch.randn(3, n, 16)  # a "vision model" with 3 layers
    # A "language model" whose layer 2 is the vision model's layer 0 with its dimensions shuffled; its
    # other layers are the vision model's with the items shuffled (same values, so the same clipping
    # threshold, but no shared neighbours).
    reading = torch.stack(
        [seeing[1][torch.randperm(n)], seeing[2][torch.randperm(n)], seeing[0][:, torch.randperm(16)]]
    )
    noise = torch.randn(2, n, 8)
    scores, pairs = layers.family_alignment({"seeing": seeing}, {"reading": reading, "noise": noise}, progress=False)
    assert scores.shape == (1, 2) and pairs.shape == (1, 2, 2)
    assert scores[0, 0] == pytest.approx(1.0) and pairs[0, 0].tolist() == [0, 2]
    assert scores[0, 1] < 0.5
    # One clipping threshold per model, over all its layers, as the reference code.
    limit = seeing.abs().flatten().sort().values[int(0.95 * seeing.numel())]
    clipped = [torch.nn.functional.normalize(x.clamp(-limit, limit), dim=-1) for x in seeing]
    by_hand = best_layer_pair(clipped, prepare(noise.reshape(-1, 8)).reshape(2, n, 8), q=None)
    assert scores[0, 1] == pytest.approx(by_hand[0]) and pairs[0, 1].tolist() == list(by_hand[1])


def test_family_alignment_refuses_what_cannot_be_compared():
    import torch

    with pytest.raises(ValueError, match="same N pairs"):
        layers.family_alignment({"a": torch.zeros(2, 10, 4)}, {"b": torch.zeros(2, 11, 4)}, progress=False)
    with pytest.raises(ValueError, match=r"\(layers, N, D\)"):
        layers.family_alignment({"a": torch.zeros(10, 4)}, {"b": torch.zeros(2, 10, 4)}, progress=False)
    with pytest.raises(ValueError, match="at least one vision model"):
        layers.family_alignment({}, {"b": torch.zeros(2, 10, 4)}, progress=False)
