"""`make course` and `make notebooks` on a small notebook: executed, parameters honoured, HTML written."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from wmlib.course import build


@pytest.fixture
def folder(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell('MODE = None', metadata={"tags": ["parameters"]}),
        new_code_cell('import wmlib\nprint("mode:", wmlib.get_mode(MODE))'),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "00_tiny.ipynb")
    nbformat.write(nb, tmp_path / "notebooks" / "01_other.ipynb")
    return tmp_path


def test_notebook_paths_in_order_and_filtered(folder):
    names = [p.name for p in build.notebook_paths(folder / "notebooks")]
    assert names == ["00_tiny.ipynb", "01_other.ipynb"]
    assert [p.name for p in build.notebook_paths(folder / "notebooks", ["01"])] == ["01_other.ipynb"]
    with pytest.raises(FileNotFoundError):
        build.notebook_paths(folder / "notebooks", ["99"])


def test_course_executes_into_out_with_html_and_parameters(folder, monkeypatch):
    monkeypatch.delenv("WMLIB_MODE", raising=False)
    out = folder / "build"
    code = build.main(["course", "--notebooks", str(folder / "notebooks"), "--out", str(out),
                       "--only", "00", "--mode", "toy"])
    assert code == 0
    executed = nbformat.read(out / "00_tiny.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "mode: toy" in printed  # the papermill parameter reached the notebook
    html = (out / "00_tiny.html").read_text()
    assert "<html" in html and "mode: toy" in html
    assert not (out / "01_other.ipynb").exists()


def test_in_place_keeps_outputs_without_timestamps(folder, monkeypatch):
    monkeypatch.setenv("WMLIB_MODE", "real")
    path = folder / "notebooks" / "01_other.ipynb"
    assert build.main(["in-place", "--notebooks", str(folder / "notebooks"), "--only", "01"]) == 0
    nb = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in nb.cells] == [1, 2]
    assert nb.cells[1].outputs[0].text == "mode: real\n"
    assert all("execution" not in c.metadata for c in nb.cells)


def test_a_failing_notebook_fails_the_build_and_is_named(folder, capsys):
    path = folder / "notebooks" / "00_tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(new_code_cell("raise RuntimeError('lesson broke')"))
    nbformat.write(nb, path)
    assert build.main(["in-place", "--notebooks", str(folder / "notebooks")]) == 1
    assert "00_tiny.ipynb" in capsys.readouterr().err
