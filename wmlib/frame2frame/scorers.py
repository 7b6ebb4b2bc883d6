"""How a frame is scored in Frame2Frame's step 3: against the target caption, and against the source.

A scorer has two methods, both on frames (N, H, W, 3) float in [0, 1]:

- ``text_scores(frames, caption)``: (N,) how well each frame shows the caption (higher: more);
- ``image_similarity(frames, source)``: (N,) how close each frame stays to the source (higher: closer);

and two defaults for the selection rule: ``threshold`` (a text score that counts as "the edit is
done") and ``min_similarity``.

- ``ClipScorer``: CLIP's cosine similarities, image to text and image to image (the paper's CLIP and
  CLIP-I metrics); works with any ``transformers`` ``CLIPModel`` and its processor.
- ``ToyScorer``: for the toy world, where the scene is known. Its text score reads the objects back
  out of the frame (``probe``) and checks the caption's claim on them, softly: 0.5 exactly where the
  claim becomes true. Its similarity is one minus the mean absolute pixel difference.
"""

from __future__ import annotations

import numpy as np

SOFTNESS = 0.03  # metres: how sharply the toy text score rises from 0 to 1 around "the edit is done"


def _frames(frames) -> np.ndarray:
    frames = np.asarray(frames, np.float32)
    if frames.ndim == 3:
        frames = frames[None]
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be RGB, shaped (N, H, W, 3); got {frames.shape}")
    return frames


class ToyScorer:
    """Scores frames of edits of scene ``i`` of ``scene`` (the source's true state, which the toy world
    knows): the caption is read with ``edits.parse_target``."""

    threshold = 0.5
    # On the true videos of the edit benchmark no candidate frame falls below 0.90 (two large objects
    # sliding together change the most pixels); 0.85 turns away only frames that changed far more than
    # any edit here does.
    min_similarity = 0.85

    def __init__(self, scene, i: int = 0):
        from wmlib.frame2frame.probe import Probe

        self.scene, self.i = scene, i
        self.probe = Probe(scene, i)

    def margins(self, frames, caption: str) -> np.ndarray:
        """(N,) metres beyond what the caption asks (positive: done); -inf where an object it names is
        not found in the frame."""
        from wmlib.frame2frame.edits import margin, parse_target

        edit = parse_target(self.scene, self.i, caption)
        x, y, found = self.probe.read(_frames(frames))
        out = np.full(len(x), -np.inf)
        for t in range(len(x)):
            if found[t, list(edit.objects())].all():
                out[t] = margin(edit, x[t], y[t], self.probe.radius)
        return out

    def text_scores(self, frames, caption: str) -> np.ndarray:
        return 1 / (1 + np.exp(-self.margins(frames, caption) / SOFTNESS))

    def image_similarity(self, frames, source) -> np.ndarray:
        frames, source = _frames(frames), _frames(source)
        return 1 - np.abs(frames - source).mean(axis=(1, 2, 3))


class ClipScorer:
    """CLIP's image-text and image-image cosine similarities (``model``: a ``transformers`` CLIPModel on any
    device, ``processor``: its CLIPProcessor). The defaults are starting points, not the paper's (it picks
    frames with a VLM and has no threshold): with CLIP ViT-B/32 a caption that matches a photo usually
    has a cosine of 0.25 to 0.35, and the paper's edits keep a CLIP-I of 0.82 to 0.89 with their
    source (its Tables 1 and 2). Tune both on a few of your own edits."""

    threshold = 0.28
    min_similarity = 0.8

    def __init__(self, model, processor):
        self.model, self.processor = model.eval(), processor

    def _images(self, frames):
        import torch

        from wmlib.encoders import pooled
        from wmlib.env import to_model

        pixels = self.processor(images=list((_frames(frames) * 255).round().astype(np.uint8)), return_tensors="pt")
        with torch.no_grad():
            z = pooled(self.model.get_image_features(pixel_values=to_model(self.model, pixels["pixel_values"])))
        return torch.nn.functional.normalize(z.float(), dim=-1)

    def text_scores(self, frames, caption: str) -> np.ndarray:
        import torch

        from wmlib.encoders import pooled
        from wmlib.env import to_model

        if not isinstance(caption, str) or not caption.strip():
            raise ValueError("the caption must be a non-empty string")
        text = self.processor(text=[caption], return_tensors="pt", padding=True)
        with torch.no_grad():
            t = pooled(self.model.get_text_features(**to_model(self.model, text)))
        t = torch.nn.functional.normalize(t.float(), dim=-1)
        return (self._images(frames) @ t.T)[:, 0].cpu().numpy()

    def image_similarity(self, frames, source) -> np.ndarray:
        return (self._images(frames) @ self._images(source).T)[:, 0].cpu().numpy()

    def features(self, frames) -> np.ndarray:
        """(N, D) unit-length CLIP image features: what the manifold picture projects."""
        return self._images(frames).cpu().numpy()
