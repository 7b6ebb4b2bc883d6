"""docs/glossary.md: every term the course needs defined, every link into it resolving, no answer given away."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from wmlib.course import exercises

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# The terms issue 24 found undefined or asked for, each must have an entry (matched case-insensitively
# against the entries' headings, which may say more: "CEM (cross-entropy method)").
REQUIRED = [
    "VLM",
    "LPIPS",
    "CLIP-I",
    "OccGen",
    "LiDARGen",
    "SimCSE",
    "VTAB",
    "HSIC",
    "Bits per byte",
    "MPC",
    "CIELAB",
    "Model hub",
    "Codes",
    "Mu",
    "World model",
    "Z",
    "Projection",
    "Probe",
    "Mutual k-NN",
    "CKA",
    "Kernel alignment",
    "Diffusion",
    "v-prediction",
    "DDIM",
    "Classifier-free guidance",
    "Latent",
    "Autoencoder",
    "CEM",
    "Random shooting",
    "Teacher forcing",
    "Compounding error",
    "SDEdit",
    "Frame2Frame",
    "Temporal caption",
    "Zero-shot",
    "InfoNCE",
    "Temperature",
    "LiT",
]


def entries() -> dict[str, str]:
    """Heading -> the text under it, for every ``### `` entry."""
    parts = re.split(r"^### (.+)$", GLOSSARY.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {heading.strip(): body.strip() for heading, body in zip(parts[1::2], parts[2::2])}


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_every_required_term_has_an_entry_with_a_definition():
    found = entries()
    missing = [
        term
        for term in REQUIRED
        if not any(re.search(rf"(?<![\w-]){re.escape(term.lower())}(?![\w-])", heading.lower()) for heading in found)
    ]
    assert not missing, f"no glossary entry for {missing}"
    short = [heading for heading, body in found.items() if len(body) < 60 and not body.startswith("See ")]
    assert not short, f"entries without a real definition: {short}"


def test_entries_are_in_alphabetical_order_with_unique_anchors():
    headings = list(entries())
    assert headings == sorted(headings, key=str.lower)
    anchors = [anchor(h) for h in headings]
    assert len(set(anchors)) == len(anchors)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name[:2] for p in NOTEBOOKS])
def test_every_link_into_the_glossary_resolves(path):
    anchors = {anchor(h) for h in entries()}
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    broken = [a for a in re.findall(r"glossary\.md#([\w\-]+)", text) if a not in anchors]
    assert not broken, f"{path.name} links to glossary entries that do not exist: {broken}"


def test_the_glossary_gives_no_exercise_answer_away():
    glossary = GLOSSARY.read_text(encoding="utf-8")
    leaks = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for index, marked in exercises.exercise_cells(nb):
            for region in marked:
                name = exercises._exercise_name(nb.cells[index].source, region)
                clue = exercises._clue(region, name, [glossary], "", "")
                if clue:
                    leaks.append(f"{path.name[:2]} {name}: {clue}")
    assert not leaks, leaks
