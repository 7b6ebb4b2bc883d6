"""Generic figures and media for the notebooks: frame and image grids, videos that survive every renderer,
similarity matrices and score tables. A lesson's own pictures live in its package (``wmlib.cave.figures``,
``wmlib.clip.figures``, ...). Every function returns what it draws (a matplotlib Figure, or an IPython
display object), so that tests can check it and notebooks can show it.

Arrays may be numpy arrays or torch tensors (on any device, with or without grad). Nothing is drawn or
imported at import time: matplotlib, IPython and imageio are imported by the functions that use them."""

from __future__ import annotations

import base64
import io
import textwrap

import numpy as np


def as_numpy(x) -> np.ndarray:
    """A numpy view of ``x``; a torch tensor is detached and moved to the CPU first. torch itself is never
    imported here: a tensor is recognised by its methods, so plotting numpy data stays torch-free."""
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):
        x = x.detach().cpu()
        if str(x.dtype) == "torch.bfloat16":  # numpy has no bfloat16
            x = x.float()
        return x.numpy()
    return np.asarray(x)


def _channels_last(frames: np.ndarray) -> np.ndarray:
    """(T, C, H, W) with C = 1 or 3, as torch stores images, becomes (T, H, W, C); a single channel is dropped."""
    if frames.ndim == 4 and frames.shape[1] in (1, 3) and frames.shape[-1] not in (1, 3, 4):
        frames = frames.transpose(0, 2, 3, 1)
    if frames.ndim == 4 and frames.shape[-1] == 1:
        frames = frames[..., 0]
    return frames


def _to_uint8(frames: np.ndarray) -> np.ndarray:
    frames = _channels_last(as_numpy(frames))
    if frames.dtype != np.uint8:
        frames = (np.clip(frames, 0, 1) * 255).round().astype(np.uint8)
    if frames.ndim == 3:  # (T, H, W) greyscale
        frames = np.repeat(frames[..., None], 3, axis=-1)
    return frames


def as_frames(frames, dims: str = "THWC", size: int | None = None) -> np.ndarray:
    """``frames`` as float32, checked to be RGB frames laid out as ``dims``: ``"HWC"`` (one frame),
    ``"THWC"`` (a video), ``"BTHWC"`` (a batch of videos) or ``"...HWC"`` (any leading axes); ``size``:
    the frames must also be ``size`` x ``size`` pixels. Raises one plain ValueError otherwise.

    >>> as_frames(np.zeros((16, 32, 32, 3)), "THWC").shape
    (16, 32, 32, 3)
    """
    frames = np.asarray(frames, np.float32)
    ok = frames.ndim >= 3 if dims == "...HWC" else frames.ndim == len(dims)
    ok = ok and frames.shape[-1] == 3 and (size is None or frames.shape[-3:-1] == (size, size))
    if not ok:
        wanted = {"HWC": "(H, W, 3)", "THWC": "(T, H, W, 3)", "BTHWC": "(B, T, H, W, 3)", "...HWC": "(..., H, W, 3)"}
        shape = wanted[dims] if size is None else wanted[dims].replace("H, W", f"{size}, {size}")
        raise ValueError(f"frames must have shape {shape} (RGB), got {frames.shape}")
    return frames


def video_grid(videos, ncols: int = 8, gap: int = 1, fill: float = 1.0) -> np.ndarray:
    """Several videos (B, T, H, W, 3) tiled into one video (T, rows*(H+gap)-gap, cols*(W+gap)-gap, 3), so
    that they play side by side, in step; ``gap`` pixels of ``fill`` (white) between them."""
    videos = as_frames(videos, "BTHWC")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    b, t, h, w, _ = videos.shape
    cols = min(ncols, b)
    rows = -(-b // cols)
    out = np.full((t, rows * (h + gap) - gap, cols * (w + gap) - gap, 3), fill, np.float32)
    for i in range(b):
        r, c = divmod(i, cols)
        out[:, r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = videos[i]
    return out


def frame_strip(
    video: np.ndarray, n: int = 8, title: str | None = None, min_px: int = 96, max_width_px: int = 1200, dpi: int = 72
):
    """``n`` evenly spaced frames of a video (T, H, W[, 3]) side by side, each drawn at least ``min_px``
    pixels tall (a 32-pixel frame, or a grid of several videos, stays readable in a static copy), wrapped
    into rows so that a row is at most ``max_width_px`` wide."""
    import matplotlib.pyplot as plt

    frames = _to_uint8(video)
    picks = np.linspace(0, len(frames) - 1, min(n, len(frames))).round().astype(int)
    h, w = frames.shape[1:3]
    scale = max(1.0, min_px / h)
    per_row = int(np.clip(max_width_px // (w * scale + 8), 1, len(picks)))
    rows = -(-len(picks) // per_row)
    panel_w, panel_h = w * scale / dpi, h * scale / dpi + 0.25  # room for the frame's title
    fig, axes = plt.subplots(
        rows,
        per_row,
        figsize=(panel_w * per_row + 0.2, panel_h * rows + (0.3 if title else 0.1)),
        squeeze=False,
        dpi=dpi,
    )
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(picks):
            ax.imshow(frames[picks[k]], interpolation="nearest")
            ax.set_title(f"t = {picks[k]}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def _encode(frames: np.ndarray, fps: float) -> tuple[bytes, str]:
    import imageio.v3 as iio

    pad = [(0, 0), (0, -frames.shape[1] % 16), (0, -frames.shape[2] % 16), (0, 0)]  # H.264 wants multiples of 16
    try:
        buf = io.BytesIO()
        iio.imwrite(
            buf, np.pad(frames, pad, mode="edge"), extension=".mp4", fps=fps, codec="libx264", macro_block_size=1
        )
        return buf.getvalue(), "video/mp4"
    except Exception:  # no ffmpeg: fall back to a GIF, which every browser shows
        return _gif(frames, fps), "image/gif"


def _gif(frames: np.ndarray, fps: float) -> bytes:
    import imageio.v3 as iio

    buf = io.BytesIO()
    iio.imwrite(buf, frames, extension=".gif", duration=1000 / fps, loop=0)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Image grids and similarity matrices.


def wrap_label(text, width: int = 24, lines: int = 2) -> str:
    """A tick label wrapped to ``width`` characters and cut to ``lines`` lines, so long captions fit."""
    return textwrap.fill(str(text), width=width, max_lines=lines, placeholder="…")


def as_image(img) -> np.ndarray:
    """One image as (H, W, 3) uint8 (or RGBA as given): from a PIL image, an (H, W[, C]) or (C, H, W) array
    or tensor, in [0, 1] or uint8."""
    if hasattr(img, "convert") and hasattr(img, "size") and not hasattr(img, "shape"):  # a PIL image
        return np.asarray(img.convert("RGB"))
    a = as_numpy(img)
    if a.ndim not in (2, 3):
        raise ValueError(f"an image must be (H, W), (H, W, C) or (C, H, W), not {a.shape}")
    return _to_uint8(a[None])[0]


def image_grid(images, captions=None, ncols: int = 8, title: str | None = None):
    """Images in a grid of ``ncols`` columns (ceil(N / ncols) rows), each with its caption wrapped below it.

    ``images``: (N, H, W, 3), (N, H, W) or (N, C, H, W) in [0, 1] or uint8 (numpy or torch), or a list of
    PIL images / single images. Captions longer than four lines are cut with "…"."""
    import matplotlib.pyplot as plt

    if isinstance(images, (list, tuple)):
        pics = [as_image(im) for im in images]
    else:
        pics = [as_image(im) for im in as_numpy(images)]
    n = len(pics)
    if n == 0:
        raise ValueError("image_grid needs at least one image")
    if captions is not None and len(captions) != n:
        raise ValueError(f"{len(captions)} captions for {n} images")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    wrapped = [textwrap.fill(str(c), width=26, max_lines=4, placeholder="…") for c in captions] if captions else None
    # Room under each row for its longest caption: about 0.13 inch per line of 7-point text.
    lines = max((w.count("\n") + 1 for w in wrapped), default=0) if wrapped else 0
    aspect = max(p.shape[0] / p.shape[1] for p in pics)
    cell = 1.6
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(cell * ncols, nrows * (cell * aspect + 0.13 * lines + 0.15)), squeeze=False
    )
    for k, ax in enumerate(axes.flat):
        if k >= n:  # the unused cells of the last row go, so the figure has one axes per image
            fig.delaxes(ax)
            continue
        ax.imshow(pics[k])
        ax.axis("off")
        if wrapped:
            ax.text(0.5, -0.03, wrapped[k], transform=ax.transAxes, ha="center", va="top", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def similarity_matrix(sim, row_labels=None, col_labels=None, title: str | None = None, annotate: bool | None = None):
    """A heatmap of an (N, M) similarity matrix, e.g. CLIP's cosine similarities of N images (rows) to M texts
    (columns). The largest value of each row is boxed: the text each image picks.

    A diverging colour map centred on 0 is used when the values have both signs, a sequential one otherwise.
    The numbers are written in the cells when ``annotate`` is True, or, with ``annotate=None``, when the
    matrix is small (N * M <= 100). Labels are wrapped and cut to two lines."""
    import matplotlib.patheffects as pe
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    sim = as_numpy(sim).astype(float)
    if sim.ndim != 2:
        raise ValueError(f"a similarity matrix must be (N, M), not {sim.shape}")
    n, m = sim.shape
    for labels, count, what in ((row_labels, n, "row"), (col_labels, m, "column")):
        if labels is not None and len(labels) != count:
            raise ValueError(f"{len(labels)} {what} labels for {count} {what}s")
    if annotate is None:
        annotate = n * m <= 100
    lo, hi = np.nanmin(sim), np.nanmax(sim)
    if lo < 0 < hi:  # signed similarities: white means 0, so the sign reads at a glance
        cmap, vmax = "RdBu_r", max(-lo, hi)
        vmin = -vmax
    else:
        cmap, vmin, vmax = "viridis", lo, hi
    # Cells of roughly half an inch, plus room for the labels; bounded so big matrices stay on screen.
    width = float(np.clip(0.55 * m + (2.2 if row_labels is not None else 0.8) + 1.2, 4, 16))
    height = float(np.clip(0.45 * n + (1.3 if col_labels is not None else 0.6) + 0.8, 3, 16))
    fig, ax = plt.subplots(figsize=(width, height))
    im = ax.imshow(sim, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03, label="similarity")
    # Columns on top, as in CLIP's figure: the bottom is left for the note on the boxes.
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("bottom")
    if col_labels is not None:
        ax.set_xticks(range(m), [wrap_label(c) for c in col_labels], rotation=45, ha="left", fontsize=8)
    if row_labels is not None:
        ax.set_yticks(range(n), [wrap_label(r, width=30) for r in row_labels], fontsize=8)
    best = np.nanargmax(np.where(np.isnan(sim), -np.inf, sim), axis=1)
    for i, j in enumerate(best):
        # A white box with a black outline shows on every colour of either map.
        ax.add_patch(
            Rectangle(
                (j - 0.5, i - 0.5),
                1,
                1,
                fill=False,
                edgecolor="white",
                linewidth=2,
                path_effects=[pe.withStroke(linewidth=4, foreground="black")],
                gid="row-max",
            )
        )
    if annotate:
        for i in range(n):
            for j in range(m):
                r, g, b, _ = im.cmap(im.norm(sim[i, j]))
                ink = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
                ax.text(
                    j,
                    i,
                    f"{sim[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=ink,
                    fontweight="bold" if j == best[i] else "normal",
                )
    ax.set_xlabel("boxed: the largest value in each row", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------------
# Videos that survive every renderer, and score tables.


def _png(fig, dpi: int = 72) -> bytes:
    """The figure as PNG bytes; the figure is closed, so the inline backend does not show it a second time."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


class VideoDisplay:
    """A video for a notebook cell (made by :func:`show_video`). Its MIME bundle holds

    - ``text/html``: an autoplaying, looping MP4 (or an animated GIF), with the frame grid inside the
      ``<video>`` tag as its fallback content, for pages (GitHub) that strip ``<video>``;
    - ``image/png``: a static grid of frames (:func:`frame_strip`), for renderers that drop HTML;
    - ``text/plain``: what was embedded, and why anything was left out.

    ``kind`` is "mp4", "gif" or "frames" (grid only); ``kb`` the size of the embedded video."""

    def __init__(self, html: str | None, png: bytes, kind: str, kb: float, text: str):
        self.html, self.png, self.kind, self.kb, self.text = html, png, kind, kb, text

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {"text/plain": self.text, "image/png": base64.b64encode(self.png).decode()}
        if self.html is not None:
            bundle["text/html"] = self.html
        return {k: v for k, v in bundle.items() if (not include or k in include) and k not in (exclude or ())}

    def __repr__(self) -> str:
        return self.text


def show_video(video, fps: float = 12, max_kb: float = 2000, scale: int | None = None, n: int = 8) -> VideoDisplay:
    """A video (T, H, W[, 3]) or (T, C, H, W), numpy or torch, in [0, 1] or uint8, that shows everywhere:
    an HTML5 MP4 (enlarged by ``scale``, nearest pixels, as in :func:`video_html`) *and* a PNG grid of
    ``n`` frames. If the MP4 is over ``max_kb`` it becomes a GIF at the original size (the browser enlarges
    it), and if that is over ``max_kb`` too only the frame grid is kept, as the text/plain part says.
    ``max_kb`` bounds the video; the frame grid (shown twice, in the PNG and in the HTML) adds some tens of KB."""
    frames = _to_uint8(video)
    t, h, w = frames.shape[:3]
    if scale is None:
        scale = max(1, 192 // h)
    png = _png(frame_strip(frames, n=n))
    png_src = f"data:image/png;base64,{base64.b64encode(png).decode()}"
    fallback = f'<img src="{png_src}" alt="{min(n, t)} frames of the video" />'
    what = f"a video of {t} frames of {h}x{w} pixels at {fps:g} fps"

    data, mime = _encode(frames.repeat(scale, axis=1).repeat(scale, axis=2), fps)
    sizes = [f"{mime.split('/')[1].upper()} {len(data) / 1024:.1f} KB"]
    if mime == "video/mp4" and len(data) <= max_kb * 1024:
        src = f"data:video/mp4;base64,{base64.b64encode(data).decode()}"
        html = f'<video src="{src}" autoplay loop muted playsinline controls>{fallback}</video>'
        return VideoDisplay(html, png, "mp4", len(data) / 1024, f"{what}, as {sizes[0]} and a frame grid")
    # A GIF at the original size: the browser enlarges it, crisp with image-rendering: pixelated.
    data = _gif(frames, fps)
    kb = len(data) / 1024
    if kb <= max_kb:
        src = f"data:image/gif;base64,{base64.b64encode(data).decode()}"
        html = (
            f'<img src="{src}" width="{w * scale}" style="image-rendering: pixelated" '
            f'alt="an animated GIF of the video" />'
        )
        why = f"over max_kb={max_kb}" if mime == "video/mp4" else "no MP4 encoder"
        return VideoDisplay(html, png, "gif", kb, f"{what}, as GIF {kb:.1f} KB (MP4 {why}) and a frame grid")
    if mime == "video/mp4":
        sizes.append(f"GIF {kb:.1f} KB")
    return VideoDisplay(
        None,
        png,
        "frames",
        0.0,
        f"{what}: too big to embed ({', '.join(sizes)} > max_kb={max_kb}), so only a frame grid is shown",
    )


def score_table(
    table: dict[str, dict[str, float]],
    chance: dict[str, float] | None = None,
    title: str | None = None,
    score: str | None = None,
):
    """A heatmap of probe scores: one row per projection, one column per factor (accuracy for classes,
    R^2 for positions), each cell annotated; ``chance`` levels are written under the factor names.
    ``score``: what the cells hold when they are not probe scores (e.g. "alignment"); then columns
    without a chance level are not labelled R^2."""
    import matplotlib.pyplot as plt

    rows = list(table)
    cols = list(next(iter(table.values())))
    values = np.array([[table[r][c] for c in cols] for r in rows])
    fig, ax = plt.subplots(figsize=(1.1 * len(cols) + 2.5, 0.45 * len(rows) + 1.6))
    im = ax.imshow(np.clip(values, 0, 1), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            ax.text(
                j,
                i,
                f"{values[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if values[i, j] < 0.6 else "black",
            )
    chance = chance or {}
    unmarked = "" if score else "\n(R²)"
    ax.set_xticks(
        range(len(cols)), [c + (f"\n(chance {chance[c]:.2f})" if c in chance else unmarked) for c in cols], fontsize=8
    )
    ax.set_yticks(range(len(rows)), rows, fontsize=9)
    ax.xaxis.tick_top()
    fig.colorbar(im, ax=ax, fraction=0.04, label=score or "accuracy or R²")
    if title:
        ax.set_title(title, fontsize=10, pad=30)
    fig.tight_layout()
    return fig


def memory_needs(names: list[str], machine: str = "t4", here=None):
    """What each hub model needs, in GPU memory and in system RAM, against a described machine
    (``wmlib.preflight.MACHINES``), with preflight's verdict for that machine beside each model.

    Light, middle and dark bars: everything on the GPU, model CPU offload, sequential CPU offload (one part or
    one layer on the GPU at a time). With offload the weights wait in system RAM, so the RAM must hold them.
    ``here``: a ``preflight.Machine`` drawn as a second line (this machine), or None."""
    import matplotlib.pyplot as plt

    from wmlib import registry
    from wmlib.preflight import HEADROOM, MACHINES, preflight

    target = MACHINES[machine]
    models = [registry.get(name) for name in names]
    options = (
        ("none", "#c9d6e8", "everything on the GPU"),
        ("model_offload", "#7fa3cf", "model CPU offload"),
        ("sequential_offload", "#3b6ea8", "sequential CPU offload"),
    )
    fig, (gpu_ax, ram_ax, say_ax) = plt.subplots(
        1, 3, figsize=(10, 0.5 * len(models) + 1.9), sharey=True, gridspec_kw={"width_ratios": [3, 2, 1.1]}
    )
    rows = np.arange(len(models))
    for option, colour, label in options:
        # models without a memory plan (CLIP) are loaded whole: their size is all there is to draw
        gpu_ax.barh(
            rows, [m.memory.gpu_gb(option) if m.memory else m.download_gb for m in models], color=colour, label=label
        )
    offload = max(
        ("model_offload", "sequential_offload"), key=lambda o: max(m.memory.ram_gb(o) for m in models if m.memory)
    )
    ram_ax.barh(rows, [m.memory.ram_gb(offload) if m.memory else 0.0 for m in models], color="#8c8c8c")
    for ax, limit, what in ((gpu_ax, target.gpu_gb, "GPU memory"), (ram_ax, target.ram_gb, "RAM")):
        ax.axvline(HEADROOM * limit, color="#d08c2b", ls="--", label=f"{target.name}: 90% of its {limit:g} GiB")
        ax.set_xlabel(f"{what} (GiB)")
    if here is not None and here.device == "cuda":
        label = f"this machine: 90% of {here.gpu_gb:.1f} GiB"
        gpu_ax.axvline(HEADROOM * here.gpu_gb, color="#b03a2e", lw=2, label=label)
        ram_ax.axvline(HEADROOM * here.ram_gb, color="#b03a2e", lw=2)
    gpu_ax.set_yticks(rows, [m.name for m in models])
    gpu_ax.invert_yaxis()
    gpu_ax.set_title("GPU memory needed")
    ram_ax.set_title("RAM needed with offload")
    say_ax.set_title(f"on {target.name}", fontsize=10)
    say_ax.axis("off")
    for row, model in zip(rows, models):
        plan = preflight(model, target)
        say_ax.text(0.02, row, plan.verdict(), va="center", fontsize=9, color="#2e7d32" if plan.fits else "#b03a2e")
    handles, labels = gpu_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig
