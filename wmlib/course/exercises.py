"""Exercises written once: the student copy and the solution copy of a notebook come from one source.

The committed notebooks hold the solved exercises, run by nbval like any other cell. Each solution
is wrapped in two marker lines, indented like the code they wrap::

    def shadow_of_point(point, light, wall_z=4.0):
        \"\"\"(x, y) on the wall z = wall_z of the shadow ...\"\"\"
        ### BEGIN SOLUTION: return the (x, y) where the ray from light through point meets the wall
        s = (wall_z - light[2]) / (point[2] - light[2])
        return light[:2] + s * (point[:2] - light[:2])
        ### END SOLUTION

The text after ``BEGIN SOLUTION:`` is the task, one short line addressed to the learner. The
student copy replaces each marked region with ``raise check.YourTurn("<task>")`` at the region's
indentation (the notebooks already ``from wmlib import check``), so ``check.function`` reports a
friendly "not done yet" and a stub run on its own prints "Your turn: <task>". The solution copy
only drops the marker lines. A function exercise wraps the function's body (the ``def`` line and
docstring stay, so the learner sees the signature); a prediction wraps the assignment line(s)::

    ### BEGIN SOLUTION: set my_answer to True or False: does the error grow?
    my_answer = True
    ### END SOLUTION

Command line (``make student`` and ``make solutions``)::

    python -m wmlib.course.exercises student --out build/student      # stubs, no outputs
    python -m wmlib.course.exercises solutions --out build/solutions  # solutions, committed outputs kept
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"

_BEGIN_LINE = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION(?P<colon>:?)(?P<task>.*?)\s*$")
_END_LINE = re.compile(r"^(?P<indent>[ \t]*)### END SOLUTION\s*$")
# A line that mentions a marker without being one (``# BEGIN SOLUTION``, ``### END SOLUTION here``)
# is a typo that would silently leak the solution into the student copy: refuse it.
_NEAR_MISS = re.compile(r"#\s*(BEGIN|END)\s+SOLUTION", re.IGNORECASE)


class ExerciseMarkupError(ValueError):
    """The solution markers of a cell are malformed; the message names the line (1-based)."""


@dataclass(frozen=True)
class Region:
    """One marked solution: ``lines[begin]`` is its BEGIN marker, ``lines[end]`` its END marker."""

    task: str        # what the learner is asked to do, one line
    indent: str      # the markers' indentation, which the stub gets too
    begin: int       # 0-based line numbers of the two markers in ``source.split("\\n")``
    end: int
    solution: str    # the lines between the markers, as written


def regions(source: str) -> list[Region]:
    """The marked solutions of a cell's source, in order.

    Raises ``ExerciseMarkupError`` for a BEGIN without END (or END without BEGIN), a nested
    BEGIN, an empty task, an empty region, an END indented differently from its BEGIN, a solution
    line indented less than its markers, and a line that looks like a misspelt marker.
    """
    found: list[Region] = []
    open_at: int | None = None
    task = indent = ""
    lines = source.split("\n")
    for number, line in enumerate(lines):
        where = f"line {number + 1}"
        begin, end = _BEGIN_LINE.match(line), _END_LINE.match(line)
        if begin:
            if open_at is not None:
                raise ExerciseMarkupError(f"{where}: BEGIN SOLUTION inside the region opened on "
                                          f"line {open_at + 1} (regions cannot be nested)")
            task = begin["task"].strip()
            if not begin["colon"] or not task:
                raise ExerciseMarkupError(f"{where}: BEGIN SOLUTION needs a task for the learner: "
                                          f"`{BEGIN}: <what to do>`")
            open_at, indent = number, begin["indent"]
        elif end:
            if open_at is None:
                raise ExerciseMarkupError(f"{where}: END SOLUTION without a BEGIN SOLUTION before it")
            if end["indent"] != indent:
                raise ExerciseMarkupError(f"{where}: END SOLUTION is indented differently from the "
                                          f"BEGIN SOLUTION on line {open_at + 1}")
            body = lines[open_at + 1:number]
            if not any(text.strip() for text in body):
                raise ExerciseMarkupError(f"{where}: the region opened on line {open_at + 1} is empty")
            for offset, text in enumerate(body, open_at + 2):
                if text.strip() and not text.startswith(indent):
                    raise ExerciseMarkupError(f"line {offset}: solution code indented less than its "
                                              f"BEGIN SOLUTION on line {open_at + 1}")
            found.append(Region(task, indent, open_at, number, "\n".join(body)))
            open_at = None
        elif _NEAR_MISS.search(line):
            raise ExerciseMarkupError(f"{where}: looks like a misspelt marker: {line.strip()!r} "
                                      f"(write `{BEGIN}: <task>` or `{END}` on a line of its own)")
    if open_at is not None:
        raise ExerciseMarkupError(f"line {open_at + 1}: BEGIN SOLUTION is never closed by {END}")
    return found


def stub(task: str, indent: str = "") -> str:
    """The line that stands in for a solution: ``raise check.YourTurn("<task>")``."""
    literal = f'"{task}"' if '"' not in task and "\\" not in task else repr(task)
    return f"{indent}raise check.YourTurn({literal})"


def student_source(source: str) -> str:
    """``source`` with each marked region (markers included) replaced by its ``raise check.YourTurn`` stub."""
    lines = source.split("\n")
    for region in reversed(regions(source)):
        lines[region.begin:region.end + 1] = [stub(region.task, region.indent)]
    return "\n".join(lines)


def solution_source(source: str) -> str:
    """``source`` without its marker lines: the solved exercise as it runs in the committed notebook."""
    lines = source.split("\n")
    for region in reversed(regions(source)):
        del lines[region.end]
        del lines[region.begin]
    return "\n".join(lines)


def exercise_cells(nb: Any) -> list[tuple[int, list[Region]]]:
    """``(cell index, regions)`` for each code cell of ``nb`` with at least one marked region."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            marked = regions(cell.source)
        except ExerciseMarkupError as error:
            raise ExerciseMarkupError(f"cell {index}, {error}") from None
        if marked:
            found.append((index, marked))
    return found


def student_notebook(nb: Any) -> Any:
    """A copy of ``nb`` with stubs for solutions and no outputs, execution counts or widget state."""
    exercise_cells(nb)  # every error names its cell before anything is rewritten
    out = copy.deepcopy(nb)
    out.metadata.pop("widgets", None)  # the saved state of widgets whose outputs are gone
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.source = student_source(cell.source)
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return out


def solution_notebook(nb: Any) -> Any:
    """A copy of ``nb`` without the marker lines; outputs and execution counts are kept."""
    exercise_cells(nb)
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.source = solution_source(cell.source)
    return out


def write_copies(kind: str, out_dir: Path, notebooks: Path = Path("notebooks"),
                 only: list[str] | None = None) -> list[Path]:
    """Write the ``"student"`` or ``"solutions"`` copy of every course notebook into ``out_dir``."""
    import nbformat

    from wmlib.course.build import notebook_paths

    make = {"student": student_notebook, "solutions": solution_notebook}[kind]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebook_paths(notebooks, only):
        nb = nbformat.read(path, as_version=4)
        try:
            copy_ = make(nb)
        except ExerciseMarkupError as error:
            raise ExerciseMarkupError(f"{path.name}: {error}") from None
        target = out_dir / path.name
        nbformat.write(copy_, target)
        count = sum(len(marked) for _, marked in exercise_cells(nb))
        print(f"{target}: {count} exercise{'' if count == 1 else 's'}")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmlib.course.exercises", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["student", "solutions"])
    parser.add_argument("--out", type=Path, help="output folder (default: build/<kind>)")
    parser.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="folder of the notebooks")
    parser.add_argument("--only", nargs="*", help="notebook prefixes, e.g. 01 06")
    args = parser.parse_args(argv)
    try:
        write_copies(args.kind, args.out or Path("build") / args.kind, args.notebooks, args.only)
    except (ExerciseMarkupError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
