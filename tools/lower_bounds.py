"""Print ``name==version`` for the lower bound that pyproject.toml states for each named dependency: the
constraints of ``make test-min``, which installs the oldest releases pyproject allows and runs the tests that
touch them.

    python tools/lower_bounds.py transformers diffusers accelerate safetensors
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lower_bounds(names: list[str]) -> list[str]:
    """``name==version`` for each of ``names``, from its ``"name>=version"`` line in pyproject.toml (read as text,
    so that this runs on any Python before anything is installed)."""
    text = (ROOT / "pyproject.toml").read_text()
    out = []
    for name in names:
        found = re.search(rf'^\s*"{re.escape(name)}>=([0-9][0-9a-z.]*)"', text, re.M | re.I)
        if found is None:
            raise SystemExit(f"pyproject.toml states no lower bound (>=) for {name}")
        out.append(f"{name}=={found.group(1)}")
    return out


if __name__ == "__main__":
    print("\n".join(lower_bounds(sys.argv[1:])))
