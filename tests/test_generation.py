"""Requests a video pipeline cannot honour are refused before any model runs."""

import numpy as np
import pytest

from wmlib.generation import check_video_request, oom_advice
from wmlib.preflight import preflight


@pytest.mark.parametrize("height, width", [(24, 32), (32, 30), (0, 32), (-16, 32)])
def test_sizes_must_be_multiples_of_16(height, width):
    with pytest.raises(ValueError, match="must be a positive multiple of 16"):
        check_video_request(height, width, 9)


@pytest.mark.parametrize("frames", [8, 10, 13, 48, 0])
def test_frames_must_be_8k_plus_1(frames):
    with pytest.raises(ValueError, match=r"num_frames must be of the form 8k\+1"):
        check_video_request(32, 32, frames)


@pytest.mark.parametrize("frames", [1, 9, 17, 49])
def test_good_requests_pass(frames):
    check_video_request(480, 720, frames, "a cat")


def test_the_prompt_must_fit_the_text_encoder():
    from wmlib.tiny import t5_tokenizer

    tok = t5_tokenizer()
    check_video_request(32, 32, 9, "a red ball", tok, 16)
    with pytest.raises(
        ValueError,
        match=r"the prompt is \d+ tokens long but the text encoder takes at most 16; "
        r"shorten it by \d+ tokens",
    ):
        check_video_request(32, 32, 9, "a small red ball is thrown to the left and bounces " * 3, tok, 16)
    with pytest.raises(ValueError, match="non-empty string"):
        check_video_request(32, 32, 9, "  ")


def test_the_start_image_must_be_rgb():
    from PIL import Image

    check_video_request(32, 32, 9, image=Image.new("RGB", (8, 8)))
    check_video_request(32, 32, 9, image=np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="mode 'RGBA'"):
        check_video_request(32, 32, 9, image=Image.new("RGBA", (8, 8)))
    with pytest.raises(ValueError, match=r"shape \(8, 8\)"):
        check_video_request(32, 32, 9, image=np.zeros((8, 8)))


def test_out_of_memory_advice_steps_down_the_options():
    assert "memory='model_offload'" in oom_advice(preflight("cogvideox-2b", "t4"), 480, 720, 49)
    seq = preflight("cogvideox-5b", "l4").__class__("x", True, "", memory="sequential_offload")
    assert "even with sequential CPU offload" in oom_advice(seq, 480, 720, 49)
