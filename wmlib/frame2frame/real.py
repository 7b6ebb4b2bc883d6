"""Frame2Frame with the paper's video model: CogVideoX-5b-I2V, with its pre- and post-processing.

Rotstein et al. (2025, §5.1 and App. E) run CogVideoX-I2V at its native 720x480 on square images:
resize the source to 480x480, pad it with black to 720x480 (120 pixels each side), generate 49 frames
with 50 DDIM steps and guidance 6, then crop the central 480x480 of the chosen frame (they resize to
512x512 for their metrics). ``CogVideoXEditor`` wraps a ``diffusers`` ``CogVideoXImageToVideoPipeline``
(``wmlib.load("cogvideox-5b-i2v")`` in mode ``real``) so that ``select.frame2frame`` can call it like
the toy pipeline: (image, prompt, seed) in, frames of the source's size out.
"""

from __future__ import annotations

import numpy as np

PAPER = {"num_frames": 49, "num_inference_steps": 50, "guidance_scale": 6.0, "height": 480, "width": 720}


def _to_pil(image):
    from PIL import Image

    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"the image must be RGB (H, W, 3); got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = (np.clip(arr.astype(np.float32), 0, 1) * 255).round().astype(np.uint8)
    return Image.fromarray(arr)


def center_square(image):
    """The largest centred square of ``image`` (a PIL image or an (H, W, 3) array), as the same kind: the
    paper's sources are square, and squashing a 451x300 photo into a square would distort it."""
    arr = np.asarray(image)
    h, w = arr.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    if hasattr(image, "crop"):  # PIL
        return image.crop((left, top, left + side, top + side))
    return arr[top : top + side, left : left + side]


def pad_to_video(image, height: int = 480, width: int = 720):
    """The paper's input: a square ``image`` resized to ``height`` x ``height`` and padded with black on the
    left and right to ``width`` x ``height`` (a PIL image). Crop other images first (``center_square``)."""
    from PIL import Image

    if width < height:
        raise ValueError(f"the video must be at least as wide as it is high, got {width}x{height}")
    h, w = np.shape(image)[:2]
    if h != w:
        raise ValueError(
            f"the source must be square, as the paper's are (it is resized to {height}x{height}); "
            f"got {w}x{h}: crop it first with center_square(image)"
        )
    square = _to_pil(image).resize((height, height), Image.BICUBIC)
    canvas = Image.new("RGB", (width, height), "black")
    canvas.paste(square, ((width - height) // 2, 0))
    return canvas


def crop_back(frames: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """The central square of each frame (…, H, W, 3), resized to ``size`` (H, W) when given."""
    from PIL import Image

    frames = np.asarray(frames, np.float32)
    h, w = frames.shape[-3:-1]
    left = (w - h) // 2
    square = frames[..., left : left + h, :]
    if size is None or tuple(size) == (h, h):
        return square
    flat = square.reshape(-1, h, h, 3)
    out = [np.asarray(_to_pil(f).resize((size[1], size[0]), Image.BICUBIC), np.float32) / 255 for f in flat]
    return np.stack(out).reshape(*square.shape[:-3], size[0], size[1], 3)


class CogVideoXEditor:
    """``(image, prompt, seed)`` -> frames (1, T, H, W, 3) in [0, 1] of the (square) image's size, through a
    ``CogVideoXImageToVideoPipeline`` with the paper's settings (``PAPER``; override any of them)."""

    def __init__(self, pipe, **settings):
        unknown = set(settings) - set(PAPER)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; allowed: {', '.join(PAPER)}")
        from diffusers import CogVideoXImageToVideoPipeline

        if not isinstance(pipe, CogVideoXImageToVideoPipeline):
            raise TypeError(
                f"CogVideoXEditor needs a diffusers CogVideoXImageToVideoPipeline "
                f"(wmlib.load('cogvideox-5b-i2v') in mode real); got a {type(pipe).__name__}, which "
                f"select.frame2frame takes as it is"
            )
        self.pipe = pipe
        self.settings = PAPER | settings

    def __call__(self, image, prompt: str, seed: int = 0, progress: bool = True) -> np.ndarray:
        """Generate from ``image`` (square, RGB) and ``prompt``. ``progress`` shows the denoising steps'
        progress bar (50 steps of a 5B model take minutes). A CUDA out-of-memory error becomes
        ``generation.OutOfMemory``, naming the memory option to load with instead."""
        from wmlib.generation import generate

        if image is None:
            raise ValueError("CogVideoX-I2V needs a source image")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("the prompt must be a non-empty string")
        source = np.asarray(image)
        s = self.settings
        self.pipe.set_progress_bar_config(disable=not progress)
        frames = generate(
            self.pipe,
            prompt,
            image=pad_to_video(source, s["height"], s["width"]),
            height=s["height"],
            width=s["width"],
            num_frames=s["num_frames"],
            num_inference_steps=s["num_inference_steps"],
            guidance_scale=s["guidance_scale"],
            seed=seed,
        )
        return crop_back(np.asarray(frames, np.float32)[None], source.shape[:2])  # (1, T, H, W, 3)
