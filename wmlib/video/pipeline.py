"""``ToyTextToVideoPipeline``: a caption in, a video of the toy world out.

The same three parts as ``diffusers``' ``CogVideoXPipeline``, at toy size: a text side (here a word
tokenizer; CogVideoX has T5), a denoiser over latents (``transformer.ToyVideoTransformer``) stepped by a
``diffusers`` DDIM scheduler with v-prediction, and a decoder from latents to pixels
(``autoencoder.FrameAutoencoder``). Classifier-free guidance mixes a prediction with the caption and
one without it, as CogVideoX does (guidance 6 there).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wmlib.video import autoencoder as ae_mod
from wmlib.video import transformer as tr_mod
from wmlib.video.clips import known_words, tokenize
from wmlib.world.studio import FRAMES, SIZE

SCHEDULER = dict(
    num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction", clip_sample=False
)


def scheduler(kind: str = "ddim"):
    """The noise schedule: cosine (Nichol and Dhariwal 2021), 1000 steps, v-prediction. ``kind``:
    ``ddpm`` (training: ``add_noise``, ``get_velocity``) or ``ddim`` (sampling, trailing spacing, eta 0)."""
    from diffusers import DDIMScheduler, DDPMScheduler

    if kind == "ddpm":
        return DDPMScheduler(**SCHEDULER)
    if kind == "ddim":
        return DDIMScheduler(**SCHEDULER, timestep_spacing="trailing", set_alpha_to_one=False)
    raise ValueError(f"unknown scheduler kind {kind!r}; allowed: ddpm, ddim")


def _part(state: dict, prefix: str, keep_prefix: bool = False) -> dict:
    """The entries of one model in a state dict that holds several, with their prefix taken off (or kept)."""
    return {k if keep_prefix else k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}


class ToyTextToVideoPipeline:
    """Generate toy-world videos from captions. Load the shipped one with ``wmlib.load("toy-t2v")`` or
    ``ToyTextToVideoPipeline.from_pretrained("data/models/toy-t2v")``."""

    def __init__(
        self,
        transformer,
        autoencoder,
        vocabulary: list[str],
        latent_scale: float,
        text_length: int,
        frames: int = FRAMES,
        first_frames: tuple[int, ...] = (),
    ):
        self.transformer = transformer.eval()
        self.autoencoder = autoencoder.eval()
        self.vocabulary = list(vocabulary)
        self.latent_scale = float(latent_scale)
        self.text_length = int(text_length)
        self.frames = int(frames)
        # How many given frames a model that continues videos accepts (empty: a caption-only model).
        self.first_frames = tuple(int(c) for c in first_frames)
        if self.first_frames and getattr(transformer, "condition_channels", 0) != transformer.latent_shape[0] + 1:
            raise ValueError("a model that continues given frames needs condition_channels = latent channels + 1")
        self.scheduler = scheduler("ddim")

    # --- saving and loading ----------------------------------------------------------------------

    def config(self) -> dict:
        autoencoder = {"latent_channels": self.autoencoder.latent_channels, "width": self.autoencoder.width}
        if getattr(self.autoencoder, "plate", False):
            autoencoder["plate"] = True
        config = {
            "transformer": self.transformer.config,
            "autoencoder": autoencoder,
            "vocabulary": self.vocabulary,
            "latent_scale": self.latent_scale,
            "text_length": self.text_length,
            "frames": self.frames,
            "scheduler": SCHEDULER,
        }
        if self.first_frames:  # only written when used, so caption-only configs stay as they were
            config["first_frames"] = list(self.first_frames)
        return config

    def save_pretrained(
        self, folder: str | Path, weights: str = "model.safetensors", half: bool = False, autoencoder: bool = True
    ) -> None:
        """Write ``config.json`` and the weights (transformer and autoencoder in one safetensors file;
        ``half``: in float16, half the size; ``autoencoder=False``: the transformer alone, for a snapshot
        that shares the autoencoder of ``model.safetensors`` beside it)."""
        from wmlib.checkpoints import save_weights

        state = {f"transformer.{k}": v for k, v in self.transformer.state_dict().items()}
        if autoencoder:
            state |= {f"autoencoder.{k}": v for k, v in self.autoencoder.state_dict().items()}
        save_weights(folder, state, weights, config=self.config(), half=half)

    @classmethod
    def from_pretrained(cls, folder: str | Path, weights: str = "model.safetensors") -> "ToyTextToVideoPipeline":
        """Load a saved pipeline; ``weights`` picks the file (``control.safetensors``: the undertrained
        snapshot the shipped checkpoint keeps as a control)."""
        from wmlib.checkpoints import load_weights, read_config

        config = read_config(folder)
        tc = dict(config["transformer"])
        transformer = tr_mod.build(tc.pop("vocab_size"), **tc)
        autoencoder = ae_mod.build(**config["autoencoder"])
        state = load_weights(folder, weights)
        if not any(k.startswith("autoencoder.") for k in state):
            # a control snapshot ships its transformer alone: the frozen autoencoder is the model's
            state |= _part(load_weights(folder), "autoencoder.", keep_prefix=True)
        transformer.load_state_dict(_part(state, "transformer."))
        autoencoder.load_state_dict(_part(state, "autoencoder."))
        extra = {"first_frames": config["first_frames"]} if "first_frames" in config else {}
        return cls(
            transformer,
            autoencoder,
            config["vocabulary"],
            config["latent_scale"],
            config["text_length"],
            config["frames"],
            **extra,
        )

    @property
    def device(self):
        """Where the transformer's weights are (move the pipeline with ``to``)."""
        return next(self.transformer.parameters()).device

    def to(self, device) -> "ToyTextToVideoPipeline":
        """Move the transformer and the autoencoder to ``device``, as ``diffusers`` pipelines do."""
        self.transformer.to(device)
        self.autoencoder.to(device)
        return self

    def eval(self) -> "ToyTextToVideoPipeline":
        return self  # already in eval mode; here so that ``wmlib.load`` can treat it like a model

    # --- generating ------------------------------------------------------------------------------

    def known_words(self) -> list[str]:
        """The words and punctuation marks the model has read: the only ones a prompt may use."""
        return known_words(self.vocabulary)

    def tokens(self, prompts: list[str]):
        """(B, text_length) token ids of ``prompts``. Raises ValueError for an empty prompt, one too long,
        or one with a word the model never read (say "magenta"), naming it and the words the model knows:
        silently reading it as ``<unk>`` would draw some other colour and look like the model's mistake."""
        import torch

        for p in prompts:
            if not isinstance(p, str) or not p.strip():
                raise ValueError("every prompt must be a non-empty string")
        return torch.from_numpy(tokenize(prompts, self.vocabulary, self.text_length, strict=True))

    def check_settings(self, prompts: list[str], num_inference_steps, guidance_scale) -> None:
        """Raise ValueError, in one sentence, for settings the sampler cannot use."""
        if not prompts:
            raise ValueError("give at least one prompt")
        if not isinstance(num_inference_steps, (int, np.integer)) or not 1 <= num_inference_steps <= 1000:
            raise ValueError(f"num_inference_steps must be an int from 1 to 1000, got {num_inference_steps!r}")
        if not guidance_scale >= 1:
            raise ValueError(f"guidance_scale must be >= 1 (1 means no guidance), got {guidance_scale!r}")

    def sample(
        self,
        tokens,
        condition=None,
        num_inference_steps: int = 25,
        guidance_scale: float = 4.0,
        seed: int = 0,
        progress: bool = False,
        callback=None,
        start=None,
        strength: float = 1.0,
    ):
        """The denoising loop every toy pipeline shares: latents (B, T, C, h, w) from noise, given token ids
        (B, L) and, for a model that takes one, a ``condition`` joined to the latents channel-wise.

        With ``start`` (latents (B, T, C, h, w)) it is SDEdit (Meng et al., 2022): ``start`` is noised to
        ``strength`` of the way and only the last ``strength`` of the steps run, as ``diffusers``' img2img
        pipelines do; the noise is the one this seed draws from pure noise, so a paired comparison shares it.

        Classifier-free guidance runs the caption and the empty caption side by side; both keep the
        condition (the frames a video must start from are not part of the prompt being guided).
        ``callback(i, t, x_t, step)``, if given, sees every step: its index, timestep, the sample it starts
        from and the scheduler's output (``pred_original_sample`` is the clean video predicted there)."""
        import torch

        from wmlib.progress import progress as bar

        device = self.device
        shape = (len(tokens), self.frames, *self.transformer.latent_shape)
        # The noise is drawn on the CPU, so that a seed gives the same videos on every device.
        noise = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        tokens = tokens.to(device)
        condition = None if condition is None else condition.to(device)
        sched = self.scheduler
        sched.set_timesteps(num_inference_steps)
        timesteps = sched.timesteps
        if start is None:
            x = noise.to(device)
        else:
            if not 0 < strength <= 1:
                raise ValueError(f"strength must be in (0, 1], got {strength!r}")
            timesteps = timesteps[num_inference_steps - max(1, round(num_inference_steps * strength)) :]
            x = sched.add_noise(start.cpu(), noise, timesteps[:1]).to(device)
        guided = guidance_scale != 1
        both = torch.cat([tokens, torch.zeros_like(tokens)]) if guided else tokens
        if condition is not None and guided:
            condition = torch.cat([condition, condition])
        with torch.no_grad():
            for i, t in enumerate(bar(timesteps, desc="denoising", show=progress)):
                inp = torch.cat([x, x]) if guided else x
                v = self.transformer(inp, both, torch.full((len(inp),), int(t), device=device), condition)
                if guided:
                    cond, uncond = v.chunk(2)
                    v = uncond + guidance_scale * (cond - uncond)
                step = sched.step(v, t, x)
                if callback is not None:
                    callback(i, int(t), x, step)
                x = step.prev_sample
        return x

    def first_frame_condition(self, first_frames, batch: int):
        """The condition of a model that continues given frames (``first_frames`` in its config): the
        first c frames' latents, and a mask channel that is 1 on those frames (Kang et al. 2024, section
        2.2, after MCVD). ``first_frames``: (B, c, H, W, 3) in [0, 1], or None for c = 0."""
        import torch

        C, h, w = self.transformer.latent_shape
        condition = torch.zeros(batch, self.frames, C + 1, h, w)
        if first_frames is not None and np.ndim(first_frames) != 5:
            raise ValueError(f"first_frames must be shaped (B, c, H, W, 3), got {np.shape(first_frames)}")
        c = 0 if first_frames is None else np.shape(first_frames)[1]
        if c not in self.first_frames:
            raise ValueError(f"this model continues {' or '.join(map(str, self.first_frames))} given frames, not {c}")
        if c == 0:
            return condition
        frames = np.asarray(first_frames, np.float32)
        if len(frames) != batch or frames.shape[2:] != (SIZE, SIZE, 3):
            raise ValueError(
                f"first_frames must be shaped ({batch}, c, {SIZE}, {SIZE}, 3), one clip per prompt; got {frames.shape}"
            )
        if not np.isfinite(frames).all() or frames.min() < 0 or frames.max() > 1:
            raise ValueError("first_frames must be float values in [0, 1]")
        with torch.no_grad():
            z = self.autoencoder.encode(torch.from_numpy(frames).flatten(0, 1).permute(0, 3, 1, 2).to(self.device))
        condition[:, :c, :C] = z.view(batch, c, C, h, w).cpu() * self.latent_scale
        condition[:, :c, C] = 1.0
        return condition

    def condition(self, first_frames, batch: int):
        """What the transformer gets beside the noisy latents: None for a caption-only model, else the
        ``first_frame_condition`` of ``first_frames`` (None: no frames given, c = 0)."""
        if self.first_frames:
            return self.first_frame_condition(first_frames, batch)
        if first_frames is not None:
            raise ValueError("this model makes videos from a caption alone; it takes no first_frames")
        return None

    def __call__(
        self,
        prompt: str | list[str],
        num_inference_steps: int = 25,
        guidance_scale: float = 4.0,
        seed: int = 0,
        return_latents: bool = False,
        progress: bool = False,
        first_frames=None,
    ):
        """Frames (B, T, H, W, 3) float32 in [0, 1], one video per prompt (the same for the same seed).

        ``guidance_scale`` 1 turns classifier-free guidance off; ``num_inference_steps`` DDIM steps.
        ``first_frames`` (B, c, H, W, 3): for a model that continues given frames, the frames its videos
        start with (c = 1: image-to-video; c = 3: prediction)."""
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        self.check_settings(prompts, num_inference_steps, guidance_scale)
        tokens = self.tokens(prompts)
        condition = self.condition(first_frames, len(prompts))
        latents = self.sample(tokens, condition, num_inference_steps, guidance_scale, seed, progress)
        if self.first_frames and first_frames is not None:
            # The given frames are the video's first frames (as in Kang et al.'s evaluation): the model was
            # trained to make only the others, and what it draws in their place is not part of its answer.
            c = np.shape(first_frames)[1]
            latents[:, :c] = condition[:, :c, :-1].to(latents.device)
        frames = self.decode(latents)
        return (frames, latents) if return_latents else frames

    def decode(self, latents) -> np.ndarray:
        """Latents (B, T, C, h, w), in the denoiser's scale, to frames (B, T, H, W, 3) in [0, 1]."""
        import torch

        B, T = latents.shape[:2]
        with torch.no_grad():
            x = self.autoencoder.decode(latents.reshape(B * T, *latents.shape[2:]).to(self.device) / self.latent_scale)
        x = x.clamp(0, 1).permute(0, 2, 3, 1).reshape(B, T, *x.shape[2:], 3)
        return x.cpu().numpy()
