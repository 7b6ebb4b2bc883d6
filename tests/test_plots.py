"""The figures and media of the course: they draw what they claim, and stay small."""

import matplotlib

matplotlib.use("agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from wmlib import plots  # noqa: E402
from wmlib.world import render_video, sample_scenes, simulate  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_frame_strip_picks_evenly_spaced_frames():
    video = np.random.default_rng(0).random((16, 8, 8, 3))
    fig = plots.frame_strip(video, n=4)
    assert [ax.get_title() for ax in fig.axes] == ["t = 0", "t = 5", "t = 10", "t = 15"]


def test_frame_strip_draws_small_frames_large_enough_to_read_and_wraps_wide_ones():
    dpi = 72
    fig = plots.frame_strip(np.zeros((16, 32, 32, 3)), n=8, dpi=dpi)
    box = fig.axes[0].get_window_extent()
    assert box.height >= 80  # a 32-pixel frame drawn about 96 pixels tall, not 65 or less
    grid = np.zeros((16, 65, 263, 3))  # a tiled grid of 16 videos, 2 rows of 8
    fig = plots.frame_strip(grid, n=8, max_width_px=1200, dpi=dpi)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 8 and fig.get_size_inches()[0] * dpi <= 1250
    assert len({round(ax.get_position().y0, 3) for ax in drawn}) > 1  # wrapped into several rows


# --- figures for the representation notebooks -------------------------------------------------------------


def _rows(fig):
    return {ax.get_subplotspec().rowspan.start for ax in fig.axes}


def test_image_grid_lays_out_rows_and_wraps_captions():
    images = np.random.default_rng(0).random((10, 12, 16, 3))
    caption = "a small red ball rests on the ground beside a large blue cube near the wall of the cave"
    fig = plots.image_grid(images, captions=[caption] * 9 + ["short"], ncols=4, title="ten images")
    assert len(fig.axes) == 10  # the two spare cells of the last row are removed
    assert _rows(fig) == {0, 1, 2}  # ceil(10 / 4) rows
    texts = [ax.texts[0].get_text() for ax in fig.axes]
    assert "\n" in texts[0] and texts[0].replace("\n", " ") == caption
    assert texts[-1] == "short"
    assert all(not ax.axison for ax in fig.axes)
    assert fig._suptitle.get_text() == "ten images"


def test_image_grid_takes_greyscale_uint8_pil_and_channel_first_tensors():
    import torch
    from PIL import Image

    grey = (np.random.default_rng(0).random((3, 8, 8)) * 255).astype(np.uint8)
    assert len(plots.image_grid(grey).axes) == 3
    assert plots.image_grid(grey).axes[0].images[0].get_array().shape == (8, 8, 3)
    pil = [Image.new("RGB", (10, 6), (255, 0, 0)) for _ in range(5)]
    fig = plots.image_grid(pil, captions=list("abcde"), ncols=2)
    assert len(fig.axes) == 5 and _rows(fig) == {0, 1, 2}
    tensor = torch.rand(3, 3, 8, 10, requires_grad=True)  # (N, C, H, W), as torch stores images
    fig = plots.image_grid(tensor)
    assert fig.axes[0].images[0].get_array().shape == (8, 10, 3)
    with pytest.raises(ValueError, match="captions"):
        plots.image_grid(tensor, captions=["only one"])


def _boxes(ax):
    return sorted((round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in ax.patches if p.get_gid() == "row-max")


def test_similarity_matrix_boxes_the_row_maxima_and_writes_small_matrices():
    sim = np.array([[0.1, 0.3, 0.2, 0.0], [0.5, 0.1, 0.1, 0.2], [0.0, 0.1, 0.2, 0.4]])
    rows, cols = ["image 0", "image 1", "image 2"], ["a red ball", "a blue cube", "a cylinder", "two balls"]
    fig = plots.similarity_matrix(sim, rows, cols, title="CLIP")
    ax, colorbar = fig.axes
    assert colorbar.get_ylabel() == "similarity"
    assert ax.get_title() == "CLIP"
    assert [t.get_text() for t in ax.get_yticklabels()] == rows
    assert [t.get_text() for t in ax.get_xticklabels()] == cols
    assert _boxes(ax) == [(0, 1), (1, 0), (2, 3)]  # (row, column) of each row's maximum
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
    assert len(texts) == 12 and texts[(1, 0)].get_text() == "0.50"
    assert texts[(1, 0)].get_fontweight() == "bold" and texts[(1, 1)].get_fontweight() == "normal"
    assert ax.images[0].get_cmap().name == "viridis"


def test_similarity_matrix_annotates_only_small_matrices_and_centres_signed_ones():
    rng = np.random.default_rng(0)
    big = rng.standard_normal((11, 10))  # 110 cells: too many numbers to read
    ax = plots.similarity_matrix(big).axes[0]
    assert len(ax.texts) == 0
    assert _boxes(ax) == [(i, int(j)) for i, j in enumerate(big.argmax(1))]
    lo, hi = ax.images[0].get_clim()
    assert lo == -hi and ax.images[0].get_cmap().name == "RdBu_r"
    assert len(plots.similarity_matrix(big, annotate=True).axes[0].texts) == 110
    assert len(plots.similarity_matrix(big[:2, :3], annotate=False).axes[0].texts) == 0
    long = "a photograph of a small red ball resting on the ground next to a large blue cube in the cave"
    label = plots.similarity_matrix(big[:2, :2], col_labels=[long, "b"]).axes[0].get_xticklabels()[0].get_text()
    assert label.count("\n") == 1 and label.endswith("…")
    with pytest.raises(ValueError, match="labels"):
        plots.similarity_matrix(big, row_labels=["one"])


def test_figures_take_tensors_with_grad():
    import torch

    sim = torch.rand(3, 3, requires_grad=True)
    assert len(plots.similarity_matrix(sim).axes) == 2
    assert len(plots.similarity_matrix(sim.to(torch.bfloat16)).axes) == 2
    assert len([ax for ax in plots.frame_strip(torch.rand(6, 3, 8, 8), n=3).axes if ax.images]) == 3  # (T, C, H, W)


# --- videos that show everywhere, and progress bars -------------------------------------------------------


def _moving_video():
    scene = sample_scenes(1, seed=0, moving=True)
    return render_video(scene, simulate(scene, n_frames=12), "camera", 32)[0]


def _flat_video():  # tiny flat-coloured frames: a GIF of them is smaller than an MP4's headers
    video = np.zeros((4, 8, 8, 3))
    for t in range(4):
        video[t, t : t + 2, :, 0] = 1
    return video


def test_show_video_bundles_an_mp4_and_a_frame_grid():
    import base64

    shown = plots.show_video(_moving_video(), fps=12)
    bundle = shown._repr_mimebundle_()
    assert shown.kind == "mp4"
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert bundle["text/html"].startswith('<video src="data:video/mp4;base64,') and "loop" in bundle["text/html"]
    assert "data:image/png;base64," in bundle["text/html"]  # the grid inside <video>, for pages that strip it
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert sum(len(v) for v in bundle.values()) < 300_000
    assert "MP4" in bundle["text/plain"] and repr(shown) == bundle["text/plain"]
    assert set(shown._repr_mimebundle_(include={"image/png"})) == {"image/png"}
    assert "text/html" not in shown._repr_mimebundle_(exclude={"text/html"})


def test_show_video_falls_back_to_a_gif_then_to_the_frame_grid():
    import matplotlib.pyplot as plt

    flat = _flat_video()
    mp4_kb = plots.show_video(flat).kb
    shown = plots.show_video(flat, max_kb=mp4_kb / 2)
    bundle = shown._repr_mimebundle_()
    assert shown.kind == "gif" and shown.kb <= mp4_kb / 2
    assert bundle["text/html"].startswith('<img src="data:image/gif;base64,') and "image/png" in bundle
    assert "GIF" in bundle["text/plain"] and "max_kb" in bundle["text/plain"]

    shown = plots.show_video(_moving_video(), max_kb=1)
    bundle = shown._repr_mimebundle_()
    assert shown.kind == "frames"
    assert set(bundle) == {"image/png", "text/plain"}
    assert "only a frame grid" in bundle["text/plain"] and "max_kb=1" in bundle["text/plain"]
    assert len(bundle["image/png"]) < 100_000
    assert plt.get_fignums() == []  # the frame grid's figure is closed, so the notebook does not show it twice


def test_show_video_takes_greyscale_and_channel_first_tensors():
    import torch

    for video in (torch.rand(5, 16, 16), torch.rand(5, 3, 16, 16), torch.rand(5, 1, 16, 16)):
        assert "image/png" in plots.show_video(video)._repr_mimebundle_()


def test_importing_plots_imports_neither_matplotlib_nor_torch():
    import subprocess
    import sys

    code = (
        "import sys, wmlib.plots; print('matplotlib' in sys.modules); "
        "wmlib.plots.as_numpy([1.0]); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_score_table_annotates_every_cell():
    table = {"camera": {"colour": 0.98, "x": 0.9}, "shadow": {"colour": 0.12, "x": 0.93}}
    fig = plots.score_table(table, chance={"colour": 1 / 8}, title="what each projection keeps")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["0.98", "0.90", "0.12", "0.93"]
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["colour\n(chance 0.12)", "x\n(R²)"]


def test_score_table_can_hold_other_scores_than_probes():
    fig = plots.score_table({"a vs b": {"cka": 0.5, "svcca": 0.2}}, score="alignment")
    ax, colorbar = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cka", "svcca"]
    assert colorbar.get_ylabel() == "alignment"


def test_video_grid_tiles_videos_in_step():
    videos = np.random.default_rng(0).random((5, 4, 6, 7, 3)).astype(np.float32)
    grid = plots.video_grid(videos, ncols=3, gap=1)
    assert grid.shape == (4, 2 * 6 + 1, 3 * 7 + 2, 3)
    assert np.array_equal(grid[:, 7:13, 8:15], videos[4])  # row 1, column 1
    assert (grid[:, 6] == 1).all() and (grid[:, 7:, 16:] == 1).all()  # the gap and the empty sixth cell
    with pytest.raises(ValueError, match="shape"):
        plots.video_grid(videos[0])


@pytest.mark.parametrize(
    "shape, dims, size",
    [
        ((4, 8, 8, 3), "THWC", None),
        ((2, 4, 8, 8, 3), "BTHWC", 8),
        ((8, 8, 3), "HWC", None),
        ((5, 2, 8, 8, 3), "...HWC", None),
    ],
)
def test_as_frames_accepts_rgb_frames_laid_out_as_asked(shape, dims, size):
    frames = plots.as_frames(np.zeros(shape, np.float64), dims, size)
    assert frames.dtype == np.float32 and frames.shape == shape


@pytest.mark.parametrize(
    "shape, dims, size, message",
    [
        ((4, 8, 8), "THWC", None, r"\(T, H, W, 3\) \(RGB\), got \(4, 8, 8\)"),
        ((4, 8, 8, 3), "BTHWC", None, r"\(B, T, H, W, 3\)"),
        ((2, 4, 8, 8, 3), "BTHWC", 32, r"\(B, T, 32, 32, 3\)"),
        ((8, 3), "...HWC", None, r"\(\.\.\., H, W, 3\)"),
    ],
)
def test_as_frames_says_what_shape_it_wanted(shape, dims, size, message):
    with pytest.raises(ValueError, match=message):
        plots.as_frames(np.zeros(shape), dims, size)


def test_memory_needs_writes_preflights_verdict_beside_each_model():
    from wmlib.preflight import preflight

    names = ["clip-vit-b-32", "cogvideox-2b", "cogvideox-5b-i2v"]
    import matplotlib.pyplot as plt

    fig = plots.memory_needs(names, machine="t4")
    written = [t.get_text() for t in fig.axes[2].texts]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    plt.close(fig)
    assert written == [preflight(name, "t4").verdict() for name in names]
    assert written == ["fits whole", "too little RAM", "no native bfloat16"]
    assert labels == names
