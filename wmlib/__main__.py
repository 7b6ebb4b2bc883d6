"""``python -m wmlib``: print the environment report (and the mode ``auto`` resolves to)."""

import sys

from wmlib.session import report
from wmlib.modes import ModeError

try:
    report()
except ModeError as err:
    sys.exit(f"wmlib: {err}")
