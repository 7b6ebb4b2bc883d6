"""wmlib: the helper library of the World Models course.

One module per idea of the course (more arrive with each notebook) plus the plumbing they share:

- ``wmlib.world``:  the toy world: Z, its projections (camera, wall shadow, depth, occupancy, LiDAR,
  captions), its physics and videos, datasets and the kernel of Z
- ``wmlib.plots``:  figures and inline media
- ``wmlib.env``:    device, memory, disk, Colab, model hub, seeds, threads, ``report()``
- ``wmlib.modes``:  the ``auto`` / ``toy`` / ``real`` switch
- ``wmlib.load`` / ``wmlib.preflight``: models from the registry (``wmlib.registry``), planned to fit
- ``wmlib.course.contents``: the map of the notebooks and their Colab setup cell; ``wmlib.course.build`` runs them

Importing wmlib is fast: torch, transformers and diffusers are imported only where used.
"""

from wmlib.session import setup
from wmlib.loading import CannotLoad, load
from wmlib.modes import MODES, ModeError, get_mode, resolve_mode
from wmlib.preflight import preflight

__version__ = "0.1.0"
__all__ = ["CannotLoad", "MODES", "ModeError", "get_mode", "load", "preflight", "resolve_mode", "setup", "__version__"]
