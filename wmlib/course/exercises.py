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

``giveaways(nb)`` searches the prose and code above each exercise for its answer (a literal, a
formula, a solution line, a reference computed in the exercise's own cell); ``KNOWN_GIVEAWAYS``
lists the exercises known to give theirs away until their notebooks are fixed.

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

    task: str  # what the learner is asked to do, one line
    indent: str  # the markers' indentation, which the stub gets too
    begin: int  # 0-based line numbers of the two markers in ``source.split("\\n")``
    end: int
    solution: str  # the lines between the markers, as written


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
                raise ExerciseMarkupError(
                    f"{where}: BEGIN SOLUTION inside the region opened on line {open_at + 1} (regions cannot be nested)"
                )
            task = begin["task"].strip()
            if not begin["colon"] or not task:
                raise ExerciseMarkupError(
                    f"{where}: BEGIN SOLUTION needs a task for the learner: `{BEGIN}: <what to do>`"
                )
            open_at, indent = number, begin["indent"]
        elif end:
            if open_at is None:
                raise ExerciseMarkupError(f"{where}: END SOLUTION without a BEGIN SOLUTION before it")
            if end["indent"] != indent:
                raise ExerciseMarkupError(
                    f"{where}: END SOLUTION is indented differently from the BEGIN SOLUTION on line {open_at + 1}"
                )
            body = lines[open_at + 1 : number]
            if not any(text.strip() for text in body):
                raise ExerciseMarkupError(f"{where}: the region opened on line {open_at + 1} is empty")
            for offset, text in enumerate(body, open_at + 2):
                if text.strip() and not text.startswith(indent):
                    raise ExerciseMarkupError(
                        f"line {offset}: solution code indented less than its BEGIN SOLUTION on line {open_at + 1}"
                    )
            found.append(Region(task, indent, open_at, number, "\n".join(body)))
            open_at = None
        elif _NEAR_MISS.search(line):
            raise ExerciseMarkupError(
                f"{where}: looks like a misspelt marker: {line.strip()!r} "
                f"(write `{BEGIN}: <task>` or `{END}` on a line of its own)"
            )
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
        lines[region.begin : region.end + 1] = [stub(region.task, region.indent)]
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


# --- give-aways: the answer above its exercise ------------------------------------------------------

# Words of a task that say nothing about what it asks (they are in every task).
_TASK_STOPWORDS = frozenset(
    """
    about above after again against answer answers around as before below between both cell check could does each
    expect expected false first formula from function give gives have into its just larger more most once only other
    predict prediction return returns same should smaller some string than that their them then there these they this
    true under until value very what when where which while will with would your yours
""".split()
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n\s*\n|\n\s*[-*]\s+|\n#+\s*")
# "shape, colour, size, x, y or z", '"lower", "about the same" or "higher"': choices, not an answer.
_OPTION_LIST = re.compile(
    r"(?:(?:[\"'`][^\"'`\n]+[\"'`]`?|\w+)\s*,\s*){2,}|(?:[\"'`][^\"'`\n]+[\"'`]\s*,\s*)+"
    r"[\"'`][^\"'`\n]+[\"'`]\s+or\s+[\"'`]"
)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\d)")


# Exercises known to give their answer away, (notebook, exercise) -> why, as found by ``giveaways``
# (issue 24). The test reports them, fails on any exercise not listed here, and fails on a listed one
# that no longer gives its answer away: remove its entry when its notebook is fixed.
KNOWN_GIVEAWAYS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Giveaway:
    """An exercise whose answer can be read above it: in the prose, the code, or its own cell."""

    notebook: str  # file name prefix, "01"
    exercise: str  # the name the exercise defines: the function, or the variable the learner sets
    cell: int  # the exercise cell's index
    clue: str  # what gives the answer away, and where


def _exercise_name(source: str, region: Region) -> str:
    """The function whose body the region is, or the first name the region assigns."""
    lines = source.split("\n")
    if region.indent:
        for line in reversed(lines[: region.begin]):
            found = re.match(r"\s*def\s+(\w+)", line)
            if found:
                return found[1]
    for line in lines[region.begin + 1 : region.end]:
        found = re.match(r"\s*([\w, ]+?)\s*=[^=]", line)
        if found:
            return found[1].split(",")[0].strip()
    return region.task


def _normal(text: str) -> str:
    """Text and code compared as formulas: no spaces, lower case, one minus sign, no library prefixes."""
    text = text.lower().replace("−", "-").replace("×", "*").replace("·", "*").replace("\\", "")
    text = re.sub(r"\b(?:math|np|numpy|torch)\.", "", text)
    return re.sub(r"[\s$`]", "", text)


def _normal_words(text: str) -> str:
    """As ``_normal``, but words stay apart: "k out of the $N - 1$ others" -> "k out of the n-1 others"."""
    text = text.lower().replace("−", "-").replace("×", "*").replace("·", "*").replace("\\", "")
    text = re.sub(r"\b(?:math|np|numpy|torch)\.", "", text)
    text = re.sub(r"[$`]", "", text)
    text = re.sub(r"\s*([-+*/()])\s*", r"\1", text)
    return " ".join(text.split())


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def _keywords(task: str, name: str, options: set[str]) -> set[str]:
    """The content words of a task ("the factor the shadow loses" -> shadow, factor, loses), and the name's parts."""
    words = set(re.findall(r"[a-z_]{4,}", task.lower())) | set(name.lower().split("_"))
    words = {w for w in words if len(w) >= 4 and w not in _TASK_STOPWORDS and w not in options}
    return words | {w.rstrip("s") for w in words if w.endswith("s") and len(w) > 4}


def _assignments(solution: str) -> list[tuple[Any, Any]]:
    """``(target, value)`` for each top-level assignment of a solution, the value a literal when it is one,
    else the expression's ``ast`` node."""
    import ast
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(solution))
    except SyntaxError:
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            try:
                found.append((node.targets[0], ast.literal_eval(node.value)))
            except ValueError:
                found.append((node.targets[0], node.value))
    return found


def _literal_answers(solution: str) -> list[tuple[str, Any]]:
    """``(name, value)`` for each assignment of a literal (or a tuple of literals) in a solution."""
    import ast

    found = []
    for target, value in _assignments(solution):
        if not isinstance(value, ast.AST):
            found += [(ast.unparse(target), v) for v in (value if isinstance(value, tuple) else (value,))]
    return found


def _formulas(solution: str) -> list[Any]:
    """The right-hand sides of the solution's assignments that are expressions, not literals."""
    import ast

    return [value for _, value in _assignments(solution) if isinstance(value, ast.AST)]


def _given_constants(code: str) -> dict[str, Any]:
    """Names the exercise cell sets to plain numbers before the solution: ``n, k = 1000, 10``."""
    import ast

    constants: dict[str, Any] = {}
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return constants
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            continue
        target = node.targets[0]
        names = [target] if isinstance(target, ast.Name) else list(getattr(target, "elts", []))
        values = [value] if isinstance(target, ast.Name) else list(value) if isinstance(value, tuple) else []
        constants.update({n.id: v for n, v in zip(names, values) if isinstance(n, ast.Name)})
    return constants


def _evaluate(formula: Any, names: dict[str, Any]) -> float | None:
    import ast
    import math

    try:
        value = eval(
            compile(ast.Expression(formula), "<formula>", "eval"),  # noqa: S307 - the course's own solution
            {"__builtins__": {}, "math": math, **vars(math)},
            dict(names),
        )
        return float(value)
    except Exception:  # noqa: BLE001 - a formula that needs the notebook's state can't be tried here
        return None


def _formula_clues(formula: Any, constants: dict[str, Any], sentence: str) -> str | None:
    """Whether a sentence spells out the formula, its parts, or its value at numbers the sentence names."""
    import ast

    text = _normal(sentence)
    whole = _normal(ast.unparse(formula))
    bare = re.sub(r"\((\w+)\)", r"\1", whole)  # log(n) as prose writes it: log N
    if (len(whole) >= 3 and whole in text) or (len(bare) >= 4 and bare in text):
        return f"the formula {ast.unparse(formula)}"
    if isinstance(formula, ast.BinOp):
        words = _normal_words(sentence)
        parts = [_normal_words(ast.unparse(side)) for side in (formula.left, formula.right)]
        if max(map(len, parts)) >= 3 and all(
            re.search(rf"(?<![a-z0-9_]){re.escape(part)}(?![a-z0-9_])", words) for part in parts
        ):
            return f"the parts of {ast.unparse(formula)} together"
    variables = {node.id for node in ast.walk(formula) if isinstance(node, ast.Name) and node.id in constants}
    numbers = _NUMBER.findall(sentence)
    for shown in numbers:
        for variable in sorted(variables):
            for setting in numbers:
                if setting == shown:
                    continue
                value = _evaluate(formula, {**constants, variable: float(setting)})
                decimals = len(shown.partition(".")[2])
                if value is not None and decimals and f"{value:.{decimals}f}" == shown:
                    return f"its value {shown} at {variable} = {setting}"
    return None


def giveaways(nb: Any, notebook: str = "") -> list[Giveaway]:
    """Every exercise of ``nb`` whose answer is readable above it in the student copy.

    Above means the cells from the exercise's section heading, ``#`` or ``##`` (or the previous exercise, whichever
    is later) down to the exercise cell, plus the exercise cell's own code before its solution and
    the task the stub shows. Searched for, by the kind of solution:

    - a literal answer (``lost_by_shadow = "colour"``, ``my_pick = 15``): the literal in a sentence
      that also names the task's subject (a content word of the task or of the variable's name),
      option lists ("shape, colour, size, x, y or z") excepted;
    - a formula (``predicted = k / (n - 1)``): the formula itself, its two sides together ("k out
      of the N - 1 others"), or its value at numbers the same sentence names ("0.02 for 500 scenes");
    - a function body: any solution line of 20 or more characters in the code above;
    - any exercise: a value the check reads computed in the exercise cell above the solution (the
      learner can print it before answering).

    A text search is a net, not a proof: it finds the answers given away the ways the course has
    given them away, and ``KNOWN_GIVEAWAYS`` in the tests lists those not yet fixed.
    """
    found: list[Giveaway] = []
    exercises = exercise_cells(nb)
    previous = -1
    for index, marked in exercises:
        heading = max(
            (
                i
                for i in range(previous + 1, index + 1)
                if nb.cells[i].cell_type == "markdown" and re.search(r"^#{1,2}\s", nb.cells[i].source, re.MULTILINE)
            ),
            default=previous + 1,
        )
        above = [
            student_source(nb.cells[i].source) if nb.cells[i].cell_type == "code" else nb.cells[i].source
            for i in range(max(heading, previous + 1), index)
        ]
        source = nb.cells[index].source
        lines = source.split("\n")
        for region in marked:
            name = _exercise_name(source, region)
            before = "\n".join(lines[: region.begin])
            after = "\n".join(lines[region.end + 1 :])
            texts = [*above, before, region.task]
            clue = _clue(region, name, texts, before, after)
            if clue:
                found.append(Giveaway(notebook, name, index, clue))
        previous = index
    return found


def _clue(region: Region, name: str, texts: list[str], before: str, after: str) -> str | None:
    import ast

    # The check reads something computed in the same cell, above the solution.
    try:
        computed = {
            t.id
            for node in ast.parse(_dedent(before)).body
            if isinstance(node, ast.Assign)
            for t in ast.walk(node.targets[0])
            if isinstance(t, ast.Name)
        }
    except SyntaxError:
        computed = set()
    read = set(re.findall(r"\b\w+\b", after.split("check.", 1)[-1])) if "check." in after else set()
    shared = sorted((computed & read) - set(_given_constants(before)))
    if shared and not region.indent:
        return f"the check's reference ({', '.join(shared)}) is computed above the solution in the same cell"
    literals = _literal_answers(region.solution)
    options = {str(v).lower() for _, v in literals}
    quoted = set(re.findall(r"[\"'`]([^\"'`]+)[\"'`]", region.task.lower()))
    listed = {w for match in _OPTION_LIST.finditer(region.task.lower()) for w in re.findall(r"\w+", match[0])}
    keywords = _keywords(region.task, name, options | quoted | listed)
    texts = texts[::-1]  # nearest first, so the clue names the closest give-away
    for _, value in literals:
        if isinstance(value, bool) or value is None:
            continue  # True/False or None: no text search can tell a statement from a mention
        pattern = (
            rf"(?<![\w.]){re.escape(str(value))}(?![\w]|\.\d)"
            if not isinstance(value, str)
            else rf"\b{re.escape(value.lower())}\b"
        )
        for text in texts:
            for sentence in _sentences(text):
                low = sentence.lower()
                if (
                    re.search(pattern, low)
                    and not _OPTION_LIST.search(low)
                    and any(re.search(rf"\b{re.escape(word)}", low) for word in keywords)
                ):
                    return f"{value!r} next to the task's subject in: {_excerpt(sentence)}"
    constants = _given_constants(before)
    for formula in _formulas(region.solution):
        for text in texts:
            for sentence in _sentences(text):
                what = _formula_clues(formula, constants, sentence)
                if what:
                    return f"{what} in: {_excerpt(sentence)}"
    if region.indent:
        code = _normal("\n".join(text for text in texts if text != region.task))
        for line in region.solution.split("\n"):
            # The expression, not what it is assigned to or returned as.
            bare = _normal(re.sub(r"^\s*(?:return\s+|[\w\[\], .]+?=(?!=)\s*)", "", line.split("#", 1)[0]))
            if len(bare) >= 20 and bare in code:
                return f"the solution line {line.strip()!r} in the code above"
    return None


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


def _excerpt(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def write_copies(
    kind: str, out_dir: Path, notebooks: Path = Path("notebooks"), only: list[str] | None = None
) -> list[Path]:
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
    parser = argparse.ArgumentParser(
        prog="python -m wmlib.course.exercises",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
