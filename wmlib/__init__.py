"""wmlib: the helper library of the World Models course, laid out like the course.

One package per notebook, in course order:

- 01 The cave:           ``wmlib.cave``         what each projection of the world keeps of its reality Z
- 02 CLIP:               ``wmlib.clip``         contrastive learning of images and captions, and LiT
- 03 The PRH:            ``wmlib.prh``          do models trained apart converge? alignment, families, colour
- 04 Video generation:   ``wmlib.video``        a toy text-to-video diffusion model, and its physics measured
- 05 Frame2Frame:        ``wmlib.frame2frame``  editing an image by generating a video from it
- 06 World simulators:   ``wmlib.simulator``    an action-conditioned world model an agent can plan in

Every lesson stands on ``wmlib.world`` (the toy world: Z, its projections, captions, physics, videos, the
studio camera and the tracker) and on the ground floor, the plumbing that imports no lesson:
``session`` (``setup``, ``report``), ``env`` (the machine), ``modes`` (``auto`` / ``toy`` / ``real``),
``registry``, ``preflight``, ``loading`` (``load``), ``checkpoints`` (the toy models on disk), ``training``,
``progress``, ``plots`` (generic media), ``stats`` (bootstrap intervals), ``generation``, ``tiny``,
``encoders`` and ``check`` (the exercises' checks). ``wmlib.course`` holds what ``make`` runs (build,
site, exercises). ``tests/test_layout.py`` keeps this order: a lesson imports only earlier lessons.

Importing wmlib is fast: torch, transformers and diffusers are imported only where used.
"""

from wmlib.loading import CannotLoad, load
from wmlib.modes import MODES, ModeError, get_mode, resolve_mode
from wmlib.preflight import preflight
from wmlib.session import setup

__version__ = "0.1.0"
__all__ = ["CannotLoad", "MODES", "ModeError", "get_mode", "load", "preflight", "resolve_mode", "setup", "__version__"]
