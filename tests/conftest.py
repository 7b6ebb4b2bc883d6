"""Shared test settings: offline, one torch thread, whatever the shell says."""

import os

# Before anything imports torch or huggingface_hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
