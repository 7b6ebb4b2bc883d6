"""Exercises written once (wmlib.course.exercises): the marker parser, the committed notebooks' markers, and
the student and solution copies made from them.

How "every solution passes and every stub fails kindly" is tested, cheaply and for real:

- Solutions: the solution copy's code is the committed notebook's code minus the marker lines, and the
  committed notebooks are the ones nbval executes in `make test` (a failed check raises CheckFailed,
  which fails nbval). Here we also require that each exercise cell's committed output says
  "✅ <name>: correct", so a notebook committed with an unsolved exercise is caught without a kernel.
- Stubs: each stub is run on its own, no notebook state needed. A function stub's `def` is executed
  alone (annotations unevaluated) and handed to the real `check.function`, which must give the
  "not done yet: <task>" verdict; a value stub is executed and must raise YourTurn(<task>), whose
  IPython rendering is the "Your turn" note. At the end the student copy of 06 runs in a kernel
  (every student copy with WMLIB_SLOW=all), which checks that exercise cells, and only they, stop
  with the friendly message.
"""

from __future__ import annotations
import __future__

import ast
import os
import re
from pathlib import Path

import nbformat
import pytest

from wmlib import check
from wmlib.course import exercises
from wmlib.course.exercises import ExerciseMarkupError, Region, regions, solution_source, student_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name[:2] for p in NOTEBOOKS]
CHECK_CALL = re.compile(r"\bcheck\.(function|formula|equal|close|shape|property)\(\s*\"([^\"]+)\"")
SUMMARY_CALL = re.compile(r"check\.summary\(\[([^\]]*)\]")


def read(path: Path):
    return nbformat.read(path, as_version=4)


# --- the parser --------------------------------------------------------------------------------------

FUNCTION = '''\
def f(x):
    """Twice x."""
    ### BEGIN SOLUTION: return twice x
    y = 2 * x
    return y
    ### END SOLUTION

print(f)'''

VALUES = """\
n = 3
### BEGIN SOLUTION: set a to "one"
a = "one"
### END SOLUTION
if n:
        ### BEGIN SOLUTION: set b
        b = 2

        ### END SOLUTION"""


def test_regions_are_found_with_task_indent_and_lines():
    (region,) = regions(FUNCTION)
    assert region == Region("return twice x", "    ", 2, 5, "    y = 2 * x\n    return y")
    first, second = regions(VALUES)
    assert (first.task, first.indent, first.begin, first.end) == ('set a to "one"', "", 1, 3)
    assert (second.task, second.indent, second.solution) == ("set b", " " * 8, "        b = 2\n")


def test_solution_source_only_drops_the_marker_lines():
    assert solution_source(FUNCTION) == ('def f(x):\n    """Twice x."""\n    y = 2 * x\n    return y\n\nprint(f)')
    kept = [line for line in VALUES.split("\n") if "SOLUTION" not in line]
    assert solution_source(VALUES) == "\n".join(kept)


def test_student_source_raises_your_turn_at_the_regions_indentation():
    assert student_source(FUNCTION) == (
        'def f(x):\n    """Twice x."""\n    raise check.YourTurn("return twice x")\n\nprint(f)'
    )
    assert student_source(VALUES).split("\n") == [
        "n = 3",
        "raise check.YourTurn('set a to \"one\"')",
        "if n:",
        '        raise check.YourTurn("set b")',
    ]


def test_sources_without_markers_are_unchanged():
    for source in ["", "x = 1", "x = 1\n", "# BEGIN a comment\n\n"]:
        assert regions(source) == [] and student_source(source) == source == solution_source(source)


@pytest.mark.parametrize("task", ['say "hi"', "a \\ backslash", "it's", "naïve ünïcode: 0.95 ≥ x"])
def test_any_task_text_round_trips_through_the_stub(task):
    source = f"### BEGIN SOLUTION: {task}\nx = 1\n### END SOLUTION"
    (node,) = ast.parse(student_source(source)).body
    assert isinstance(node, ast.Raise) and ast.literal_eval(node.exc.args[0]) == task


def test_a_trailing_newline_and_windows_line_ends_survive():
    source = "### BEGIN SOLUTION: t\r\nx = 1\r\n### END SOLUTION\r\nprint(x)\n"
    assert solution_source(source) == "x = 1\r\nprint(x)\n"
    assert student_source(source) == 'raise check.YourTurn("t")\nprint(x)\n'


@pytest.mark.parametrize(
    "source, words",
    [
        ("### BEGIN SOLUTION: t\nx = 1", "line 1: BEGIN SOLUTION is never closed"),
        ("x = 1\n### END SOLUTION", "line 2: END SOLUTION without a BEGIN"),
        (
            "### BEGIN SOLUTION: t\n### BEGIN SOLUTION: u\nx = 1\n### END SOLUTION\n### END SOLUTION",
            "line 2: BEGIN SOLUTION inside the region opened on line 1",
        ),
        ("### BEGIN SOLUTION:   \nx = 1\n### END SOLUTION", "line 1: BEGIN SOLUTION needs a task"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "line 1: BEGIN SOLUTION needs a task"),
        ("### BEGIN SOLUTION: t\n\n### END SOLUTION", "line 3: the region opened on line 1 is empty"),
        ("    ### BEGIN SOLUTION: t\n    x = 1\n### END SOLUTION", "line 3: END SOLUTION is indented differently"),
        ("    ### BEGIN SOLUTION: t\nx = 1\n    ### END SOLUTION", "line 2: solution code indented less"),
        ("# BEGIN SOLUTION: t\nx = 1\n# END SOLUTION", "line 1: looks like a misspelt marker"),
        ("### BEGIN SOLUTION: t\nx = 1\n### END SOLUTION here", "line 3: looks like a misspelt marker"),
    ],
)
def test_malformed_markers_are_refused_with_the_line(source, words):
    for transform in (regions, student_source, solution_source):
        with pytest.raises(ExerciseMarkupError, match=re.escape(words)):
            transform(source)


def test_notebook_errors_name_the_cell():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("### END SOLUTION")]
    )
    for make in (exercises.student_notebook, exercises.solution_notebook):
        with pytest.raises(ExerciseMarkupError, match="cell 1, line 1: END SOLUTION without"):
            make(nb)


def test_cli_writes_both_copies_of_every_notebook(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    cell = nbformat.v4.new_code_cell(
        FUNCTION, execution_count=3, outputs=[nbformat.v4.new_output("stream", text="<function f>\n")]
    )
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), folder / "00_tiny.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), folder / "01_empty.ipynb")
    for kind in ("student", "solutions"):
        assert exercises.main([kind, "--notebooks", str(folder), "--out", str(tmp_path / kind)]) == 0
    assert "00_tiny.ipynb: 1 exercise" in capsys.readouterr().out
    student = read(tmp_path / "student" / "00_tiny.ipynb").cells[0]
    solved = read(tmp_path / "solutions" / "00_tiny.ipynb").cells[0]
    assert student.source == student_source(FUNCTION) and student.outputs == [] and student.execution_count is None
    assert solved.source == solution_source(FUNCTION) and solved.outputs == cell.outputs and solved.execution_count == 3
    assert (tmp_path / "student" / "01_empty.ipynb").exists()
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### END SOLUTION")]), folder / "02_bad.ipynb"
    )
    assert exercises.main(["student", "--notebooks", str(folder), "--out", str(tmp_path / "x")]) == 1
    assert "02_bad.ipynb: cell 0, line 1" in capsys.readouterr().err


# --- the committed notebooks -------------------------------------------------------------------------


def marked_functions(nb) -> dict[str, int]:
    """Function name -> cell index, for functions whose body holds a marked region."""
    found = {}
    for index, _marked in exercises.exercise_cells(nb):
        tree = ast.parse(strip_magics(exercises.solution_source(nb.cells[index].source)))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = index
    return found


def exercise_cell_indices(nb) -> set[int]:
    """Cells that a student copy stops in: marked cells, and cells calling a marked function."""
    marked = {index for index, _ in exercises.exercise_cells(nb)}
    functions = marked_functions(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and index not in marked:
            names = {n.id for n in ast.walk(ast.parse(strip_magics(cell.source))) if isinstance(n, ast.Name)}
            if names & set(functions):
                marked.add(index)
    return marked


def strip_magics(source: str) -> str:
    """IPython magics and shell escapes become `pass`; a cell magic (%%) makes the whole cell `pass`."""
    if source.lstrip().startswith("%%"):
        return "pass"
    return "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in source.split("\n"))


def test_every_notebook_is_covered():
    assert [p.name[:2] for p in NOTEBOOKS] == ["00", "01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_check_belongs_to_a_marked_exercise(path):
    nb = read(path)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    if not any("check." in c.source for c in cells):
        assert exercises.exercise_cells(nb) == []
        return
    assert exercises.exercise_cells(nb), f"{path.name} has checks but no marked solution"
    exercise_cells = exercise_cell_indices(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and CHECK_CALL.search(cell.source):
            assert index in exercise_cells, f"{path.name} cell {index} checks an exercise with no marked solution"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_summary_name_is_a_marked_exercise(path):
    nb = read(path)
    exercise_cells = exercise_cell_indices(nb)
    checked = {
        name: index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for _, name in CHECK_CALL.findall(cell.source)
    }
    for cell in nb.cells:
        for listed in SUMMARY_CALL.findall(cell.source if cell.cell_type == "code" else ""):
            names = ast.literal_eval(f"[{listed}]")
            assert names, f"{path.name}: an empty check.summary list"
            for name in names:
                assert name in checked, f"{path.name}: summary lists {name!r}, which no cell checks"
                assert checked[name] in exercise_cells, f"{path.name}: {name!r} has no marked solution"


# Notebooks with exercises but no check.summary([...]) of them yet (issue 24 asks for one in each):
# the test fails for any other, and for one listed here that has gained its summary (remove it then).
NO_SUMMARY_YET: dict[str, str] = {}  # notebooks that do not end with check.summary yet, and what they should call


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_notebook_with_exercises_ends_with_its_summary(path):
    nb = read(path)
    checked = [name for cell in nb.cells if cell.cell_type == "code" for _, name in CHECK_CALL.findall(cell.source)]
    summaries = [
        ast.literal_eval(f"[{listed}]")
        for cell in nb.cells
        if cell.cell_type == "code"
        for listed in SUMMARY_CALL.findall(cell.source)
    ]
    has = bool(summaries) and set(summaries[-1]) == set(checked)
    if not checked:
        return
    if path.name[:2] in NO_SUMMARY_YET:
        assert not has, f"{path.name} has its summary now: remove it from NO_SUMMARY_YET"
    else:
        assert has, f"{path.name}: no check.summary({sorted(set(checked))}) listing all its exercises"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_solution_copy_is_the_committed_notebook_without_markers(path):
    nb = read(path)
    solved = exercises.solution_notebook(nb)
    assert len(solved.cells) == len(nb.cells)
    for cell, mine in zip(nb.cells, solved.cells):
        if cell.cell_type != "code":
            assert mine == cell
            continue
        kept = [line for line in cell.source.split("\n") if not re.match(r"\s*### (BEGIN|END) SOLUTION", line)]
        assert mine.source == "\n".join(kept)
        assert mine.outputs == cell.outputs and mine.execution_count == cell.execution_count


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_exercises_show_their_solution_passing(path):
    nb = read(path)
    for index in exercise_cell_indices(nb):
        cell = nb.cells[index]
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert not any(o.output_type == "error" for o in cell.outputs), f"{path.name} cell {index}"
        for _, name in CHECK_CALL.findall(cell.source):
            assert f"✅ {name}: correct" in printed, f"{path.name} cell {index}: {name} not shown passing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_copy_compiles_has_no_solutions_and_no_outputs(path):
    nb = read(path)
    student = exercises.student_notebook(nb)
    assert "widgets" not in student.metadata
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert "SOLUTION" not in code
    for index, cell in enumerate(student.cells):
        if cell.cell_type != "code":
            assert cell == nb.cells[index]
            continue
        assert cell.outputs == [] and cell.execution_count is None
        compile(strip_magics(cell.source), f"{path.name} cell {index}", "exec")
    for index, marked in exercises.exercise_cells(nb):
        stubbed = student.cells[index].source
        for region in marked:
            assert region.solution not in code
            for line in region.solution.split("\n"):
                statement = line.split("#")[0].strip()
                if statement:
                    assert statement not in stubbed, f"{path.name} cell {index} still shows {statement!r}"


def student_stubs(path: Path):
    """(cell index, region, the student cell's syntax tree) for each marked region of a notebook."""
    nb = read(path)
    student = exercises.student_notebook(nb)
    for index, marked in exercises.exercise_cells(nb):
        tree = ast.parse(strip_magics(student.cells[index].source))
        for region in marked:
            yield index, region, tree, nb.cells[index].source


STUBS = [
    (path, index, region, tree, source) for path in NOTEBOOKS for index, region, tree, source in student_stubs(path)
]


def test_every_exercise_notebook_has_stubs():
    assert {path.name[:2] for path, *_ in STUBS} == {"01", "02", "03", "04", "05", "06"}


@pytest.mark.parametrize(
    "path, index, region, tree, source", STUBS, ids=[f"{p.name[:2]}-cell{i}" for p, i, *_ in STUBS]
)
def test_every_stub_fails_its_check_with_the_friendly_message(path, index, region, tree, source, capsys):
    stub = ast.unparse(ast.parse(exercises.stub(region.task)))  # as ast.unparse spells it, to compare
    function = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and any(ast.unparse(s) == stub for s in node.body)
        ),
        None,
    )
    if function is None:  # a value: the stub stands at the top level of the cell, where the solution was
        assert any(ast.unparse(s) == stub for s in tree.body), f"{path.name} cell {index}: stub not found"
        with pytest.raises(check.YourTurn) as info:
            exec(compile(stub, "<stub>", "exec"), {"check": check})
        assert info.value.task == region.task
        assert info.value._render_traceback_()[0] == f"Your turn: {region.task}"
        return
    # A function exercise hides the whole body: only the docstring and the stub are left, no solution line.
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    assert [ast.unparse(s) for s in body] == [stub], f"{path.name} cell {index}: code left around the stub"
    # Run its `def` alone (annotations unevaluated) and give it to the real check.
    flags = __future__.annotations.compiler_flag
    namespace: dict = {"check": check}
    exec(compile(ast.Module([function], type_ignores=[]), "<stub>", "exec", flags=flags), namespace)
    fn = namespace[function.name]
    args = (None,) * (len(function.args.args) - len(function.args.defaults))
    names = [name for kind, name in CHECK_CALL.findall(source) if kind == "function"] or [function.name]
    verdict = check.function(names[0], fn, lambda *a: 0, [args], raise_on_fail=False)
    assert verdict.todo and not verdict.passed
    assert verdict.message == (
        f"❌ {names[0]}: not done yet: {region.task.rstrip('.')}.\n"
        "   Replace the `raise YourTurn(...)` line with your code, then run this cell again."
    )
    assert "Traceback" not in capsys.readouterr().out


# --- a student notebook run in a kernel, end to end ----------------------------------------------------

# 06 (about a minute on one thread) has both kinds of exercise, a prediction and a function; the others
# take 1-3 minutes each, so they run only with WMLIB_SLOW=all.
EVERY = os.environ.get("WMLIB_SLOW", "") == "all"
RUN_NOTEBOOKS = [p for p in NOTEBOOKS if exercises.exercise_cells(read(p)) and (EVERY or p.name[:2] == "06")]


@pytest.mark.parametrize("path", RUN_NOTEBOOKS, ids=[p.name[:2] for p in RUN_NOTEBOOKS])
def test_student_notebook_stops_only_at_its_exercises_and_kindly(path, tmp_path):
    from nbclient import NotebookClient

    nb = read(path)
    student = exercises.student_notebook(nb)
    NotebookClient(
        student,
        timeout=900,
        kernel_name="python3",
        allow_errors=True,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    nbformat.write(student, tmp_path / path.name)  # left for a look when the test fails
    expected = exercise_cell_indices(nb)
    stopped = set()
    for index, cell in enumerate(student.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if not errors:
            continue
        stopped.add(index)
        assert index in expected, f"cell {index} failed: {errors[0].ename}: {errors[0].evalue}"
        (error,) = errors
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert error.ename in ("YourTurn", "CheckFailed"), f"cell {index}: {error.ename}: {error.evalue}"
        assert "Traceback" not in "\n".join(error.traceback)
        if error.ename == "YourTurn":
            assert error.traceback[0].startswith("Your turn: ")
        else:
            assert ": not done yet: " in printed and "not solved yet" in error.traceback[0]
    assert stopped == expected


# --- give-aways: no answer above its exercise (issue 24) ----------------------------------------------


def small_notebook(*cells):
    """A notebook from ("md" | "code", source) pairs."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    return new_notebook(cells=[new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells])


def found(*cells):
    return [(g.exercise, g.clue) for g in exercises.giveaways(small_notebook(*cells), "99")]


SHADOW = (
    "code",
    "### BEGIN SOLUTION: set lost to the factor the shadow loses: shape, colour, size, x, y or z\n"
    'lost = "colour"\n### END SOLUTION\ncheck.equal("lost", lost, truth)',
)


def test_a_literal_answer_stated_above_is_found_and_options_are_not():
    assert found(("md", "## The table\nThe shadow has no colour."), SHADOW)[0][0] == "lost"
    assert "The shadow has no colour" in found(("md", "## T\nThe shadow has no colour."), SHADOW)[0][1]
    # Listing the options, or the word far from the task's subject, gives nothing away.
    assert found(("md", '## T\nAnswer with one of "shape", "colour", "size".'), SHADOW) == []
    assert found(("md", "## T\nThe camera keeps colour."), SHADOW) == []
    # Only the section above counts: a previous section's prose is not "above the exercise".
    assert found(("md", "## A\nThe shadow has no colour."), ("md", "## B\nNow an exercise."), SHADOW) == []


def test_a_formula_its_parts_or_its_value_above_are_found():
    cell = (
        "code",
        "n, k = 1000, 10\n### BEGIN SOLUTION: set predicted to your formula in n and k\n"
        "predicted = k / (n - 1)\n### END SOLUTION\ncheck.close('b', predicted, measured)",
    )
    assert "the formula k / (n - 1)" in found(("md", "## S\nIt is k/(N−1)."), cell)[0][1]
    logarithm = (
        "code",
        "n = 256\n### BEGIN SOLUTION: set predicted to your formula in n\npredicted = math.log(n)\n"
        "### END SOLUTION\ncheck.close('r', predicted, measured)",
    )
    assert "the formula math.log(n)" in found(("md", "## S\nThe loss is $\\log N$ at first."), logarithm)[0][1]
    assert "the parts of" in found(("md", "## S\nHint: k out of the $N - 1$ others."), cell)[0][1]
    assert "its value 0.02 at n = 500" in found(("md", "## S\nChance is 0.02 for 500 scenes."), cell)[0][1]
    assert found(("md", "## S\nPredict it for 1000 random items."), cell) == []


def test_a_solution_line_in_the_code_above_is_found():
    cell = (
        "code",
        "def f(x):\n    ### BEGIN SOLUTION: return the sorted neighbours\n"
        "    return np.argsort(-similarity_of(x), axis=1)\n    ### END SOLUTION",
    )
    assert found(("code", "s = np.argsort(-similarity_of(x), axis=1)"), cell)[0][0] == "f"
    assert found(("code", "s = np.argsort(x)"), cell) == []


def test_a_reference_computed_in_the_exercise_cell_is_found():
    cell = (
        "code",
        "place = measure(dreams)\n### BEGIN SOLUTION: set grows to True or False: does it grow?\n"
        "grows = True\n### END SOLUTION\ncheck.equal('grows', grows, bool(place[15] > place[0]))",
    )
    assert "(place) is computed above the solution" in found(cell)[0][1]
    later = (
        "code",
        "### BEGIN SOLUTION: set grows to True or False: does it grow?\ngrows = True\n"
        "### END SOLUTION\nplace = measure(dreams)\n"
        "check.equal('grows', grows, bool(place[15] > place[0]))",
    )
    assert found(later) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_copies_give_no_answer_away(path):
    """Every exercise's answer stays out of the prose and code above it, except the known offenders.

    A new give-away fails; so does a listed one that is fixed (remove it from KNOWN_GIVEAWAYS).
    """
    prefix = path.name[:2]
    seen = {(g.notebook, g.exercise): g for g in exercises.giveaways(read(path), prefix)}
    known = {key for key in exercises.KNOWN_GIVEAWAYS if key[0] == prefix}
    for key in sorted(known & set(seen)):
        print(f"known give-away, not fixed yet: {key}: {seen[key].clue}")
    new = [f"{g.exercise} (cell {g.cell}): {g.clue}" for key, g in seen.items() if key not in known]
    assert not new, f"{path.name}: an answer is readable above its exercise: {new}"
    fixed = sorted(known - set(seen))
    assert not fixed, f"{path.name}: {fixed} no longer give their answer away: remove them from KNOWN_GIVEAWAYS"


# --- no value exercise can be passed by typing back a number from its failure message (issue 24) -----


def value_exercises():
    """(notebook, cell, check function, name, reference, keywords) for each equal/close check of a value exercise.

    The reference is the committed solution's value (the committed notebooks show it passing), computed
    from the solution region and the plain numbers the cell sets before it.
    """
    import math

    found = []
    for path in NOTEBOOKS:
        nb = read(path)
        for index, marked in exercises.exercise_cells(nb):
            source = nb.cells[index].source
            if any(region.indent for region in marked):
                continue  # a function exercise: check.function runs the learner's code
            lines = source.split("\n")
            before = "\n".join(lines[: marked[0].begin])
            namespace = {"math": math, **exercises._given_constants(before)}
            for region in marked:
                exec(compile(region.solution, "<solution>", "exec"), namespace)  # noqa: S102 - the course's own
            for node in ast.walk(ast.parse(solution_source(source))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and ast.unparse(node.func) in ("check.equal", "check.close")
                ):
                    reference = eval(ast.unparse(node.args[1]), dict(namespace))  # noqa: S307
                    # slips name values of the exercise's own cell; a slip's hint only ever echoes the learner's answer
                    keywords = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg != "slips"}
                    found.append(
                        pytest.param(
                            getattr(check, node.func.attr),
                            ast.literal_eval(node.args[0]),
                            reference,
                            keywords,
                            id=f"{path.name[:2]}-{index}",
                        )
                    )
    return found


def wrong_answers(reference, rtol=1e-5):
    if isinstance(reference, bool):
        return [not reference]
    if isinstance(reference, str):
        return ["shape" if reference != "shape" else "colour", reference.upper() + "?"]
    if isinstance(reference, tuple):
        return [
            tuple(w if i == j else r for j, r in enumerate(reference))
            for i, item in enumerate(reference)
            for w in wrong_answers(item, rtol)
        ]
    if isinstance(reference, int):
        return [reference + 1, reference - 3, reference * 2, 0]
    near = reference * (1 + 3 * rtol)  # just outside the tolerance
    return [reference * 0.5, near, reference * 10, -reference, 0.0, reference + 1]


def typed_back(wrong, message):
    """Every answer a learner could build from the numbers in a message, in the place of the wrong one."""
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", message)]
    if isinstance(wrong, tuple):
        return [
            tuple(type(w)(x) if i == j else w for j, w in enumerate(wrong)) for i in range(len(wrong)) for x in numbers
        ]
    if isinstance(wrong, (bool, str)):
        return []
    return [type(wrong)(x) for x in numbers]


@pytest.mark.parametrize("helper, name, reference, keywords", value_exercises())
def test_no_value_exercise_passes_with_a_number_from_its_failure_message(helper, name, reference, keywords):
    assert helper(name, reference, reference, raise_on_fail=False, **keywords).passed  # the solution passes
    for wrong in wrong_answers(reference, keywords.get("rtol", 1e-5)):
        verdict = helper(name, wrong, reference, raise_on_fail=False, **keywords)
        assert not verdict.passed
        shown = {str(reference), repr(reference)} if not isinstance(reference, bool) else set()
        if isinstance(reference, float):
            shown = {f"{reference:.{d}g}" for d in (3, 4, 5, 6)}
        if isinstance(wrong, float) and wrong == -reference:
            shown = set()  # "got -5.54518, the wrong sign": the digits are the learner's own
        if "options" in keywords:
            shown = set()  # every option is listed, the right one among them: the list gives none away
        assert not any(re.search(rf"(?<![\d.]){re.escape(text)}(?!\d)", verdict.message) for text in shown), (
            verdict.message
        )
        for retry in typed_back(wrong, verdict.message):
            assert not helper(name, retry, reference, raise_on_fail=False, **keywords).passed, (
                f"{retry!r}, typed back from {verdict.message!r}, passes"
            )
