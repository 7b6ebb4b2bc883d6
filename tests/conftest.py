"""Shared test settings: offline, one torch thread, whatever the shell says."""

import os

# Before anything imports torch or huggingface_hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")


import pytest  # noqa: E402  (after the environment above, which must come first)


@pytest.fixture(autouse=True)
def no_session_mode():
    """Each test starts without a mode decided by ``wmlib.setup`` and leaves none behind."""
    from wmlib import modes

    modes.decide(None)
    yield
    modes.decide(None)


# Tiny real models saved to a folder as if they came from the hub (wmlib.tiny): the real loading path's
# tests (test_loading, and test_real_cuda on a GPU) load them from there.
@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    from wmlib import tiny

    folder = tmp_path_factory.mktemp("clip")
    model, processor = tiny.clip()
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def t2v_dir(tmp_path_factory):
    from wmlib import tiny

    folder = tmp_path_factory.mktemp("t2v")
    tiny.cogvideox("text-to-video").save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def i2v_dir(tmp_path_factory):
    from wmlib import tiny

    folder = tmp_path_factory.mktemp("i2v")
    tiny.cogvideox("image-to-video").save_pretrained(folder)
    return folder
