"""Count the parameters of CogVideoX's three parts on the meta device (no download, no memory), from the
configs of the pinned revisions: the source of the counts in wmlib/registry.py, from which preflight derives
the memory each option needs.

    python tools/count_cogvideox_parameters.py

The configs: diffusers' ``CogVideoXTransformer3DModel`` defaults are CogVideoX-2b's (30 layers of 30 heads x 64);
the 5B models have 42 layers of 48 heads with 3D RoPE, and the image-to-video one takes 32 input channels (noise
and image latents) and learned positions (shared/reference/seed_science.md 4.1). The VAE is
``AutoencoderKLCogVideoX``'s defaults, and the text encoder T5-v1.1-XXL's encoder.
"""

from __future__ import annotations

TRANSFORMERS = {
    "cogvideox-2b": {},
    "cogvideox-5b": {"num_attention_heads": 48, "num_layers": 42, "use_rotary_positional_embeddings": True},
    "cogvideox-5b-i2v": {
        "num_attention_heads": 48,
        "num_layers": 42,
        "in_channels": 32,
        "use_rotary_positional_embeddings": True,
        "use_learned_positional_embeddings": True,
    },
}
T5_XXL = {
    "vocab_size": 32128,
    "d_model": 4096,
    "d_kv": 64,
    "d_ff": 10240,
    "num_layers": 24,
    "num_heads": 64,
    "feed_forward_proj": "gated-gelu",
    "tie_word_embeddings": False,
}


def counts() -> dict[str, dict[str, int]]:
    """``{model: {"text_encoder", "transformer", "vae": parameters}}`` for the three CogVideoX models."""
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKLCogVideoX, CogVideoXTransformer3DModel
    from transformers import T5Config, T5EncoderModel

    def n(module) -> int:
        return sum(p.numel() for p in module.parameters())

    with init_empty_weights():  # every parameter on the meta device: shapes only
        text_encoder = n(T5EncoderModel(T5Config(**T5_XXL)))
        vae = n(AutoencoderKLCogVideoX())
        return {
            name: {"text_encoder": text_encoder, "transformer": n(CogVideoXTransformer3DModel(**config)), "vae": vae}
            for name, config in TRANSFORMERS.items()
        }


if __name__ == "__main__":
    for name, parts in counts().items():
        total = sum(parts.values())
        print(
            f"{name}: "
            + ", ".join(f"{k} {v:,}" for k, v in parts.items())
            + f"; {total / 1e9:.2f} B parameters, {total * 2 / 1024**3:.2f} GiB in 16 bits"
        )
