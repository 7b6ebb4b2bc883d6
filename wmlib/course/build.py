"""Execute the course's notebooks headless.

    python -m wmlib.course.build course --out build   # papermill into build/, an HTML copy of each, build/index.html
    python -m wmlib.course.build in-place             # re-execute the committed notebooks, outputs kept

``make course`` and ``make notebooks`` call these. Each notebook runs in a fresh kernel, in its own
folder, top to bottom.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

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
    NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    return time.perf_counter() - start


def execute_to(path: Path, out_dir: Path, parameters: dict | None = None, timeout: int = 900) -> float:
    """Execute ``path`` with papermill into ``out_dir``, write an HTML copy beside it; returns seconds."""
    import papermill

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / path.name
    start = time.perf_counter()
    papermill.execute_notebook(str(path), str(out), parameters=parameters or {}, kernel_name=KERNEL,
                               cwd=str(path.parent), progress_bar=False, execution_timeout=timeout)
    seconds = time.perf_counter() - start
    html_copy(out)
    return seconds


def html_copy(path: Path) -> Path:
    """Write the HTML copy of an executed notebook beside it (JupyterLab's look; inline videos kept)."""
    import nbformat
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.read(path, as_version=4))
    out = Path(path).with_suffix(".html")
    out.write_text(html, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmlib.course.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["course", "in-place"])
    parser.add_argument("--out", type=Path, default=Path("build"), help="output folder for `course`")
    parser.add_argument("--only", nargs="*", help="notebook prefixes, e.g. 00 02")
    parser.add_argument("--mode", help="papermill MODE parameter for `course` (default: the default mode)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOK_DIR, help="folder of the notebooks")
    parser.add_argument("--figures", type=Path, help="for `course`: where each notebook's README figure goes "
                        "(default: OUT/figures)")
    args = parser.parse_args(argv)

    failed, seconds_taken = [], {}
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
        print(f"Executed notebooks and their HTML copies are in {args.out}/, the landing page is {written[0]}; "
              f"{len(written) - 1} figure(s) written")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
