"""Video generation in the toy world (notebook 04): the landscape of world models, diffusion, a toy
text-to-video model that learns the world's physics, and CogVideoX's anatomy.

Modules, kept apart the way ``diffusers`` keeps them:

- ``clips``: the training videos (one thrown object, an orthographic camera, captions, a tokenizer);
- ``autoencoder``: the frame autoencoder (pixels to a small latent grid and back);
- ``transformer``: the denoiser, an expert transformer over text and frame tokens;
- ``pipeline``: ``ToyTextToVideoPipeline``, caption in, frames out, with ``diffusers`` schedulers;
- ``train``: the command that trains and ships ``data/models/toy-video`` (and ``toy-t2v`` before it);
- ``diffusion``: the sampler opened up: noising, the v target, a DDIM trace, the guidance sweep;
- ``physics``: measuring a generated video (tracking, fitted gravity, the judge of colour and shape) and
  the instruments' controls (true videos through the autoencoder, frames shuffled);
- ``benchmark``: the figures of a group of videos with their 95% intervals, as ``benchmarks/video.py``
  prints them;
- ``generalisation``: continuing held-out clips from their first frames, in and out of the training
  distribution (Kang et al. 2024);
- ``landscape``: the survey's map of 3D/4D world models (Kong et al. 2025);
- ``anatomy``: a tiny CogVideoX opened up, and the arithmetic of the real one.
"""
