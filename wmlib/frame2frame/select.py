"""Frame2Frame's step 3, the frame selection, and ``frame2frame``: the three steps in one call.

A strategy looks at the candidate frames (every 4th frame of the video, as in the paper) and returns
a ``Choice``: which candidate, or none (then the source is kept), and why. Three are here, and any
function with the same signature is a fourth:

- ``last_frame``: the end of the video (the paper's ablation, Table S5);
- ``earliest_satisfying``: the earliest candidate whose text score clears a threshold while it stays
  close to the source; the paper's goal, "the earliest timestep t that achieves the desired edit",
  with a scorer in place of its VLM;
- ``vlm_judge``: the paper's own rule, for users who bring a vision-language model: a collage of the
  source above the numbered candidates, and the paper's exact question (``SELECTION_INSTRUCTION``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# The paper's exact instruction to the VLM (Rotstein et al. 2025, App. C); CAPTION is the target caption
# and 12 the number of candidates.
SELECTION_INSTRUCTION = (
    "The image displays the source photo at the top, with a collage of 12 edited versions beneath it. The target "
    'edit image caption was: "CAPTION". Your task is to choose the image from 1 to 12 that best follows this edit '
    "fully and naturally. If none of the images follows the edit, select image 0. If multiple images follow the "
    "edit equally, prioritize the one with the lowest number possible. Avoid selecting images that appear to follow "
    "the edit but are not edits of the original image. Additionally, avoid images where camera motion, zoom, or "
    "image quality differs significantly, or where the content does not appear stable relative to the original "
    'source. Respond with: "The selected edit is:x" where x is the number of your chosen edit.'
)

EVERY = 4  # the paper samples every 4th of 49 frames: 12 candidates


@dataclass(frozen=True)
class Choice:
    """A strategy's answer: ``candidate`` (an index into the candidates) or None for "keep the source",
    and the ``reason`` in words."""

    candidate: int | None
    reason: str


@dataclass
class Frame2FrameResult:
    """Everything ``frame2frame`` saw and chose."""

    frame: np.ndarray  # the edited image (the source itself when nothing satisfied)
    frame_index: int | None  # its index in the video, None when it is the source
    reason: str
    temporal_caption: str
    video: np.ndarray  # (T, H, W, 3) the whole generated video
    candidates: np.ndarray  # frame indices of the candidates
    text_scores: np.ndarray  # one per candidate
    similarities: np.ndarray  # one per candidate
    source: np.ndarray | None = None  # the image the edit started from
    extra: dict = field(default_factory=dict)


def candidate_indices(frames: int, every: int = EVERY) -> np.ndarray:
    """Every ``every``-th frame, counting from 1 as the paper does (frames 4, 8, ... of 1..T), as
    0-based indices: 16 frames give [3, 7, 11, 15]; 49 give 12 candidates."""
    if not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be a positive int, got {every!r}")
    if frames < every:
        raise ValueError(f"a video of {frames} frames has no candidate every {every} frames")
    return np.arange(every - 1, frames, every)


def last_frame() -> Callable:
    """The last candidate, always."""

    def choose(scores, similarities, **_) -> Choice:
        return Choice(len(scores) - 1, "the last frame")

    choose.__name__ = "last frame"
    return choose


def earliest_satisfying(threshold: float | None = None, min_similarity: float | None = None) -> Callable:
    """The earliest candidate with text score >= ``threshold`` and similarity to the source >=
    ``min_similarity`` (defaults: the scorer's); none (keep the source) when no candidate has both."""

    def choose(scores, similarities, scorer=None, **_) -> Choice:
        th = threshold if threshold is not None else scorer.threshold
        ms = min_similarity if min_similarity is not None else scorer.min_similarity
        done = scores >= th
        close = similarities >= ms
        ok = np.flatnonzero(done & close)
        if len(ok):
            return Choice(int(ok[0]), f"the earliest candidate with score >= {th:g} and similarity >= {ms:g}")
        if done.any():
            return Choice(
                None,
                f"keep the source: the candidates that reach score {th:g} have strayed from it (similarity < {ms:g})",
            )
        return Choice(None, f"keep the source: no candidate reaches score {th:g}")

    choose.__name__ = "earliest satisfying"
    return choose


def collage(source: np.ndarray, candidates: np.ndarray, columns: int = 4, scale: int = 4) -> np.ndarray:
    """The paper's selection image: the source on top, the candidates below in a grid, each stamped with
    its number (1, 2, ...). (H', W', 3) float in [0, 1]; ``scale`` enlarges tiny frames."""
    from PIL import Image, ImageDraw

    def big(img):
        pil = Image.fromarray((np.clip(img, 0, 1) * 255).round().astype(np.uint8))
        return pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)

    tiles = [big(c) for c in candidates]
    w, h = tiles[0].size
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (w * columns, h * (rows + 1)), "white")
    sheet.paste(big(source), ((w * columns - w) // 2, 0))
    draw = ImageDraw.Draw(sheet)
    for n, tile in enumerate(tiles):
        x, y = (n % columns) * w, (n // columns + 1) * h
        sheet.paste(tile, (x, y))
        draw.rectangle([x, y, x + 10 + 6 * len(str(n + 1)), y + 12], fill="black")
        draw.text((x + 3, y), str(n + 1), fill="white")
    return np.asarray(sheet, np.float32) / 255


def selection_prompt(caption: str, n_candidates: int) -> str:
    """The paper's instruction with the caption and the number of candidates filled in."""
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError("the target caption must be a non-empty string")
    return SELECTION_INSTRUCTION.replace("CAPTION", caption.strip()).replace("12", str(n_candidates))


def parse_selection(answer: str, n_candidates: int) -> int:
    """The number in 'The selected edit is:x' (0: none), checked against the candidates."""
    m = re.search(r"selected edit is\s*:?\s*(\d+)", answer or "", re.IGNORECASE)
    if not m:
        raise ValueError(f"the VLM did not answer in the asked form ('The selected edit is:x'): {answer!r}")
    x = int(m.group(1))
    if not 0 <= x <= n_candidates:
        raise ValueError(f"the VLM chose {x}, but there are only {n_candidates} candidates")
    return x


def vlm_judge(vlm: Callable[[np.ndarray, str], str]) -> Callable:
    """The paper's selection: ``vlm(image, prompt) -> answer`` sees the collage and the instruction."""

    def choose(scores, similarities, source=None, frames=None, caption="", **_) -> Choice:
        answer = vlm(collage(source, frames), selection_prompt(caption, len(frames)))
        x = parse_selection(answer, len(frames))
        if x == 0:
            return Choice(None, "keep the source: the VLM found no candidate that follows the edit")
        return Choice(x - 1, f"the VLM chose candidate {x}")

    choose.__name__ = "VLM judge"
    return choose


def frame2frame(
    source,
    target_caption: str,
    pipeline: Callable,
    scorer,
    strategy: Callable | None = None,
    temporal_caption: str | Callable | None = None,
    every: int = EVERY,
    seed: int = 0,
    **generate_kwargs,
) -> Frame2FrameResult:
    """Edit ``source`` (H, W, 3) toward ``target_caption``: write the temporal caption (step 1), generate
    a video from the source (step 2), choose a frame (step 3).

    - ``pipeline(image, prompt, seed=..., **generate_kwargs)``: an image-to-video pipeline returning
      frames (1, T, H, W, 3) or (T, H, W, 3) in [0, 1] (the toy pipeline; ``real.CogVideoXEditor``);
    - ``scorer``: ``text_scores`` and ``image_similarity`` (``scorers.ToyScorer``, ``scorers.ClipScorer``);
    - ``strategy``: a selection rule (default ``earliest_satisfying()``);
    - ``temporal_caption``: the caption itself, or a writer ``(source, target_caption) -> caption``
      (``edits.temporal_caption`` for the toy world, a VLM with ``edits.temporal_caption_prompt``);
      None uses the target caption as it is (the paper's ablation, Table S4).
    """
    source = np.asarray(source, np.float32)
    if source.ndim != 3 or source.shape[-1] != 3:
        raise ValueError(f"the source must be an RGB image (H, W, 3); got shape {source.shape}")
    if not isinstance(target_caption, str) or not target_caption.strip():
        raise ValueError("the target caption must be a non-empty string")
    if callable(temporal_caption):
        caption = temporal_caption(source, target_caption)
    else:
        caption = temporal_caption if temporal_caption is not None else target_caption
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError("the temporal caption came out empty")
    video = np.asarray(pipeline(source, caption, seed=seed, **generate_kwargs), np.float32)
    if video.ndim == 5:
        video = video[0]
    if video.ndim != 4 or len(video) == 0 or video.shape[1:] != source.shape:
        raise ValueError(
            f"the pipeline returned no usable frames: expected (T, {', '.join(map(str, source.shape))}), "
            f"got shape {video.shape}"
        )
    return choose(video, source, target_caption, scorer, strategy, every, caption)


def choose(
    video: np.ndarray,
    source: np.ndarray,
    target_caption: str,
    scorer,
    strategy: Callable | None = None,
    every: int = EVERY,
    temporal_caption: str = "",
) -> Frame2FrameResult:
    """Step 3 alone, on a video already generated: score the candidates, let ``strategy`` choose."""
    strategy = strategy or earliest_satisfying()
    idx = candidate_indices(len(video), every)
    frames = video[idx]
    scores = np.asarray(scorer.text_scores(frames, target_caption), np.float64)
    sims = np.asarray(scorer.image_similarity(frames, source), np.float64)
    choice = strategy(scores, sims, scorer=scorer, source=source, frames=frames, caption=target_caption)
    if choice.candidate is None:
        frame, index = source, None
    else:
        frame, index = frames[choice.candidate], int(idx[choice.candidate])
    return Frame2FrameResult(
        frame,
        index,
        choice.reason,
        temporal_caption,
        video,
        idx,
        scores,
        sims,
        source,
        {"strategy": getattr(strategy, "__name__", "strategy")},
    )
