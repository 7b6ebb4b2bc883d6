"""The notebooks as a set: each in the map, each opening with the Colab setup cell and a MODE
parameter, each committed executed; and the map itself."""

import ast
from pathlib import Path

import nbformat
import pytest

from wmlib.course import contents

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
CATALOGUE = {nb.file: nb for nb in contents.NOTEBOOKS}


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_in_the_map(path):
    assert path.name in CATALOGUE, f"{path.name} is missing from wmlib.course.contents.NOTEBOOKS"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_code_cell_installs_the_course_in_colab(path):
    expected = contents.colab_setup_source()
    assert code_cells(path)[0].source == expected, (
        f"{path.name}: the first code cell must be exactly wmlib.course.contents.colab_setup_source():\n{expected}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_mode_is_a_papermill_parameter(path):
    cells = [c for c in code_cells(path) if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    names = {t.id for node in ast.parse(cells[0].source).body if isinstance(node, ast.Assign) for t in node.targets}
    assert "MODE" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_kernel_and_colab_gpu_metadata(path):
    meta = nbformat.read(path, as_version=4).metadata
    assert meta["kernelspec"]["name"] == "python3"  # the one kernel name Colab, papermill and nbval all know
    wants_gpu = CATALOGUE[path.name].gpu
    assert (meta.get("accelerator") == "GPU") == wants_gpu
    if wants_gpu:
        assert meta["colab"]["gpuType"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_notebook_was_executed_top_to_bottom(path):
    cells = [c for c in code_cells(path) if c.source.strip()]
    counts = [c.execution_count for c in cells]
    assert None not in counts, f"{path.name} has unexecuted cells: run `make notebooks`"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name} was not run top to bottom in one kernel"
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name} stores an error output"


def test_colab_cell_is_valid_python_and_does_nothing_outside_colab():
    source = contents.colab_setup_source("https://github.com/someone/some-course")
    assert '"https://github.com/someone/some-course"' in source
    assert 'Path("/content/some-course")' in source
    namespace: dict = {}
    exec(compile(source, "<setup>", "exec"), namespace)  # not in Colab: must be a no-op
    assert "repo" not in namespace


def test_repository_url_comes_from_pyproject():
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert contents.repository_url() == declared


def test_colab_url():
    url = contents.colab_url("02_clip.ipynb", "https://github.com/a/b.git")
    assert url == "https://colab.research.google.com/github/a/b/blob/main/notebooks/02_clip.ipynb"


def test_map_lists_every_notebook_with_its_promise_and_time():
    table = contents.notebook_map("https://github.com/a/b")
    rows = [row for row in table.splitlines()[2:] if not row.startswith("| ***")]
    assert len(rows) == len(contents.NOTEBOOKS)
    for nb, row in zip(contents.NOTEBOOKS, rows):
        assert nb.title in row and nb.promise in row and nb.real_hardware in row
        assert "min" in row or "under a minute" in row
        written = (ROOT / "notebooks" / nb.file).exists()
        assert ("[Colab](" in row) == written and ("being written" in row) != written
        assert (f"]({nb.file})" in row) == written  # a link that opens the notebook itself, from notebooks/


def test_readme_lists_the_commands_and_every_notebook():
    readme = (ROOT / "README.md").read_text()
    assert readme.index("make lab") < readme.index("make course")
    assert "make test" in readme
    for nb in contents.NOTEBOOKS:
        assert nb.file.removesuffix(".ipynb") in readme, f"README does not mention {nb.file}"


def test_readme_shows_a_figure_of_every_notebook_written_by_make_course():
    readme = (ROOT / "README.md").read_text()
    for nb in contents.NOTEBOOKS:
        figure = ROOT / "docs" / "figures" / f"{nb.file[:2]}.png"
        written = (ROOT / "notebooks" / nb.file).exists()
        assert (f"(docs/figures/{nb.file[:2]}.png)" in readme) == written, nb.file
        assert figure.exists() == written, f"{figure.name}: run `make course` to draw it"


def test_map_groups_the_lessons_into_the_arc_in_course_order():
    table = contents.notebook_map("https://github.com/a/b")
    order = [line for line in table.splitlines() if line.startswith("| ***") or "[**0" in line]
    parts = [line for line in order if line.startswith("| ***")]
    assert [p.split("**")[1].strip("*") for p in parts] == [name for name, _ in contents.PARTS.values()]
    # each part's header sits right above its first notebook, and every lesson after 00 has a part
    for key, (name, _) in contents.PARTS.items():
        first = next(nb for nb in contents.NOTEBOOKS if nb.part == key)
        header = next(i for i, line in enumerate(order) if name in line)
        assert f"{first.file[:2]} {first.title}" in order[header + 1]
    assert all(nb.part in contents.PARTS and nb.question.endswith("?") for nb in contents.NOTEBOOKS[1:])


def test_arc_figure_draws_every_lesson_and_every_part():
    import matplotlib.pyplot as plt

    fig = contents.arc_figure()
    texts = {t.get_text() for t in fig.axes[0].texts}
    plt.close(fig)
    assert {nb.file[:2] for nb in contents.NOTEBOOKS[1:]} <= texts
    assert {name for name, _ in contents.PARTS.values()} <= texts
