"""``python -m wmlib``: print the environment report (and the mode ``auto`` resolves to)."""

import sys

from wmlib.modes import ModeError
from wmlib.session import report

try:
    report()
except ModeError as err:
    sys.exit(f"wmlib: {err}")
