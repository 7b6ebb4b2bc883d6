"""CogVideoX opened up: one video through the tiny model's real modules, and the arithmetic of the real one.

CogVideoX (Yang et al., ICLR 2025) is three models in a row:

1. a **3D causal VAE** that keeps the first frame and compresses the rest 4x in time and 8x8 in space,
   into 16 latent channels (4 in the tiny model);
2. a **T5 text encoder** (T5-v1.1-XXL, 4096-d, at most 226 tokens in the real model);
3. an **expert transformer** that cuts each latent frame into 2x2 patches, concatenates the text tokens
   and the video tokens into one sequence and runs full 3D attention over all of it (with separate
   "expert" adaptive LayerNorms for text and video).

``walkthrough`` sends one random clip through the tiny pipeline of ``wmlib.tiny.cogvideox`` stage by
stage (the same classes and code paths as the real model, only narrower), and records each shape.
``expert_adaln`` opens the first block's expert adaptive LayerNorm, and ``rope_3d`` the 3D rotary position
embedding of CogVideoX-5B. ``token_count`` and ``attention_cost`` do the same arithmetic for the real model:
49 frames at 480x720 become 13 x 60 x 90 latents and 17,550 video tokens, and attention over all of them at
once is what makes video generation expensive.
"""

from __future__ import annotations

__all__ = [
    "attention_cost",
    "expert_adaln",
    "latent_frames",
    "rope_3d",
    "show_walkthrough",
    "token_count",
    "walkthrough",
]

DEFAULT_PROMPT = "a small red ball is thrown to the right and bounces"


def _whole(value, name: str, low: int = 1) -> int:
    """``value`` as an int >= ``low`` (numpy integers welcome; bools, floats and strings refused)."""
    import operator

    try:
        number = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        number = None
    if number is None or number < low:
        raise ValueError(f"{name} must be a whole number >= {low}; got {value!r}")
    return number


def latent_frames(num_frames: int, temporal: int = 4) -> int:
    """Latent frames of the causal VAE: the first frame alone, then one latent frame per ``temporal``
    frames, so (F - 1) / temporal + 1. ``num_frames - 1`` must be a multiple of ``temporal``."""
    num_frames, temporal = _whole(num_frames, "num_frames"), _whole(temporal, "temporal")
    if (num_frames - 1) % temporal:
        raise ValueError(
            f"num_frames - 1 must be a multiple of the temporal compression {temporal} "
            f"(the VAE keeps the first frame alone); got {num_frames}"
        )
    return (num_frames - 1) // temporal + 1


def token_count(
    num_frames: int = 49,
    height: int = 480,
    width: int = 720,
    temporal: int = 4,
    spatial: int = 8,
    patch: int = 2,
    text_tokens: int = 226,
    latent_channels: int = 16,
) -> dict:
    """The sequence the transformer sees for a video of ``num_frames`` x ``height`` x ``width``.

    Defaults are CogVideoX-2B's (49 frames of 480x720, VAE 4x in time and 8x8 in space, 2x2 patches,
    226 T5 tokens): 13 latent frames of 60x90, cut into 30x45 patches each, is 17,550 video tokens, and
    17,776 in all with the text.
    """
    for name, v in (
        ("height", height),
        ("width", width),
        ("spatial", spatial),
        ("patch", patch),
        ("latent_channels", latent_channels),
    ):
        _whole(v, name)
    text_tokens = _whole(text_tokens, "text_tokens", low=0)
    frames = latent_frames(num_frames, temporal)
    for label, size in (("height", height), ("width", width)):
        if size % (spatial * patch):
            raise ValueError(
                f"{label} must be a multiple of spatial x patch = {spatial * patch} (the VAE shrinks "
                f"by {spatial}, then patches of {patch}); got {size}"
            )
    lat_h, lat_w = height // spatial, width // spatial
    video = frames * (lat_h // patch) * (lat_w // patch)
    return {
        "latent_frames": frames,
        "latent_height": lat_h,
        "latent_width": lat_w,
        "latent_shape": (latent_channels, frames, lat_h, lat_w),
        "patch_grid": (frames, lat_h // patch, lat_w // patch),
        "video_tokens": video,
        "text_tokens": text_tokens,
        "total_tokens": video + text_tokens,
        # Pixels per latent value: how much the VAE compresses before the transformer sees anything.
        "compression": num_frames * height * width * 3 / (latent_channels * frames * lat_h * lat_w),
    }


def attention_cost(
    tokens: int, hidden: int = 1920, layers: int = 30, heads: int = 30, frames: int | None = None
) -> dict:
    """What full self-attention over ``tokens`` costs in one forward pass of a ``layers``-deep transformer
    of width ``hidden`` with ``heads`` heads (defaults: CogVideoX-2B, 30 layers of 1920 = 30 heads x 64).

    Formulas (estimates: they count only the two matrix products of attention, not the Q/K/V and output
    projections, the MLPs, or the softmax):

    - ``entries_per_head``  = tokens²: one score per pair of tokens, per head and layer;
    - ``flops_per_layer``   = 2 · 2 · tokens² · hidden: the scores QKᵀ and the weighted sum AV are each
      tokens² · head_dim multiply-adds per head (2 FLOPs each), and heads · head_dim = hidden;
    - ``flops``             = layers · flops_per_layer;
    - ``fp16_bytes_per_head`` = 2 · tokens²: one attention matrix in fp16, if it were materialised
      (fused attention kernels avoid storing it, but still do the work).

    With ``frames``, ``tokens`` are taken as video tokens on that many latent frames (n = tokens / frames
    per frame), and the same quantities are given for *factorised* attention, as in the video models
    that CogVideoX moved away from: spatial attention within each frame (frames · n² entries) plus
    temporal attention across frames at each position (n · frames² entries), one of each per layer.
    ``full_over_factorised`` is how many times more attention entries full 3D attention computes.
    """
    tokens, hidden, layers, heads = (
        _whole(v, n) for v, n in ((tokens, "tokens"), (hidden, "hidden"), (layers, "layers"), (heads, "heads"))
    )
    if hidden % heads:
        raise ValueError(f"hidden ({hidden}) must be a multiple of heads ({heads})")
    entries = tokens * tokens
    out = {
        "tokens": tokens,
        "entries_per_head": entries,
        "flops_per_layer": 4 * entries * hidden,
        "flops": 4 * entries * hidden * layers,
        "fp16_bytes_per_head": 2 * entries,
        "fp16_bytes_per_layer": 2 * entries * heads,
    }
    if frames is not None:
        frames = _whole(frames, "frames")
        if tokens % frames:
            raise ValueError(
                f"tokens ({tokens}) must split evenly over {frames} frames to compare with "
                f"spatial + temporal attention; pass video tokens only (no text)"
            )
        per_frame = tokens // frames
        spatial, temporal = frames * per_frame**2, per_frame * frames**2
        out.update(
            {
                "tokens_per_frame": per_frame,
                "spatial_entries_per_head": spatial,
                "temporal_entries_per_head": temporal,
                "factorised_entries_per_head": spatial + temporal,
                "factorised_flops": 4 * (spatial + temporal) * hidden * layers,
                "full_over_factorised": entries / (spatial + temporal),
            }
        )
    return out


def _recorder(keep_tensors: bool):
    """An empty table of rows and the function that adds one: a stage, the shape of its tensor, the module
    that made it and what it is (with ``keep_tensors``, a CPU copy of the tensor too)."""
    rows: list[dict] = []

    def record(stage: str, t, module: str, what: str) -> None:
        row = {"stage": stage, "shape": tuple(t.shape), "module": module, "what": what}
        if keep_tensors:
            row["tensor"] = t.detach().float().cpu().clone()
        rows.append(row)

    return rows, record


def walkthrough(
    pipe=None,
    num_frames: int = 9,
    height: int = 32,
    width: int = 32,
    prompt: str = DEFAULT_PROMPT,
    seed: int = 0,
    timestep: int = 500,
    keep_tensors: bool = False,
) -> list[dict]:
    """One random clip through a CogVideoX text-to-video pipeline, one row per stage.

    Each row has ``stage``, ``shape`` (a tuple), ``module`` (the code that produced it) and ``what`` (one
    line); with ``keep_tensors`` also ``tensor``. The path is the model's training step, plus the decode
    that ends sampling: pixels -> VAE latent -> scaled -> noised at ``timestep`` -> the transformer's
    (B, F', C, h, w) layout -> text tokens -> T5 states -> patch tokens (text and video in one sequence)
    -> transformer output -> VAE decode. ``pipe`` defaults to ``wmlib.tiny.cogvideox(seed=seed)``, so
    the call needs no download; the real pipeline works too (on a GPU, with or without CPU offload).
    """
    import torch

    from wmlib.generation import check_video_request

    if pipe is None:
        from wmlib.tiny import cogvideox

        pipe = cogvideox(seed=seed)
    vae, transformer, tcfg = pipe.vae, pipe.transformer, pipe.transformer.config
    if tcfg.in_channels != vae.config.latent_channels:
        raise ValueError(
            f"walkthrough follows the text-to-video path: the transformer takes "
            f"{tcfg.in_channels} channels but the VAE makes {vae.config.latent_channels} "
            f"(an image-to-video pipeline adds the image latents); use a text-to-video pipeline"
        )
    max_text = tcfg.max_text_seq_length
    check_video_request(height, width, num_frames, prompt, pipe.tokenizer, max_text)
    steps = pipe.scheduler.config.num_train_timesteps
    if _whole(timestep, "timestep", low=0) >= steps:
        raise ValueError(f"timestep must be a whole number in 0..{steps - 1}; got {timestep!r}")

    from wmlib.env import model_device

    # Where the pipeline computes, not where the transformer's weights wait: under CPU offload they sit on the
    # CPU or on ``meta`` until a hook brings them to the GPU.
    device, dtype = model_device(pipe), transformer.dtype
    g = torch.Generator("cpu").manual_seed(seed)
    rows, record = _recorder(keep_tensors)

    with torch.no_grad():
        pixels = (torch.rand(1, 3, num_frames, height, width, generator=g) * 2 - 1).to(device, vae.dtype)
        record("pixels", pixels, "input", "a random clip in [-1, 1]: (batch, RGB, frames F, height H, width W)")

        latent = vae.encode(pixels).latent_dist.sample(generator=g)
        q, s = vae.config.temporal_compression_ratio, height // latent.shape[3]
        record(
            "VAE latent",
            latent,
            "vae.encode(...).latent_dist",
            f"3D causal VAE: first frame alone then {q}x in time, {s}x{s} in space: F' = (F-1)/{q}+1 = "
            f"{latent.shape[2]}, {height}/{s} x {width}/{s} = {latent.shape[3]} x {latent.shape[4]}",
        )

        scale = vae.config.scaling_factor
        scaled = latent * scale
        record(
            "scaled latent",
            scaled,
            "* vae.config.scaling_factor",
            f"times {scale:g}, to bring the latents near unit variance, the scale the noise schedule assumes",
        )

        noise = torch.randn(scaled.shape, generator=g).to(device, scaled.dtype)
        t = torch.tensor([timestep], device=device)
        noisy = pipe.scheduler.add_noise(scaled, noise, t)
        record(
            "noised latent",
            noisy,
            "scheduler.add_noise",
            f"training: the latent mixed with Gaussian noise at timestep {timestep}; "
            f"sampling starts from pure noise instead",
        )

        frames_first = noisy.permute(0, 2, 1, 3, 4).to(dtype)
        record(
            "transformer layout",
            frames_first,
            ".permute(0, 2, 1, 3, 4)",
            "the transformer wants frames before channels: (B, F', C, h, w)",
        )

        ids = pipe.tokenizer(
            prompt,
            padding="max_length",
            max_length=max_text,
            truncation=True,
            add_special_tokens=True,
            return_tensors="pt",
        ).input_ids.to(device)
        record("text token ids", ids, "tokenizer", f"the prompt padded to {max_text} tokens (226 in the real model)")

        text = pipe.text_encoder(ids)[0].to(dtype)
        record(
            "text states",
            text,
            "text_encoder (T5)",
            f"one {text.shape[-1]}-d vector per token (4096-d from T5-XXL in the real model)",
        )

        # The patch tokens are caught on their way through the transformer, not computed by calling
        # patch_embed alone: with model CPU offload only a call of the whole transformer brings it to the GPU.
        caught: list = []
        hook = transformer.patch_embed.register_forward_hook(lambda module, args, output: caught.append(output))
        try:
            out = transformer(hidden_states=frames_first, encoder_hidden_states=text, timestep=t, return_dict=False)[0]
        finally:
            hook.remove()
        tokens = caught[0]
        n_text = text.shape[1]
        n_video = tokens.shape[1] - n_text
        p = tcfg.patch_size
        record(
            "patch tokens",
            tokens,
            "transformer.patch_embed",
            f"{n_text} text + {n_video} video tokens in one sequence; video = F' x h/{p} x w/{p} = "
            f"{frames_first.shape[1]} x {frames_first.shape[3] // p} x {frames_first.shape[4] // p}",
        )
        rows[-1].update(text_tokens=n_text, video_tokens=n_video)

        record(
            "transformer output",
            out,
            "transformer(...)",
            "full 3D attention over all tokens, then the video tokens unpatchified: one prediction per "
            "latent value, the shape of its input",
        )

        # The clean latent stands in for the denoised one sampling would end with. As the pipeline's
        # decode_latents does: back to (B, C, F', h, w), undo the scaling, decode.
        final = scaled.permute(0, 2, 1, 3, 4)
        video = vae.decode((final.permute(0, 2, 1, 3, 4) / scale).to(vae.dtype)).sample
        record(
            "decoded pixels",
            video,
            "vae.decode",
            f"the (clean) latent decoded as the pipeline does at the end of sampling: "
            f"{video.shape[2]} = (F'-1) x {q} + 1 frames of {video.shape[3]} x {video.shape[4]}",
        )
    return rows


def show_walkthrough(rows: list[dict]) -> str:
    """The walkthrough as a plain-text table (stage, shape, what), for ``print`` in a notebook.
    (Plain text, because pandas is not a dependency of the course.)"""
    if not rows:
        raise ValueError("no stages to show; pass the rows of walkthrough()")
    cells = [(r["stage"], "(" + ", ".join(map(str, r["shape"])) + ")", r["what"]) for r in rows]
    widths = [max(len(c[k]) for c in cells + [("stage", "shape", "")]) for k in range(2)]
    lines = [f"{'stage':<{widths[0]}}  {'shape':<{widths[1]}}  what"]
    lines.append("-" * len(lines[0]))
    lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in cells]
    return "\n".join(lines)


def expert_adaln(pipe=None, seed: int = 0, timestep: int = 500, keep_tensors: bool = False) -> list[dict]:
    """The first transformer block's **expert adaptive LayerNorm**, stage by stage, as rows like
    ``walkthrough``'s (``stage``, ``shape``, ``module``, ``what``).

    The diffusion timestep is embedded (``time_proj``, ``time_embedding``), and one linear layer of the
    block (``norm1.linear``) turns it into six vectors: a shift, a scale and a gate for the video tokens
    and another three for the text tokens. Both modalities share the LayerNorm and the attention, but
    each is modulated by its own "expert" (Yang et al. 2025, section 2.2). ``pipe`` defaults to
    ``wmlib.tiny.cogvideox(seed=seed)``.
    """
    import torch

    if pipe is None:
        from wmlib.tiny import cogvideox

        pipe = cogvideox(seed=seed)
    transformer = pipe.transformer
    steps = pipe.scheduler.config.num_train_timesteps
    if _whole(timestep, "timestep", low=0) >= steps:
        raise ValueError(f"timestep must be a whole number in 0..{steps - 1}; got {timestep!r}")
    norm = transformer.transformer_blocks[0].norm1
    inner = norm.norm.normalized_shape[0]
    rows, record = _recorder(keep_tensors)

    with torch.no_grad():
        t = torch.tensor([timestep], device=transformer.device)
        features = transformer.time_proj(t).to(transformer.dtype)
        record(
            "timestep features",
            features,
            "transformer.time_proj",
            f"sinusoidal features of t = {timestep}, one per channel of the model's width ({inner})",
        )
        emb = transformer.time_embedding(features)
        record(
            "timestep embedding",
            emb,
            "transformer.time_embedding",
            f"an MLP down to time_embed_dim = {emb.shape[-1]} (512 in CogVideoX-2B)",
        )
        six = norm.linear(norm.silu(emb))
        record(
            "modulation",
            six,
            "transformer_blocks[0].norm1.linear",
            f"one linear layer: 6 x {inner} numbers from the timestep embedding",
        )
        names = ("video shift", "video scale", "video gate", "text shift", "text scale", "text gate")
        for name, part in zip(names, six.chunk(6, dim=1)):
            who = "the video tokens" if name.startswith("video") else "the text tokens"
            use = {
                "shift": "added after the LayerNorm both share",
                "scale": "the normalised tokens are multiplied by (1 + scale)",
                "gate": "scales the attention output before the residual add",
            }[name.split()[1]]
            record(name, part, "chunk(6)", f"for {who}: {use}")
    return rows


def rope_3d(head_dim: int = 64, frames: int = 13, height: int = 30, width: int = 45) -> dict:
    """CogVideoX-5B's **3D rotary position embedding** for a grid of ``frames`` x ``height`` x ``width``
    patch tokens (defaults: 49 frames of 480x720, 13 x 30 x 45 patches) and heads of ``head_dim`` channels.

    Each head's channels are split among the three axes, t: 2/8, and h and w: 3/8 each (diffusers'
    ``get_3d_rotary_pos_embed``), and each part is rotated by angles that grow with the token's position
    along its axis. Returns the split (``channels``: {"t", "h", "w"}), the number of ``tokens``, and the
    shapes of the ``cos`` and ``sin`` tables (one row per token, one column per channel). CogVideoX-2B
    uses fixed 3D sin-cos position embeddings instead; the 5B models and the image-to-video model use RoPE.
    """
    from diffusers.models.embeddings import get_3d_rotary_pos_embed

    head_dim = _whole(head_dim, "head_dim")
    if head_dim % 16:
        raise ValueError(
            f"head_dim must be a multiple of 16 (split 2:3:3 into eighths, each rotated in pairs); got {head_dim}"
        )
    frames, height, width = (_whole(v, n) for v, n in ((frames, "frames"), (height, "height"), (width, "width")))
    cos, sin = get_3d_rotary_pos_embed(head_dim, ((0, 0), (height, width)), (height, width), frames)
    return {
        "channels": {"t": head_dim // 4, "h": head_dim // 8 * 3, "w": head_dim // 8 * 3},
        "grid": (frames, height, width),
        "tokens": frames * height * width,
        "cos_shape": tuple(cos.shape),
        "sin_shape": tuple(sin.shape),
    }
