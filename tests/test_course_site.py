"""wmlib.course.site: the landing page of `make course` and the README figures."""

import base64
import io
import re
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_notebook, new_output
from PIL import Image

from wmlib.course import contents, site

ROOT = Path(__file__).resolve().parents[1]


def png(width, height, colour=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def executed(path, *images):
    cells = [
        new_code_cell("plot()", outputs=[new_output("display_data", {"image/png": base64.b64encode(p).decode()})])
        for p in images
    ]
    cells.insert(1, new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="1\n")]))
    nbformat.write(new_notebook(cells=cells), path)


def test_figure_of_picks_the_indexed_image_or_none(tmp_path):
    executed(tmp_path / "a.ipynb", png(10, 10), png(20, 10), png(30, 10))
    assert Image.open(io.BytesIO(site.figure_of(tmp_path / "a.ipynb", 1))).size == (20, 10)
    assert Image.open(io.BytesIO(site.figure_of(tmp_path / "a.ipynb", -1))).size == (30, 10)
    assert site.figure_of(tmp_path / "a.ipynb", 3) is None


def test_shrink_png_only_shrinks_and_keeps_the_aspect():
    small = Image.open(io.BytesIO(site.shrink_png(png(1280, 400), width=640)))
    assert small.size == (640, 200)
    assert Image.open(io.BytesIO(site.shrink_png(png(300, 100), width=640))).size == (300, 100)
    assert np.asarray(small)[100, 320].tolist() == [200, 30, 30]


def test_index_links_what_was_built_with_its_time_and_hardware():
    first, second = contents.NOTEBOOKS[0], contents.NOTEBOOKS[1]
    page = site.index_html({first.file: 42.4}, {first.file}, repo_url="https://github.com/o/r")
    stem = first.file.removesuffix(".ipynb")
    assert f'<a href="{stem}.html">' in page and "42 s" in page
    assert "(not built)" in page and f'href="{second.file.removesuffix(".ipynb")}.html"' not in page
    unwritten = [nb for nb in contents.NOTEBOOKS if not (ROOT / "notebooks" / nb.file).exists()]
    assert page.count("(being written)") == len(unwritten)
    for nb in contents.NOTEBOOKS:  # every notebook of the map is listed, with its promise and its Colab link
        assert nb.promise.replace("'", "&#x27;") in page
        assert f"https://colab.research.google.com/github/o/r/blob/main/notebooks/{nb.file}" in page
    assert first.real_hardware in page


def test_write_site_writes_the_page_and_the_figures_of_this_build(tmp_path):
    a, b = contents.NOTEBOOKS[0], contents.NOTEBOOKS[1]
    for nb in (a, b):
        executed(tmp_path / nb.file, *[png(900 + 10 * k, 300) for k in range(nb.figure + 1)])
        (tmp_path / nb.file.replace(".ipynb", ".html")).write_text("<html></html>")
    written = site.write_site(tmp_path, {a.file: 3.0}, figures=tmp_path / "figs", repo_url="https://github.com/o/r")
    assert written == [tmp_path / "index.html", tmp_path / "figs" / f"{a.file[:2]}.png"]
    figure = Image.open(tmp_path / "figs" / f"{a.file[:2]}.png")
    assert figure.width == site.FIGURE_WIDTH  # the figure-th image (900 + 10*figure px wide), shrunk
    page = (tmp_path / "index.html").read_text()
    # both were built (their HTML copies exist); only the one executed in this build has a time
    for link in re.findall(r'href="([^"#:]+)"', page):
        assert (tmp_path / link).exists(), link
    assert "3 s" in page
