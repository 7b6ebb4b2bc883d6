"""The course as a readable site: ``build/index.html`` and one figure per notebook.

``make course`` executes every notebook into ``build/`` with an HTML copy of each (``wmlib.course.build``),
then calls ``write_site``: a landing page that links every notebook's HTML copy with its one-line
promise, the time it took in that very run, the hardware its ``real`` mode needs and its Colab link;
and, for the README, one figure of each notebook (``figure_of``: the ``Notebook.figure``-th image the
executed notebook shows), written as a small PNG to ``docs/figures/``.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

FIGURE_WIDTH = 640  # pixels: the README shows figures at most this wide


def figure_of(notebook_path: Path, index: int = 0) -> bytes | None:
    """The ``index``-th PNG among the outputs of an executed notebook (negative counts from the end);
    None when it shows fewer."""
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    pngs = [
        o["data"]["image/png"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    if not -len(pngs) <= index < len(pngs):
        return None
    return base64.b64decode(pngs[index])


def shrink_png(png: bytes, width: int = FIGURE_WIDTH) -> bytes:
    """The PNG scaled down to at most ``width`` pixels wide (never up), optimised."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png))
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def index_html(seconds: dict[str, float], built: set[str], repo_url: str | None = None) -> str:
    """The landing page: every notebook of the map, linked to its HTML copy where it was built, with
    its promise, the run time measured in this build, the real-mode hardware and a Colab link."""
    from wmlib.course.contents import NOTEBOOKS, colab_url, repo_root

    root = repo_root()
    rows = []
    for nb in NOTEBOOKS:
        stem = nb.file.removesuffix(".ipynb")
        title = html.escape(f"{nb.file[:2]} · {nb.title}")
        if nb.file in built:
            name = f'<a href="{stem}.html">{title}</a>'
            took = f"{seconds[nb.file]:.0f} s" if nb.file in seconds else "–"
        else:
            written = root is None or (root / "notebooks" / nb.file).exists()
            name, took = f"{title} <em>({'not built' if written else 'being written'})</em>", "–"
        colab = f'<a href="{html.escape(colab_url(nb.file, repo_url))}">Colab</a>'
        rows.append(
            f"<tr><td>{name}</td><td>{html.escape(nb.promise)}</td><td>{took}</td>"
            f"<td>{html.escape(nb.real_hardware)}</td><td>{colab}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>World Models: the course</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; vertical-align: top; padding: .45rem .6rem; border-bottom: 1px solid #ddd; }}
th {{ background: #f4f4f4; }}
</style></head>
<body>
<h1>World Models</h1>
<p>A hands-on course on what a world model is: Plato's cave, CLIP, the Platonic Representation Hypothesis,
video generation, Frame2Frame and world simulators. Each notebook below was executed for this page in the
default mode; the run time is the one measured in that build.</p>
<table>
<tr><th>notebook</th><th>what you will do</th><th>run time (this build)</th>
<th><code>real</code> mode needs</th><th></th></tr>
{chr(10).join(rows)}
</table>
</body></html>
"""


def write_site(
    out: Path, seconds: dict[str, float], figures: Path | None = None, repo_url: str | None = None
) -> list[Path]:
    """``out/index.html`` for the notebooks executed into ``out`` (``seconds``: file -> run time), and
    each one's figure as ``figures/NN.png`` (default ``out/figures``). Returns the files written."""
    from wmlib.course.contents import NOTEBOOKS

    out = Path(out)
    built = {nb.file for nb in NOTEBOOKS if (out / nb.file.replace(".ipynb", ".html")).exists()}
    written = [out / "index.html"]
    written[0].write_text(index_html(seconds, built, repo_url), encoding="utf-8")
    figures = out / "figures" if figures is None else Path(figures)
    for nb in NOTEBOOKS:
        if nb.file not in seconds:  # only what this build executed: an old copy may be stale
            continue
        png = figure_of(out / nb.file, nb.figure)
        if png is not None:
            figures.mkdir(parents=True, exist_ok=True)
            path = figures / f"{nb.file[:2]}.png"
            path.write_bytes(shrink_png(png))
            written.append(path)
    return written
