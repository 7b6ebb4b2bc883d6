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
