"""Tiny, randomly initialised versions of the real models, built from configs with no download.

They have the real classes and the real code paths (``CLIPModel``, ``CogVideoXPipeline``,
``CogVideoXImageToVideoPipeline``) at a size that runs in a fraction of a second on a CPU: for tests of
``wmlib.load``, and for notebooks that open up an architecture. Their outputs are noise: they are
untrained. Tokenizers are built by hand from a word list, because trained tokenizers differ from run
to run.
"""

from __future__ import annotations

WORDS = (
    "a",
    "the",
    "small",
    "large",
    "red",
    "blue",
    "green",
    "ball",
    "cube",
    "is",
    "thrown",
    "to",
    "left",
    "right",
    "and",
    "bounces",
    "photo",
    "of",
    "cat",
    "dog",
)


def clip_tokenizer(words=WORDS, max_length: int = 16):
    """A byte-level BPE CLIP tokenizer in which each of ``words`` is one token (deterministic).

    Merges are added word by word. For each word we first run the merges we already have, exactly as
    BPE will at encoding time, and only then add the merges that join what is left; so a word added
    later can never break one added earlier.
    """
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    ranks: dict[tuple[str, str], int] = {}
    for word in words:
        symbols = list(word[:-1]) + [word[-1] + "</w>"]
        symbols = _bpe(symbols, ranks)
        while len(symbols) > 1:  # join what the existing merges left, left to right
            pair = (symbols[0], symbols[1])
            ranks.setdefault(pair, len(ranks))
            vocab.setdefault(pair[0] + pair[1], len(vocab))
            symbols = _bpe(symbols, ranks)
    merges = sorted(ranks, key=ranks.get)
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=max_length)


def _bpe(symbols: list[str], ranks: dict[tuple[str, str], int]) -> list[str]:
    """Apply BPE merges by rank, as the tokenizer does: always the best-ranked adjacent pair first."""
    while len(symbols) > 1:
        pairs = [(ranks.get((a, b), float("inf")), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        rank, i = min(pairs)
        if rank == float("inf"):
            break
        symbols = symbols[:i] + [symbols[i] + symbols[i + 1]] + symbols[i + 2 :]
    return symbols


def clip(seed: int = 0):
    """(model, processor): a 47k-parameter ``CLIPModel`` with 32x32 images and 16-token texts."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor

    tok = clip_tokenizer()
    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(tok),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=16,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
        ),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
            num_channels=3,
        ),
        projection_dim=16,
    )
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    images = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    return model, CLIPProcessor(image_processor=images, tokenizer=tok)


def t5_tokenizer(words=WORDS, max_length: int = 16):
    """A unigram T5 tokenizer over ``words`` plus single letters (pad 0, eos 1, unk 2, as real T5)."""
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    pieces += [("\u2581" + w, -1.0) for w in words] + [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz"]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=max_length)


def cogvideox(kind: str = "text-to-video", seed: int = 0):
    """A tiny CogVideoX pipeline (about 0.5 MB): T5 encoder, 3D causal VAE and expert transformer.

    Frames must be multiples of 16 pixels and 8k+1 long; prompts at most 16 tokens.
    """
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    if kind not in ("text-to-video", "image-to-video"):
        raise ValueError(f"unknown kind {kind!r}; allowed: text-to-video, image-to-video")
    tok = t5_tokenizer()
    torch.manual_seed(seed)
    text_encoder = T5EncoderModel(
        T5Config(
            vocab_size=len(tok),
            d_model=32,
            d_kv=8,
            d_ff=37,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            dropout_rate=0.0,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    ).eval()
    i2v = kind == "image-to-video"
    torch.manual_seed(seed)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2 if i2v else 4,
        attention_head_dim=16 if i2v else 8,
        in_channels=8 if i2v else 4,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=2,
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
        # image-to-video concatenates the image latents on the channels, and needs RoPE at any size
        use_rotary_positional_embeddings=i2v,
        use_learned_positional_embeddings=False,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    cls = CogVideoXImageToVideoPipeline if i2v else CogVideoXPipeline
    return cls(
        tokenizer=tok, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=CogVideoXDDIMScheduler()
    )
