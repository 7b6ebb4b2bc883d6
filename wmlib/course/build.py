"""Execute the course's notebooks headless.

    python -m wmlib.course.build course --out build   # papermill into build/, an HTML copy of each, build/index.html
    python -m wmlib.course.build in-place             # re-execute the committed notebooks, outputs kept
    python -m wmlib.course.build progress             # only rewrite their stored progress bars (no kernel)

``make course`` and ``make notebooks`` call these. Each notebook runs in a fresh kernel, in its own
folder, top to bottom. Afterwards each progress bar is stored as one line with its final state
("training the toy CLIP: 300/300 done in 01:31"): a tqdm widget's output keeps only its first
rendering ("0%") for any reader without a live kernel (GitHub, the HTML copies), which reads as if
nothing ran.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from pathlib import Path
from typing import Any

KERNEL = "python3"
NOTEBOOK_DIR = Path("notebooks")


def notebook_paths(folder: Path = NOTEBOOK_DIR, only: list[str] | None = None) -> list[Path]:
    """The course notebooks in order, optionally only those whose file name starts with one of ``only``."""
    paths = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if any(p.name.startswith(prefix) for prefix in only)]
    if not paths:
        raise FileNotFoundError(f"no notebooks matching {only or '*'} in {folder}/")
    return paths


def execute_in_place(path: Path, timeout: int = 900) -> float:
    """Re-execute ``path`` from a fresh kernel and save it with its outputs; returns seconds taken."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # record_timing=False: per-cell timestamps would change every run and clutter the diffs.
    NotebookClient(
        nb, timeout=timeout, kernel_name=KERNEL, record_timing=False, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    finalize_progress(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def execute_to(path: Path, out_dir: Path, parameters: dict | None = None, timeout: int = 900) -> float:
    """Execute ``path`` with papermill into ``out_dir``, write an HTML copy beside it; returns seconds."""
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / path.name
    start = time.perf_counter()
    papermill.execute_notebook(
        str(path),
        str(out),
        parameters=parameters or {},
        kernel_name=KERNEL,
        cwd=str(path.parent),
        progress_bar=False,
        execution_timeout=timeout,
    )
    seconds = time.perf_counter() - start
    import nbformat

    executed = nbformat.read(out, as_version=4)
    if finalize_progress(executed):
        nbformat.write(executed, out)
    html_copy(out)
    return seconds


_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_TQDM_COUNTS = re.compile(r"(?P<n>\d+)(?:/(?P<total>\d+))?\s*\[(?P<elapsed>[^<\]]+)")


def finalize_progress(nb: Any) -> int:
    """Store each progress bar of an executed notebook as its final state, in one line; returns how many.

    A tqdm widget (an HBox of description, bar and counts) becomes a plain-text output such as
    "training the toy CLIP: 300/300 done in 01:31", read from the widget state the kernel saved at
    the end; the models no output refers to any more are dropped from that state. A text progress
    bar on stdout or stderr keeps only what its last carriage return left on each line. Other
    widgets (sliders, buttons) are left alone.
    """
    state = nb.metadata.get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})
    changed = 0
    for cell in nb.cells:
        if "outputs" not in cell:
            continue
        merged = _merge_progress_streams(cell.outputs)
        changed += len(cell.outputs) != len(merged) or any(a is not b for a, b in zip(cell.outputs, merged))
        cell.outputs = merged
        for output in cell.outputs:
            view = output.get("data", {}).get(_WIDGET_VIEW)
            line = _progress_line(state, view["model_id"]) if view else None
            if line is not None:
                output["data"] = {"text/plain": line}
                output.pop("metadata", None)
                output["metadata"] = {}
                if output.get("output_type") == "execute_result":
                    output["output_type"] = "display_data"
                    output.pop("execution_count", None)
                changed += 1
    if changed and state:
        used = {
            o["data"][_WIDGET_VIEW]["model_id"]
            for c in nb.cells
            for o in c.get("outputs", [])
            if _WIDGET_VIEW in o.get("data", {})
        }
        kept = _reachable(state, used)
        for model_id in [m for m in state if m not in kept]:
            del state[model_id]
        if not state:
            nb.metadata.pop("widgets", None)
    return changed


def _progress_line(state: dict, model_id: str) -> str | None:
    """'desc: n/total done in 00:25' for a tqdm widget's final state; None for any other widget."""
    box = state.get(model_id, {})
    children = [state.get(str(c).replace("IPY_MODEL_", ""), {}) for c in box.get("state", {}).get("children", [])]
    names = [child.get("model_name") for child in children]
    if box.get("model_name") != "HBoxModel" or names not in (
        ["HTMLModel", "FloatProgressModel", "HTMLModel"],
        ["HTMLModel", "IntProgressModel", "HTMLModel"],
    ):
        return None

    def text(child: dict) -> str:
        return " ".join(html.unescape(str(child["state"].get("value", ""))).replace("\u2007", " ").split())

    desc = re.sub(r"\s*\d+%$", "", text(children[0])).rstrip(": ")
    bar = children[1]["state"]
    counts = _TQDM_COUNTS.search(text(children[2]))
    n = counts["n"] if counts else f"{bar.get('value', 0):g}"
    total = counts["total"] if counts else (f"{bar['max']:g}" if bar.get("max") else None)
    elapsed = f" in {counts['elapsed'].strip()}" if counts else ""
    done = total is not None and n == total and bar.get("bar_style") != "danger"
    what = f"{n}/{total}" if total else n
    line = f"{what} done{elapsed}" if done else f"stopped at {what}{elapsed.replace(' in ', ' after ')}"
    return f"{desc}: {line}" if desc else line


def _reachable(state: dict, roots: set[str]) -> set[str]:
    """The widget models reachable from ``roots`` through the IPY_MODEL_ references in their state."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        model_id = todo.pop()
        if model_id in seen or model_id not in state:
            continue
        seen.add(model_id)
        todo += re.findall(r"IPY_MODEL_([0-9a-f]+)", str(state[model_id]))
    return seen


def _merge_progress_streams(outputs: list) -> list:
    """Consecutive outputs of one stream joined where a carriage return redraws them (a text progress bar)."""
    result: list = []
    for output in outputs:
        previous = result[-1] if result else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
            and ("\r" in previous["text"] or output["text"].startswith("\r"))
        ):
            previous = result[-1] = dict(previous, text=previous["text"] + output["text"])
        else:
            result.append(output)
    import nbformat

    return [
        nbformat.from_dict(dict(o, text=_after_carriage_returns(o["text"])))
        if o.get("output_type") == "stream" and "\r" in o["text"]
        else o
        for o in result
    ]


def _after_carriage_returns(text: str) -> str:
    """What a terminal shows: on each line, only what follows its last carriage return."""
    lines = []
    for line in text.split("\n"):
        parts = [part for part in line.split("\r") if part.strip()]
        lines.append(parts[-1] if parts else "")
    return "\n".join(lines)


def html_copy(path: Path) -> Path:
    """Write the HTML copy of an executed notebook beside it (JupyterLab's look; inline videos kept)."""
    import nbformat
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(path, as_version=4))
    out = Path(path).with_suffix(".html")
    out.write_text(html, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wmlib.course.build", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["course", "in-place", "progress"])
    parser.add_argument("--out", type=Path, default=Path("build"), help="output folder for `course`")
    parser.add_argument("--only", nargs="*", help="notebook prefixes, e.g. 00 02")
    parser.add_argument("--mode", help="papermill MODE parameter for `course` (default: the default mode)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOK_DIR, help="folder of the notebooks")
    parser.add_argument(
        "--figures", type=Path, help="for `course`: where each notebook's README figure goes (default: OUT/figures)"
    )
    args = parser.parse_args(argv)

    failed, seconds_taken = [], {}
    if args.what == "progress":
        import nbformat

        for path in notebook_paths(args.notebooks, args.only):
            nb = nbformat.read(path, as_version=4)
            count = finalize_progress(nb)
            if count:
                nbformat.write(nb, path)
            print(f"{path.name}: {count} progress bar(s) stored with their final state")
        return 0
    for path in notebook_paths(args.notebooks, args.only):
        try:
            if args.what == "course":
                seconds = execute_to(path, args.out, {"MODE": args.mode} if args.mode else None)
            else:
                seconds = execute_in_place(path)
        except Exception as err:  # report every notebook, then fail once at the end
            last = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip().splitlines() or [""]
            print(f"{path.name}: FAILED\n  {type(err).__name__}: {last[-1]}")
            failed.append(path.name)
            continue
        print(f"{path.name}: {seconds:.1f} s")
        seconds_taken[path.name] = seconds
    if args.what == "course" and seconds_taken:
        from wmlib.course.site import write_site

        written = write_site(args.out, seconds_taken, args.figures)
        print(
            f"Executed notebooks and their HTML copies are in {args.out}/, the landing page is {written[0]}; "
            f"{len(written) - 1} figure(s) written"
        )
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
