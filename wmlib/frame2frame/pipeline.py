"""``ToyImageToVideoPipeline``: a start frame and a caption in, a video of the toy world out.

Frame2Frame's step 2 at toy size. It is the toy text-to-video pipeline (``wmlib.video.pipeline``) with a
start image: the image is encoded by the same autoencoder and its latent is concatenated with the noisy
latents channel by channel, so the transformer sees it at every denoising step. CogVideoX-I2V puts the
image latent in the first latent frame only and pads the others with zeros; Stable Video Diffusion
(Blattmann et al., 2023) repeats it in every frame. The toy model repeats it, so that each video token
has the source at its own place in the picture (a trial run trained the CogVideoX way kept fewer
bystanders; that run is not shipped, so no figure of it is given here).

Guidance mixes the prediction with the caption and one without it; both keep the image, as in
``diffusers``' ``CogVideoXImageToVideoPipeline``. Trained with the image dropped 10% of the time, the
model can also start from the caption alone (``image=None``): the one-jump baseline of the benchmark.

``sdedit`` is the one-jump editor that does see the source (Meng et al., 2022, SDEdit): the source's
latent, as a still video, is noised part of the way (``strength``) and denoised with a caption, and the
last frame is the edit.
"""

from __future__ import annotations

import numpy as np

from wmlib.video.pipeline import ToyTextToVideoPipeline
from wmlib.world.studio import FRAMES, SIZE


def as_images(image, size: int = SIZE) -> np.ndarray:
    """``image`` (H, W, 3) or (B, H, W, 3), float in [0, 1] or uint8, as float32 (B, H, W, 3).

    Raises ValueError, saying what is wrong, for anything else: not RGB, the wrong size, values out of
    range."""
    arr = np.asarray(image)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(f"the image must be RGB, shaped (H, W, 3) or (B, H, W, 3); got shape {np.shape(image)}")
    if arr.shape[1:3] != (size, size):
        raise ValueError(f"the toy model makes {size}x{size} videos; the image is {arr.shape[1]}x{arr.shape[2]}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"the image must be float in [0, 1] or uint8, got {arr.dtype}")
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
        raise ValueError("a float image must have values in [0, 1]")
    return arr


class ToyImageToVideoPipeline(ToyTextToVideoPipeline):
    """Generate toy-world videos that start from an image. Load the shipped one with
    ``wmlib.load("toy-i2v")`` or ``ToyImageToVideoPipeline.from_pretrained("data/models/toy-i2v")``."""

    def __init__(self, transformer, autoencoder, vocabulary, latent_scale, text_length, frames=FRAMES):
        if not getattr(transformer, "condition_channels", 0):
            raise ValueError("an image-to-video pipeline needs a transformer built with condition_channels")
        super().__init__(transformer, autoencoder, vocabulary, latent_scale, text_length, frames)

    def _tokens(self, prompts: list[str], strict: bool):
        import torch

        from wmlib.video.clips import tokenize

        if strict:
            return self.tokens(prompts)
        if not all(isinstance(p, str) and p.strip() for p in prompts):
            raise ValueError("every prompt must be a non-empty string")
        return torch.from_numpy(tokenize(prompts, self.vocabulary, self.text_length))

    def encode(self, images: np.ndarray):
        """Images (B, H, W, 3) in [0, 1] to latents (B, C, h, w) in the denoiser's scale."""
        import torch

        with torch.no_grad():
            z = self.autoencoder.encode(torch.from_numpy(images).permute(0, 3, 1, 2).to(self.device))
        return z.cpu() * self.latent_scale

    def __call__(
        self,
        image,
        prompt: str | list[str],
        num_inference_steps: int = 25,
        guidance_scale: float = 4.0,
        seed: int = 0,
        return_latents: bool = False,
        progress: bool = False,
        strict: bool = True,
    ):
        """Frames (B, T, H, W, 3) float32 in [0, 1]: one video per prompt, starting from ``image`` (one
        image for all prompts, or one per prompt; ``None``: from the caption alone). ``strict=False``
        reads words the model never read as ``<unk>`` instead of refusing the prompt."""
        import torch

        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        self.check_settings(prompts, num_inference_steps, guidance_scale)
        tokens = self._tokens(prompts, strict)
        B = len(prompts)
        shape = (B, self.frames, *self.transformer.latent_shape)
        condition = torch.zeros(shape)
        if image is not None:
            images = as_images(image)
            if len(images) not in (1, B):
                raise ValueError(f"give one image, or one per prompt: {len(images)} images for {B} prompts")
            condition[:] = self.encode(images)[:, None].expand(B, *shape[1:])  # the start frame, in every frame
        x = self.sample(tokens, condition, num_inference_steps, guidance_scale, seed, progress)
        frames = self.decode(x)
        return (frames, x) if return_latents else frames

    def sdedit(
        self,
        image,
        prompt: str | list[str],
        strength: float,
        num_inference_steps: int = 25,
        guidance_scale: float = 4.0,
        seed: int = 0,
        keep_image: bool = False,
        strict: bool = True,
        return_latents: bool = False,
    ):
        """SDEdit (Meng et al., 2022) with this model: frames (B, T, H, W, 3) denoised from the source.

        The source's latent, repeated in every frame (a still video of it), is noised to ``strength`` of
        the way (0.3: the last 30% of the ``num_inference_steps`` DDIM steps are run; 1: from almost pure
        noise) and denoised with the caption, as ``diffusers``' img2img pipelines do. The source reaches
        the result only through that noised start unless ``keep_image`` also gives it as the start-frame
        condition. ``strict=False`` reads words the model never read as ``<unk>`` instead of refusing them
        (the temporal-caption ablation feeds it raw target captions)."""
        import torch

        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        self.check_settings(prompts, num_inference_steps, guidance_scale)
        if not 0 < strength <= 1:
            raise ValueError(f"strength must be in (0, 1], got {strength!r}")
        tokens = self._tokens(prompts, strict)
        images = as_images(image)
        B = len(prompts)
        if len(images) not in (1, B):
            raise ValueError(f"give one image, or one per prompt: {len(images)} images for {B} prompts")
        shape = (B, self.frames, *self.transformer.latent_shape)
        still = self.encode(images)[:, None].expand(*shape).contiguous()
        condition = still if keep_image else torch.zeros(shape)
        x = self.sample(tokens, condition, num_inference_steps, guidance_scale, seed, start=still, strength=strength)
        frames = self.decode(x)
        return (frames, x) if return_latents else frames
