"""Progress bars for the course's long loops (training, rendering datasets, encoding with a model)."""

from __future__ import annotations

import os


def progress(iterable=None, show: bool = True, **kw):
    """``tqdm.auto.tqdm(iterable, **kw)``: a progress bar (a widget in Jupyter, text elsewhere). The course
    wraps loops that take more than a few seconds (training, rendering datasets, encoding with a model) in
    it, and nothing shorter. ``TQDM_DISABLE=1`` (or true/yes) in the environment turns every bar off,
    unless ``disable=`` is passed; ``show=False`` turns this one off."""
    from tqdm.auto import tqdm

    if not show:
        kw["disable"] = True

    if "disable" not in kw and os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes", "on"):
        kw["disable"] = True
    return tqdm(iterable, **kw)
