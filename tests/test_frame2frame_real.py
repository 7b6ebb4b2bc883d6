"""CogVideoX-I2V for Frame2Frame: the paper's padding and cropping, through a tiny CogVideoX."""

import numpy as np
import pytest

from wmlib.frame2frame import real as R


def test_the_source_is_resized_padded_and_cropped_back_like_the_paper():
    img = np.zeros((50, 50, 3), np.float32)
    img[:, :25] = 1.0
    padded = np.asarray(R.pad_to_video(img, 480, 720), np.float32) / 255
    assert padded.shape == (480, 720, 3)
    assert padded[:, :120].max() == 0 and padded[:, -120:].max() == 0  # black bars of 120 px each side
    assert padded[:, 130].min() == 1 and padded[:, 590].max() == 0
    back = R.crop_back(padded[None], (50, 50))[0]
    assert back.shape == (50, 50, 3) and np.abs(back - img).mean() < 0.02
    with pytest.raises(ValueError, match="RGB"):
        R.pad_to_video(np.zeros((50, 50)))
    with pytest.raises(
        ValueError,
        match=r"the source must be square, as the paper's are .*got 60x40: crop it "
        r"first with center_square\(image\)",
    ):
        R.pad_to_video(np.zeros((40, 60, 3), np.uint8))


def test_center_square_keeps_the_middle_undistorted():
    from PIL import Image

    img = np.zeros((30, 50, 3), np.uint8)
    img[:, 10:40] = 255  # the central 30 columns
    square = R.center_square(img)
    assert square.shape == (30, 30, 3) and square.min() == 255
    pil = R.center_square(Image.fromarray(img))
    assert pil.size == (30, 30) and np.array_equal(np.asarray(pil), square)


def test_the_editor_runs_a_tiny_cogvideox_i2v_and_returns_the_sources_size():
    from wmlib import tiny

    editor = R.CogVideoXEditor(
        tiny.cogvideox("image-to-video"), num_frames=9, num_inference_steps=2, height=32, width=48
    )
    assert editor.settings["guidance_scale"] == 6.0  # the paper's, where not overridden
    src = np.random.default_rng(0).random((20, 20, 3)).astype(np.float32)
    frames = editor(src, "a ball falls", seed=0)
    assert frames.shape == (1, 9, 20, 20, 3) and 0 <= frames.min() and frames.max() <= 1
    assert np.array_equal(frames, editor(src, "a ball falls", seed=0))
    with pytest.raises(ValueError, match="needs a source image"):
        editor(None, "a ball falls")
    with pytest.raises(ValueError, match="unknown settings"):
        R.CogVideoXEditor(None, frames=9)
    assert R.PAPER == {"num_frames": 49, "num_inference_steps": 50, "guidance_scale": 6.0, "height": 480, "width": 720}


def test_the_editor_shows_progress_and_turns_out_of_memory_into_advice():
    import torch

    from wmlib import tiny
    from wmlib.generation import OutOfMemory

    pipe = tiny.cogvideox("image-to-video")
    editor = R.CogVideoXEditor(pipe, num_frames=9, num_inference_steps=1, height=16, width=16)
    editor(np.zeros((16, 16, 3), np.float32), "a ball falls")
    assert pipe._progress_bar_config == {"disable": False}  # 50 steps of a 5B model take minutes: show them

    def boom(**kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    pipe.__class__ = type("Exploding", (pipe.__class__,), {"__call__": lambda self, **kw: boom(**kw)})
    with pytest.raises(OutOfMemory, match="the GPU ran out of memory generating 9 frames of 16x16"):
        editor(np.zeros((16, 16, 3), np.float32), "a ball falls", progress=False)
