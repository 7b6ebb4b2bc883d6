"""Running a video pipeline safely: check the request before any model runs, and turn a CUDA
out-of-memory error into advice that names the memory option that would fit."""

from __future__ import annotations

import numpy as np

from wmlib.preflight import OPTIONS

SPATIAL_MULTIPLE = 16  # CogVideoX's VAE shrinks by 8 and its transformer patches by 2


class OutOfMemory(RuntimeError):
    """The GPU ran out of memory; the message says which memory option to load with instead."""


def check_video_request(
    height: int,
    width: int,
    num_frames: int,
    prompt: str | None = None,
    tokenizer=None,
    max_sequence_length: int | None = None,
    image=None,
) -> None:
    """Raise ValueError, saying what is allowed, for a request CogVideoX cannot honour."""
    for label, value in (("height", height), ("width", width)):
        if not isinstance(value, (int, np.integer)) or value <= 0 or value % SPATIAL_MULTIPLE:
            nearest = (
                max(SPATIAL_MULTIPLE, int(round(value / SPATIAL_MULTIPLE)) * SPATIAL_MULTIPLE)
                if isinstance(value, (int, float, np.integer)) and value > 0
                else SPATIAL_MULTIPLE
            )
            raise ValueError(
                f"{label} must be a positive multiple of {SPATIAL_MULTIPLE} (the VAE shrinks frames "
                f"by 8 and the transformer cuts them into 2x2 patches); got {value!r}, try {nearest}"
            )
    if not isinstance(num_frames, (int, np.integer)) or num_frames < 1 or (num_frames - 1) % 8:
        raise ValueError(
            f"num_frames must be of the form 8k+1 (9, 17, 25, 33, 41 or 49: the VAE keeps the first "
            f"frame and compresses the rest 4x in time); got {num_frames!r}"
        )
    if prompt is not None:
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("the prompt must be a non-empty string")
        if tokenizer is not None and max_sequence_length is not None:
            n = len(tokenizer(prompt, add_special_tokens=True)["input_ids"])
            if n > max_sequence_length:
                raise ValueError(
                    f"the prompt is {n} tokens long but the text encoder takes at most "
                    f"{max_sequence_length}; shorten it by {n - max_sequence_length} tokens"
                )
    if image is not None:
        _check_rgb(image)


def _check_rgb(image) -> None:
    mode = getattr(image, "mode", None)
    if mode is not None:
        if mode != "RGB":
            raise ValueError(
                f"the start image must be RGB; got a PIL image in mode {mode!r} (use image.convert('RGB'))"
            )
        return
    shape = tuple(np.shape(image))
    if len(shape) != 3 or shape[-1] != 3:
        raise ValueError(f"the start image must be RGB: a PIL image, or an array of shape (H, W, 3); got shape {shape}")


def generate(
    pipe,
    prompt: str,
    *,
    height: int,
    width: int,
    num_frames: int,
    num_inference_steps: int = 50,
    guidance_scale: float = 6.0,
    seed: int = 0,
    image=None,
    **kwargs,
) -> np.ndarray:
    """Frames (T, H, W, 3) float32 in [0, 1] from a CogVideoX (image-to-)video pipeline, after checking
    the request. A CUDA out-of-memory error becomes ``OutOfMemory`` naming the option that would fit."""
    import torch

    max_len = getattr(getattr(pipe, "transformer", None), "config", None)
    max_len = getattr(max_len, "max_text_seq_length", None)
    check_video_request(height, width, num_frames, prompt, getattr(pipe, "tokenizer", None), max_len, image)
    call = dict(
        prompt=prompt,
        height=height,
        width=width,
        num_frames=num_frames,
        num_inference_steps=num_inference_steps,
        guidance_scale=guidance_scale,
        generator=torch.Generator("cpu").manual_seed(seed),
        output_type="np",
        **kwargs,
    )
    if max_len is not None:
        call.setdefault("max_sequence_length", max_len)
    if image is not None:
        call["image"] = image
    try:
        return pipe(**call).frames[0]
    except torch.cuda.OutOfMemoryError as err:
        raise OutOfMemory(oom_advice(getattr(pipe, "wmlib_plan", None), height, width, num_frames)) from err


def oom_advice(plan, height: int, width: int, num_frames: int) -> str:
    """What to do after running out of GPU memory with ``plan``'s memory option."""
    current = getattr(plan, "memory", "none")
    lighter = OPTIONS[OPTIONS.index(current) + 1 :] if current in OPTIONS else OPTIONS[1:]
    head = f"the GPU ran out of memory generating {num_frames} frames of {width}x{height}"
    if lighter:
        return (
            f"{head} with memory option {current!r}; load the pipeline with memory={lighter[0]!r} "
            f"(wmlib.load(..., memory={lighter[0]!r})), or generate fewer or smaller frames"
        )
    return f"{head} even with sequential CPU offload; generate fewer or smaller frames"
