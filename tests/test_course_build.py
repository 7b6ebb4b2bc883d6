"""`make course` and `make notebooks` on a small notebook: executed, parameters honoured, HTML written."""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from wmlib.course import build


@pytest.fixture
def folder(tmp_path):
    nb = new_notebook(
        cells=[
            new_code_cell("MODE = None", metadata={"tags": ["parameters"]}),
            new_code_cell('import wmlib\nprint("mode:", wmlib.get_mode(MODE))'),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
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
    code = build.main(
        ["course", "--notebooks", str(folder / "notebooks"), "--out", str(out), "--only", "00", "--mode", "toy"]
    )
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


# --- progress bars stored with their final state (issue 24) ----------------------------------------


def test_executed_progress_bars_are_stored_as_their_final_state(tmp_path):
    pytest.importorskip("ipywidgets")
    nb = new_notebook(
        cells=[
            new_code_cell("from tqdm.auto import tqdm\nfor _ in tqdm(range(5), desc='denoiser'):\n    pass"),
            new_code_cell(
                "import sys, tqdm\nfor _ in tqdm.tqdm(range(3), desc='text bar', file=sys.stderr):\n    pass"
            ),
            new_code_cell("import ipywidgets\nipywidgets.IntSlider(3)"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "00_bars.ipynb"
    nbformat.write(nb, path)
    assert build.main(["in-place", "--notebooks", str(tmp_path / "notebooks")]) == 0
    cells = nbformat.read(path, as_version=4).cells
    (bar,) = cells[0].outputs
    assert "application/vnd.jupyter.widget-view+json" not in bar["data"]
    assert re.fullmatch(r"denoiser: 5/5 done in 00:0\d", bar["data"]["text/plain"])
    text = "".join(o.get("text", "") for o in cells[1].outputs)
    assert "\r" not in text and "text bar: 100%" in text and "0%" not in text.replace("100%", "")
    # Other widgets stay live, with their state.
    slider = cells[2].outputs[0]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    state = nbformat.read(path, as_version=4).metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
    assert slider in state["state"]


def widget(model: str, **state):
    return {"model_name": model, "model_module": "@jupyter-widgets/controls", "state": state}


def test_a_stopped_bar_says_so_and_unused_models_are_dropped():
    nb = new_notebook(cells=[new_code_cell("loop()")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data",
            {
                "application/vnd.jupyter.widget-view+json": {"model_id": "box", "version_major": 2},
                "text/plain": "training:   0%|          | 0/300 [00:00<?, ?it/s]",
            },
        )
    ]
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {
                "box": widget("HBoxModel", children=["IPY_MODEL_a", "IPY_MODEL_b", "IPY_MODEL_c"]),
                "a": widget("HTMLModel", value="training:\u2007\u200740%"),
                "b": widget("FloatProgressModel", value=120.0, max=300.0, bar_style="danger"),
                "c": widget("HTMLModel", value="\u2007120/300\u2007[00:12&lt;00:18,\u2007\u200710.0it/s]"),
            },
            "version_major": 2,
            "version_minor": 0,
        }
    }
    assert build.finalize_progress(nb) == 1
    assert nb.cells[0].outputs[0]["data"] == {"text/plain": "training: stopped at 120/300 after 00:12"}
    assert "widgets" not in nb.metadata  # no output uses those models any more
