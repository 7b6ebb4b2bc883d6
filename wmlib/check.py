"""Exercise checks with friendly verdicts.

A learner writes an answer in a notebook cell; one line compares it with the reference and says,
plainly and kindly, whether it is right and, if not, what was expected, what was got and where
to look::

    from wmlib import check

    check.close("softmax", my_softmax(x), torch.softmax(x, dim=-1))
    # ✅ softmax: correct

    check.close("logits", my_logits, reference_logits)
    # ❌ logits: shape (3, 4) but expected (4, 3).
    #    Hint: the axes look swapped: check .T, .transpose(...) or .permute(...).

    check.function("infonce", infonce, reference_infonce, [(a, b), (a[:2], b[:2])])
    # ❌ infonce: not done yet: write the symmetric InfoNCE loss.
    #    Replace the `raise YourTurn(...)` line with your code, then run this cell again.

    check.summary()
    # 3 of 4 exercises solved
    #   ✅ softmax   correct
    #   ...

Every check prints one verdict, records it for ``summary()`` and returns a ``Verdict``. A wrong
answer also raises ``CheckFailed`` (an ``AssertionError``) unless ``raise_on_fail=False``, so that
"Run all" or an nbval run stops at the first exercise that is not solved yet.

Rules worth knowing:

- A failing message never prints the expected value: it says how far off the answer is (direction
  and a coarse size: "too low: off by 10% to 50%"), which property fails, or "not that one" for a
  categorical answer, so that a number typed back from a message can't pass. ``equal(...,
  options=[...])`` lists the choices of a categorical answer; ``slips={"what the slip is": value}``
  (or a function, for ``function``) turns a common mistake into a targeted hint; ``none_ok=True``
  (automatic in ``function`` when the reference returns None somewhere) drops the "forgot to
  `return`?" hint where None is a legitimate answer.
- ``formula`` checks a formula written as a function (``lambda n: ...``) at several inputs.
- Inputs with up to 10 numbers are shown in full in a ``function`` verdict.

- ``close`` allows a tolerance relative to the reference, as ``numpy.isclose`` does:
  ``|answer - reference| <= atol + rtol * |reference|``. When either side is float16 or bfloat16
  the tolerance is widened to at least torch.testing's defaults for that precision.
- NaN: a NaN (or inf) in the answer where the reference has a finite number fails, with a hint
  about where NaNs come from. A NaN in the answer *at the same place* as a NaN in the reference
  counts as equal: the reference itself says "nothing defined here" (a masked entry, say).
- A torch tensor on one side needs a torch tensor on the other: code after the exercise usually
  relies on it (a ``.item()`` too many cuts the gradient). Numbers, lists and numpy arrays mix
  freely in ``close``; ``equal`` is exact and also wants the same kind of container and values.
- Output is deterministic (no timings, no memory addresses), so nbval can compare it.

Importing this module is light: numpy is imported only when a value needs it, torch only when a
value is a tensor.
"""

from __future__ import annotations

import html
import math
import numbers
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Meant to be used as ``check.close(...)``. ``property`` is left out of ``__all__`` on purpose:
# ``from wmlib.check import *`` must not hide Python's builtin ``property`` in a learner's notebook.
__all__ = [
    "CheckFailed",
    "Summary",
    "Verdict",
    "YourTurn",
    "close",
    "equal",
    "formula",
    "function",
    "reset",
    "shape",
    "summary",
]

PASS = "✅"
FAIL = "❌"
UNCHECKED = "⬜"
_INDENT = "   "  # continuation lines sit under the name, after the mark
_SHOWN = 5  # differing elements listed; more would bury the pattern the learner should see
# torch.testing.assert_close's default (rtol, atol) for half precisions: a float16 answer can't be
# closer to a float32 reference than float16 can represent, so the float32 tolerance would be unfair.
_LOW_PRECISION = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5)}


# --- exceptions --------------------------------------------------------------------------------


class CheckFailed(AssertionError):
    """An answer is not correct yet. ``str(error)`` is the verdict's message."""

    def __init__(self, message: str, verdict: Verdict | None = None) -> None:
        super().__init__(message)
        self.verdict = verdict

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback. The check has already printed the
        # full verdict just above, and a stack of wmlib internals would only bury it.
        if self.verdict is None:
            return [f"CheckFailed: {self}"]
        return [f"CheckFailed: {self.verdict.name} is not solved yet (see the message above)."]


class YourTurn(NotImplementedError):
    """What an exercise stub raises: ``raise YourTurn("write the symmetric InfoNCE loss")``.

    Its message reads "Your turn: write the symmetric InfoNCE loss". ``check.function`` turns it
    into a friendly "not done yet" verdict instead of a traceback.
    """

    def __init__(self, task: str = "this exercise is waiting for your code") -> None:
        self.task = task
        super().__init__(f"Your turn: {task}")

    def _render_traceback_(self) -> list[str]:
        # Called by IPython when a learner runs a stub directly: a to-do note, not a crash report.
        return [
            f"{self}",
            (f"{_INDENT}Replace the `raise YourTurn(...)` line with your code, then run the cell again."),
        ]


# --- verdicts and the record of this session ---------------------------------------------------


def _current_cell() -> int | None:
    """The number of the IPython cell running now, or None outside IPython."""
    ipython = sys.modules.get("IPython")  # only if already imported: outside a kernel it isn't needed
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "execution_count", None)


class _PrintedOnce:
    """Something a check prints when it is made and returns as well.

    Without this, ``check.close(...)`` as the last line of a cell would show its verdict twice:
    printed by the check, then displayed again as the cell's value. A later cell that asks for the
    object (``v`` on its own) still sees it.
    """

    _shown_in: int | None = None  # the cell whose check printed it

    def _repr_html_(self) -> str:
        return _pre(str(self), "inherit")

    def _ipython_display_(self) -> None:
        if self._shown_in is not None and self._shown_in == _current_cell():
            return  # already printed by the check in this very cell
        from IPython.display import display

        display({"text/plain": str(self), "text/html": self._repr_html_()}, raw=True)


def _pre(text: str, color: str) -> str:
    return f'<pre style="color: {color}; white-space: pre-wrap; margin: 0">{html.escape(text)}</pre>'


@dataclass
class Verdict(_PrintedOnce):
    """The outcome of one check: ``passed``, the exercise ``name`` and the printed ``message``.

    ``todo`` marks an unfinished stub (it raised NotImplementedError or YourTurn).
    ``bool(verdict)`` is ``verdict.passed``.
    """

    passed: bool
    name: str
    message: str
    todo: bool = False

    def __str__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        return _pre(self.message, "#1a7f37" if self.passed else "#cf222e")


class Summary(dict, _PrintedOnce):
    """``name -> passed`` for the exercises checked so far, in the order they were first checked.

    ``solved`` and ``total`` count them; ``str(summary)`` is the small table ``summary()`` prints.
    """

    def __init__(self, verdicts: dict[str, Verdict], expected: Iterable[str] = ()) -> None:
        super().__init__((name, v.passed) for name, v in verdicts.items())
        # Exercises the notebook has but the learner hasn't checked count as not solved.
        self.unchecked = [name for name in expected if name not in verdicts]
        self.update((name, False) for name in self.unchecked)
        self.solved = sum(self.values())
        self.total = len(self)
        self._verdicts = dict(verdicts)

    def __str__(self) -> str:
        if not self.total:
            return "No exercises checked yet."
        noun = "exercise" if self.total == 1 else "exercises"
        lines = [f"{self.solved} of {self.total} {noun} solved" + (". Well done!" if self.solved == self.total else "")]
        width = max(len(name) for name in self)
        for name, passed in self.items():
            verdict = self._verdicts.get(name)
            if verdict is None:
                mark, status = UNCHECKED, "not checked yet"
            elif passed:
                mark, status = PASS, "correct"
            else:
                mark, status = FAIL, "not done yet" if verdict.todo else "not correct yet"
            lines.append(f"  {mark} {name.ljust(width)}  {status}")
        return "\n".join(lines)


# Every verdict of this kernel session, by exercise name. Checking a name again (after fixing an
# answer) replaces its verdict but keeps its place, so the summary follows the notebook's order.
_RECORD: dict[str, Verdict] = {}


def summary(expected: Iterable[str] = ()) -> Summary:
    """Print and return the verdicts recorded so far: "3 of 4 exercises solved" and a table.

    ``expected``: names of all the notebook's exercises, so that one not checked yet (a skipped
    cell) counts as not solved instead of silently missing.
    """
    result = Summary(_RECORD, expected)
    print(result)
    result._shown_in = _current_cell()
    return result


def reset() -> None:
    """Forget every recorded verdict (a fresh start for ``summary()``)."""
    _RECORD.clear()


# --- the checks ----------------------------------------------------------------------------------


def close(
    name: str,
    answer: Any,
    reference: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    slips: dict[str, Any] | None = None,
    none_ok: bool = False,
    raise_on_fail: bool = True,
) -> Verdict:
    """Check that ``answer`` equals ``reference`` up to a tolerance.

    Numbers, (nested) lists, numpy arrays and torch tensors (any device or dtype, with or without
    gradients) are compared in this order: kind of value, shape, NaN/inf, then values. A failing
    message says how many values differ and, for the first few, yours with its direction and a
    coarse size of the error ("too low: off by 10% to 50%"), never the expected value itself, so
    that typing back a number from the message can't pass. A hint follows when the pattern
    suggests one. Tuples or dicts holding tensors (``(loss, logits)``) are compared item by item;
    strings and other values exactly, as ``equal`` would.

    ``slips``: ``{"what the slip is": the value it gives}``, e.g.
    ``{"the sample standard deviation (ddof=1) instead of the population one (ddof=0)": x.std(ddof=1)}``;
    an answer that matches one (with the same tolerance) gets that description as its hint.
    ``none_ok``: None is a legitimate answer elsewhere in this exercise, so a None here doesn't get the
    "did the function forget to `return`?" hint.
    """
    _check_name(name)
    problem = _compare(answer, reference, (rtol, atol))
    return _finish(_verdict(name, _with_hints(problem, answer, slips, (rtol, atol), none_ok)), raise_on_fail)


def equal(
    name: str,
    answer: Any,
    reference: Any,
    *,
    options: Sequence[Any] | None = None,
    slips: dict[str, Any] | None = None,
    none_ok: bool = False,
    raise_on_fail: bool = True,
) -> Verdict:
    """Check that ``answer`` equals ``reference`` exactly.

    For strings, ints, bools, tuples, lists, sets, dicts and arrays/tensors. The kind must match
    too: a list is not a tuple, 3.0 is not 3, a float tensor is not an integer tensor.

    ``options``: the answers to choose from, for a categorical answer (``["lower", "about the same",
    "higher"]``); an answer outside them is told so, with the options, and a wrong one gets a plain
    "not that one". ``slips`` and ``none_ok`` as for ``close``.
    """
    _check_name(name)
    problem = _compare(answer, reference, None)
    if problem is not None and options is not None:
        listed = ", ".join(_short(option) for option in options)
        if not any(_same(answer, option) for option in options):
            problem = _Problem([f"got {_short(answer)}: that is not one of the options: {listed}."])
        else:
            problem = _Problem([f"got {_short(answer)}: not that one (the options: {listed})."])
    return _finish(_verdict(name, _with_hints(problem, answer, slips, None, none_ok)), raise_on_fail)


def _same(answer: Any, option: Any) -> bool:
    try:
        return type(answer) is type(option) and bool(answer == option)
    except Exception:  # noqa: BLE001 - an == that returns an array, or refuses
        return False


def _with_hints(
    problem: _Problem | None, answer: Any, slips: dict[str, Any] | None, tol: tuple[float, float] | None, none_ok: bool
) -> _Problem | None:
    """``problem`` with a slip's hint when the answer matches one, and no return hint if None is allowed."""
    if problem is None:
        return None
    if answer is None and none_ok:
        return _Problem(["got None, but here the answer is not None."], problem.path)
    for description, value in (slips or {}).items():
        if _compare(answer, value, tol) is None:
            return _Problem([*problem.lines, f"Hint: your answer is what {description} gives."], problem.path)
    return problem


def shape(name: str, answer: Any, expected_shape: Sequence[int | None] | int, *, raise_on_fail: bool = True) -> Verdict:
    """Check the shape of an array, tensor or nested list; ``None`` in ``expected_shape`` means any size."""
    _check_name(name)
    expected = (expected_shape,) if isinstance(expected_shape, int) else tuple(expected_shape)
    got, problem = _shape_of(answer)
    if problem is None and not (len(got) == len(expected) and all(e is None or g == e for g, e in zip(got, expected))):
        problem = _shape_problem(got, expected)
    note = None if problem else f"shape {_fmt_shape(got)}"
    return _finish(_verdict(name, problem, note), raise_on_fail)


def property(
    name: str, answer: Any, predicate: Callable[[Any], Any], description: str, *, raise_on_fail: bool = True
) -> Verdict:
    """Check that ``predicate(answer)`` holds, e.g. ``description="rows sum to 1"``.

    The predicate returns a bool; an array or tensor of bools means every one must be true.
    The name mirrors the maths ("a property of the answer"); inside this module it hides the
    builtin ``property``, which this module doesn't use.
    """
    _check_name(name)
    if answer is None:
        problem: _Problem | None = _none_problem()
    else:
        try:
            result = predicate(answer)
        except Exception as error:  # noqa: BLE001 - the learner's value may be malformed; say so, don't crash
            problem = _Problem([f"checking “{description}” raised {_exc_line(error)}", f"got: {_describe(answer)}"])
        else:
            problem = (
                None
                if _truth(result)
                else _Problem(
                    [f"expected it to satisfy “{description}”, but it does not.", f"got: {_describe(answer)}"]
                )
            )
    return _finish(_verdict(name, problem, None if problem else description), raise_on_fail)


def function(
    name: str,
    fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    seed: int | None = None,
    slips: dict[str, Callable[..., Any]] | None = None,
    raise_on_fail: bool = True,
) -> Verdict:
    """Call the learner's ``fn`` and ``reference_fn`` on each input and compare results as ``close`` does.

    Each item of ``inputs`` is a tuple of positional arguments (anything else is one argument).
    Each call gets its own deep copy of the inputs, so a function that changes its input in place
    can't spoil the next call. The verdict names the first input where the two differ. A stub
    that raises ``YourTurn`` or ``NotImplementedError`` gets a friendly "not done yet" verdict; any
    other error is reported with the line of the learner's code that raised it.
    ``seed``: reseed ``random``, numpy and torch (those already imported) before every call, for
    functions that draw random numbers.
    ``slips``: ``{"what the slip is": a function that makes it}``, with the reference's signature
    (``{"counting each item among its own neighbours": knn_with_self}``); a result that matches
    one on the failing input gets that description as its hint. Without slips, integer results that
    are all off by the same amount get a hint about counting from a different start (a frame
    number for a position in a list, 1-based for 0-based).
    When the reference returns None for some input, None is a legitimate answer, and a None where
    another input has a value doesn't get the "did the function forget to `return`?" hint.
    Small inputs (up to 10 numbers, short strings) are shown in full in the message.
    """
    _check_name(name)
    cases = [args if isinstance(args, tuple) else (args,) for args in inputs]
    if not cases:
        raise ValueError("check.function needs at least one input to try the function on")
    if not callable(fn):
        problem = _Problem(
            [
                f"got {_describe(fn)} but expected a function.",
                "Hint: pass the function itself, like `my_fn`, without calling it (`my_fn(x)`).",
            ]
        )
        return _finish(_verdict(name, problem), raise_on_fail)
    expectations = []
    for args in cases:
        _seed(seed)
        expectations.append(reference_fn(*_copied(args)))  # an error here is the course's bug: let it show
    none_ok = any(expected is None for expected in expectations)
    for number, (args, expected) in enumerate(zip(cases, expectations), 1):
        _seed(seed)
        try:
            got = fn(*_copied(args))
        except NotImplementedError as error:
            if isinstance(error, YourTurn) or _raised_by(error, fn):
                return _finish(_not_done(name, error), raise_on_fail)
            problem = _raised_problem(error, fn, number, len(cases), _describe_inputs(reference_fn, args))
            return _finish(_verdict(name, problem), raise_on_fail)
        except Exception as error:  # noqa: BLE001 - any error in the learner's code becomes a verdict
            problem = _raised_problem(error, fn, number, len(cases), _describe_inputs(reference_fn, args))
            return _finish(_verdict(name, problem), raise_on_fail)
        problem = _compare(got, expected, (rtol, atol))
        if problem is not None:
            found = {description: _seeded_call(slip, args, seed) for description, slip in (slips or {}).items()}
            problem = _with_hints(problem, got, found, (rtol, atol), none_ok)
            if not any(line.startswith("Hint: your answer is what") for line in problem.lines):
                problem = _Problem([*problem.lines, *_offset_hint(fn, cases, expectations, seed)], problem.path)
            head, *rest = problem.lines
            problem = _Problem(
                [
                    f"on input {number} of {len(cases)}, the result differs from the reference.",
                    f"input: {_describe_inputs(reference_fn, args)}",
                    f"result{problem.path}: {head}",
                    *rest,
                ]
            )
            return _finish(_verdict(name, problem), raise_on_fail)
    return _finish(_verdict(name, None, f"on {_plural(len(cases), 'input')}"), raise_on_fail)


def _seeded_call(fn: Callable[..., Any], args: tuple, seed: int | None) -> Any:
    _seed(seed)
    return fn(*_copied(args))


def _offset_hint(fn: Callable[..., Any], cases: list[tuple], expectations: list[Any], seed: int | None) -> list[str]:
    """A hint when every integer result is the expected one shifted or scaled the same way.

    The usual cause: a frame number where a position in the list of candidates was asked for
    (frame = 4 × candidate, say), or counting from 1 instead of 0.
    """
    if not all(expected is None or _scalar_kind(expected) == "int" for expected in expectations):
        return []
    pairs = []
    for args, expected in zip(cases, expectations):
        if expected is None:
            continue
        try:
            got = _seeded_call(fn, args, seed)
        except Exception:  # noqa: BLE001 - the learner's function may fail elsewhere; no hint then
            return []
        if _scalar_kind(got) != "int":
            return []
        pairs.append((int(expected), int(got)))
    distinct = sorted({e for e, _ in pairs})
    if len(pairs) < 2 or not distinct:
        return []
    if len(distinct) == 1:
        scale, shift = 1, pairs[0][1] - pairs[0][0]
    else:
        (e0, g0), (e1, g1) = [next(p for p in pairs if p[0] == e) for e in distinct[:2]]
        if (g1 - g0) % (e1 - e0):
            return []
        scale = (g1 - g0) // (e1 - e0)
        shift = g0 - scale * e0
    if (scale, shift) == (1, 0) or scale == 0 or any(g != scale * e + shift for e, g in pairs):
        return []
    relation = (
        f"{shift:+d} from the expected one"
        if scale == 1
        else f"{scale} × the expected one" + (f" {shift:+d}" if shift else "")
    )
    return [
        (
            f"Hint: every one of your results is {relation}: are you counting in different units or from "
            "a different start (a frame number instead of a position in the list of candidates, or 1-based "
            "instead of 0-based)?"
        )
    ]


def formula(
    name: str,
    fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    slips: dict[str, Callable[..., Any]] | None = None,
    raise_on_fail: bool = True,
) -> Verdict:
    """Check a formula, written as a function of its inputs, at several inputs.

    For "what is the loss of random embeddings, as a function of n?" exercises: the learner writes
    ``predicted = lambda n: ...`` and ``check.formula("random_loss", predicted, measured_loss,
    [{"n": 16}, {"n": 256}])`` compares it with ``reference_fn`` (a formula or a measurement) at
    each input. Each input is a dict of keyword arguments, a tuple of positional ones, or one value.
    A formula right at one input and wrong at another is told so (a number typed in that happens to
    fit one input doesn't pass); one that gives the same value everywhere is told it should vary.
    ``slips`` as for ``function``. The expected value is never printed.
    """
    _check_name(name)
    if not inputs:
        raise ValueError("check.formula needs at least one input to try the formula on")
    cases = [(dict(x), ()) if isinstance(x, dict) else ({}, x if isinstance(x, tuple) else (x,)) for x in inputs]
    if not callable(fn):
        lines = [f"got {_describe(fn)} but expected a formula: a function of the inputs."]
        if _scalar_kind(fn) is not None:
            example = ", ".join(cases[0][0]) or "n"
            lines.append(
                f"Hint: write it as a function, e.g. `lambda {example}: ...`, so it can be tried at several inputs."
            )
        return _finish(_verdict(name, _Problem(lines)), raise_on_fail)

    def where(kwargs: dict, args: tuple) -> str:
        return ", ".join([*(f"{k} = {_short(v)}" for k, v in kwargs.items()), *(_short(a) for a in args)])

    results, agreed = [], []
    for kwargs, args in cases:
        expected = reference_fn(*args, **kwargs)
        try:
            got = fn(*args, **kwargs)
        except NotImplementedError as error:
            if isinstance(error, YourTurn) or _raised_by(error, fn):
                return _finish(_not_done(name, error), raise_on_fail)
            raise
        except Exception as error:  # noqa: BLE001 - the learner's formula failed: say where
            problem = _Problem([f"at {where(kwargs, args)}, your formula raised {_exc_line(error)}"])
            return _finish(_verdict(name, problem), raise_on_fail)
        results.append((got, expected))
        problem = _compare(got, expected, (rtol, atol))
        if problem is None:
            agreed.append(where(kwargs, args))
            continue
        found = {description: slip(*args, **kwargs) for description, slip in (slips or {}).items()}
        problem = _with_hints(problem, got, found, (rtol, atol), False)
        head, *rest = problem.lines
        lines = [f"at {where(kwargs, args)}, your formula {head.replace('got ', 'gives ', 1)}", *rest]
        if agreed:
            lines.append(f"It agrees at {'; '.join(agreed)}, but not here: does it depend on the inputs as it should?")
        lines += _constant_hint(fn, cases)
        return _finish(_verdict(name, _Problem(lines)), raise_on_fail)
    return _finish(_verdict(name, None, f"at {_plural(len(cases), 'input')}"), raise_on_fail)


def _constant_hint(fn: Callable[..., Any], cases: list[tuple[dict, tuple]]) -> list[str]:
    try:
        values = {_num(fn(*args, **kwargs)) for kwargs, args in cases}
    except Exception:  # noqa: BLE001 - no hint when the formula can't be evaluated everywhere
        return []
    if len(cases) > 1 and len(values) == 1:
        return ["Hint: your formula gives the same value at every input: it should change with them."]
    return []


# --- making, printing and recording a verdict ---------------------------------------------------


@dataclass
class _Problem:
    """What is wrong: a headline, then detail and hint lines; ``path`` is where, in a nested answer."""

    lines: list[str]
    path: str = ""

    def inside(self, step: str) -> _Problem:
        return _Problem(self.lines, step + self.path)


def _check_name(name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"the first argument is the exercise's name, a str; got {_describe(name)}")


def _verdict(name: str, problem: _Problem | None, note: str | None = None) -> Verdict:
    if problem is None:
        return Verdict(True, name, f"{PASS} {name}: correct" + (f" ({note})" if note else ""))
    head, *rest = problem.lines
    lines = [f"{FAIL} {name}{problem.path}: {head}", *(_INDENT + line for line in rest)]
    return Verdict(False, name, _deterministic("\n".join(lines)))


def _finish(verdict: Verdict, raise_on_fail: bool) -> Verdict:
    """Record, print and return the verdict; raise CheckFailed for a wrong answer if asked to."""
    _RECORD[verdict.name] = verdict
    print(verdict.message)
    verdict._shown_in = _current_cell()
    if not verdict.passed and raise_on_fail:
        raise CheckFailed(verdict.message, verdict) from None
    return verdict


def _deterministic(text: str) -> str:
    # Memory addresses in foreign reprs and error messages change every run and would break nbval.
    # A default repr, <module.Thing object at 0x7f...>, is shortened to <Thing object>.
    text = re.sub(r"<(?:[\w.<>]*\.)?(\w+) object at 0x[0-9a-fA-F]+>", r"<\1 object>", text)
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


# --- comparing values ---------------------------------------------------------------------------


def _compare(answer: Any, reference: Any, tol: tuple[float, float] | None) -> _Problem | None:
    """None if ``answer`` matches ``reference``, else what differs. ``tol=None`` means exactly."""
    if reference is None:
        return None if answer is None else _Problem([f"got {_describe(answer)} but expected None."])
    if answer is None:
        return _none_problem()
    # Containers first, so that (loss, logits) against a lone tensor says "expected a tuple".
    if isinstance(reference, dict):
        return _compare_dicts(answer, reference, tol)
    if isinstance(reference, (list, tuple)):
        if tol is not None and _all_numbers(reference):
            return _compare_arrays(answer, reference, tol)  # lists, tuples and arrays mix freely
        return _compare_sequences(answer, reference, tol)
    if _is_array(reference) or _is_array(answer):
        return _compare_arrays(answer, reference, tol)
    kind = _scalar_kind(reference)
    if kind is not None:
        if tol is not None and kind != "bool":
            return _compare_arrays(answer, reference, tol)
        return _compare_scalars(answer, reference)
    if isinstance(reference, str):
        return _compare_strings(answer, reference)
    if isinstance(reference, (set, frozenset)):
        return _compare_sets(answer, reference)
    return _compare_objects(answer, reference)


def _none_problem() -> _Problem:
    return _Problem(["got None.", "Hint: did the function forget to `return` its result? (Or the cell to assign it?)"])


def _compare_sequences(answer: Any, reference: list | tuple, tol: tuple[float, float] | None) -> _Problem | None:
    want = type(reference).__name__
    if not isinstance(answer, (list, tuple)):
        return _Problem([f"got {_describe(answer)} but expected a {want} of {_plural(len(reference), 'item')}."])
    if tol is None and isinstance(answer, tuple) != isinstance(reference, tuple):
        return _Problem(
            [f"got a {type(answer).__name__} but expected a {want}.", f"Hint: convert it with {want}(...)."]
        )
    if len(answer) != len(reference):
        return _Problem([f"got {_plural(len(answer), 'item')} but expected {len(reference)}."])
    for index, (a, r) in enumerate(zip(answer, reference)):
        problem = _compare(a, r, tol)
        if problem is not None:
            return problem.inside(f"[{index}]")
    return None


def _compare_dicts(answer: Any, reference: dict, tol: tuple[float, float] | None) -> _Problem | None:
    if not isinstance(answer, dict):
        return _Problem([f"got {_describe(answer)} but expected a dict with keys {_keys(reference)}."])
    missing = [k for k in reference if k not in answer]
    extra = [k for k in answer if k not in reference]
    if missing or extra:
        lines = ["the keys differ from the expected ones."]
        lines += [f"missing: {_keys(missing)}"] if missing else []
        lines += [f"not expected: {_keys(extra)}"] if extra else []
        return _Problem(lines)
    for key, r in reference.items():
        problem = _compare(answer[key], r, tol)
        if problem is not None:
            return problem.inside(f"[{key!r}]")
    return None


def _compare_scalars(answer: Any, reference: Any) -> _Problem | None:
    want, got = _scalar_kind(reference), _scalar_kind(answer)
    if got is None:
        return _Problem([f"got {_describe(answer)} but expected {_describe(reference, values=False)}."])
    if got != want:
        return _Problem(
            [f"got {_describe(answer)} but expected {_describe(reference, values=False)}.", *_kind_hint(got, want)]
        )
    if answer == reference or (_isnan(answer) and _isnan(reference)):
        return None
    if want == "bool":
        return _Problem([f"got {answer}: not that one."])
    if want == "int" and abs(int(answer) - int(reference)) == 1:
        # No direction here: "too high" next to "off by one" would spell out the answer.
        return _Problem(
            [
                f"got {_num(answer)}: not the expected number, but close.",
                "Hint: off by one? Check where a count or a range starts and ends.",
            ]
        )
    return _Problem([f"got {_num_pair(answer, reference)[0]}, {_how_far(answer, reference)}."])


def _compare_strings(answer: Any, reference: str) -> _Problem | None:
    if not isinstance(answer, str):
        return _Problem([f"got {_describe(answer)} but expected a string."])
    if answer == reference:
        return None
    # A plain verdict: a character-level diff would spell the expected answer out.
    lines = [f"got {_short(answer)}: not that one."]
    if answer.strip() == reference.strip():
        lines.append("Hint: they differ only in spaces or line breaks at the start or end (try .strip()).")
    elif answer.lower() == reference.lower():
        lines.append("Hint: they differ only in upper and lower case.")
    elif answer.split() == reference.split():
        lines.append("Hint: they differ only in spacing between words.")
    return _Problem(lines)


def _compare_sets(answer: Any, reference: set | frozenset) -> _Problem | None:
    if not isinstance(answer, (set, frozenset)):
        lines = [f"got {_describe(answer)} but expected a set."]
        if isinstance(answer, (list, tuple)) and _hashable_set(answer) == reference:
            lines.append("Hint: the items are right; convert them with set(...).")
        return _Problem(lines)
    if answer == reference:
        return None
    missing, extra = reference - answer, answer - reference
    lines = [f"the sets differ: {len(missing)} missing, {len(extra)} not expected."]
    # The missing items are the answer itself, so only their number is told.
    lines += [f"not expected: {_set_repr(extra)}"] if extra else []
    return _Problem(lines)


def _compare_objects(answer: Any, reference: Any) -> _Problem | None:
    try:
        same = bool(answer == reference)
    except Exception as error:  # noqa: BLE001 - an == that returns an array, or refuses
        return _Problem(
            [
                (
                    f"could not compare {_describe(answer)} with the expected "
                    f"{type(reference).__name__}: {_exc_line(error)}"
                )
            ]
        )
    if same:
        return None
    if type(answer) is not type(reference):
        return _Problem([f"got {_describe(answer)} but expected a {type(reference).__name__}."])
    lines = [f"got {_short(answer)}: not equal to the expected {type(reference).__name__}."]
    if _short(answer) == _short(reference):
        lines.append(
            f"Hint: they look alike, but == says they differ (does {type(reference).__name__} define __eq__?)."
        )
    return _Problem(lines)


# --- arrays and tensors ---------------------------------------------------------------------------


class _Unreadable(ValueError):
    """The answer can't be read as one array of numbers."""


@dataclass
class _Array:
    values: Any  # a numpy array (converted from a tensor if need be)
    dtype: str  # as the learner knows it: "torch.float16", "float64"
    kind: str  # "bool", "int", "float", "complex" or "other"


def _compare_arrays(answer: Any, reference: Any, tol: tuple[float, float] | None) -> _Problem | None:
    """Compare as arrays: kind of value, then shape, then NaN/inf, then the values."""
    import numpy as np

    ref = _to_array(reference)  # the reference is trusted: a failure here is the course's bug
    # 1. The kind of value: a torch tensor needs a torch tensor; equal() wants the same container.
    problem = _container_problem(answer, reference, exact=tol is None)
    if problem is not None:
        return problem
    try:
        ans = _to_array(answer)
    except _Unreadable as error:
        return _Problem([f"got {_describe(answer)}, which {error}."])
    if ans.kind == "other" and ref.kind != "other":
        return _Problem([f"got {_describe(answer)} but expected numbers."])
    if ans.kind != ref.kind and (tol is None or "bool" in (ans.kind, ref.kind)):
        return _Problem(
            [
                (
                    f"got {_KIND_NOUN[ans.kind]} values ({ans.dtype}) but expected "
                    f"{_KIND_NOUN[ref.kind]} values ({ref.dtype})."
                ),
                *_kind_hint(ans.kind, ref.kind),
            ]
        )
    # 2. The shape, before any value: with the wrong shape, differences would mean nothing.
    if ans.values.shape != ref.values.shape:
        return _shape_problem(ans.values.shape, ref.values.shape)
    if ref.kind == "other":  # strings or objects in an array: compare them exactly
        same = np.asarray(ans.values == ref.values)
        return None if same.all() else _values_problem(ans, ref, ~same, None)
    complex_ = "complex" in (ans.kind, ref.kind)
    a = ans.values.astype(np.complex128 if complex_ else np.float64)
    b = ref.values.astype(np.complex128 if complex_ else np.float64)
    # 3. NaN or inf where the reference has a number: a different kind of bug from a small error.
    bad = ~np.isfinite(a) & np.isfinite(b)
    if bad.any():
        return _not_finite_problem(ans, ref, a, bad)
    # 4. The values.
    if tol is None and not complex_ and ref.kind != "float":
        same = ans.values == ref.values  # integers compared as they are: float64 would round above 2**53
    elif tol is None:
        same = (a == b) | (np.isnan(a) & np.isnan(b))
    else:
        tol = _widened(tol, ans.dtype, ref.dtype)
        same = np.isclose(a, b, rtol=tol[0], atol=tol[1], equal_nan=True)
    if same.all():
        return None
    return _values_problem(ans, ref, ~same, tol, a, b)


def _container_problem(answer: Any, reference: Any, exact: bool) -> _Problem | None:
    if _is_tensor(reference) and not _is_tensor(answer):
        lines = [f"got {_describe(answer)} but expected a torch tensor."]
        if _scalar_kind(answer) is not None:
            lines.append("Hint: keep the result a tensor (no .item() or float(...)), so gradients can flow through it.")
        elif isinstance(answer, (list, tuple)) and any(_is_tensor(x) for x in answer):
            lines.append("Hint: combine the pieces into one tensor with torch.stack(...) or torch.cat(...).")
        else:
            lines.append("Hint: build it with torch operations, or convert it with torch.as_tensor(...).")
        return _Problem(lines)
    if _is_tensor(answer) and not _is_tensor(reference):
        lines = [f"got {_describe(answer)} but expected {_describe(reference, values=False)}."]
        if _scalar_kind(reference) is not None:
            lines.append("Hint: turn a one-element tensor into a number with .item().")
        elif _is_numpy_array(reference):
            lines.append("Hint: convert it with .detach().cpu().numpy().")
        else:
            lines.append("Hint: convert it with .tolist().")
        return _Problem(lines)
    if exact and _is_numpy_array(reference) and not _is_numpy_array(answer):
        return _Problem(
            [f"got {_describe(answer)} but expected a numpy array.", "Hint: convert it with np.asarray(...)."]
        )
    if exact and _is_numpy_array(answer) and not _is_numpy_array(reference):
        return _Problem(
            [
                f"got {_describe(answer)} but expected {_describe(reference, values=False)}.",
                "Hint: convert it with .tolist() (or .item() for one number).",
            ]
        )
    return None


def _widened(tol: tuple[float, float], *dtypes: str) -> tuple[float, float]:
    rtol, atol = tol
    for dtype in dtypes:
        low = _LOW_PRECISION.get(dtype.rsplit(".", 1)[-1])
        if low is not None:
            rtol, atol = max(rtol, low[0]), max(atol, low[1])
    return rtol, atol


def _values_problem(
    ans: _Array, ref: _Array, differ: Any, tol: tuple[float, float] | None, a: Any = None, b: Any = None
) -> _Problem:
    # No expected value is printed, nor an exact difference (yours minus it would give it away):
    # only the direction and a coarse size, which say where to look but can't be typed back.
    allowed = "" if tol is None else f"allowed: rtol={tol[0]:g}, atol={tol[1]:g}"
    if ans.values.ndim == 0:  # one number: no counts or indices, just how far off it is
        mine, theirs = ans.values.item(), ref.values.item()
        lines = [f"got {_num_pair(mine, theirs)[0]}, {_element_off(mine, theirs)}."]
    else:
        count, size = int(differ.sum()), differ.size
        lines = [
            (f"{count} of {_plural(size, 'value')} {'differs' if count == 1 else 'differ'} from the expected ones.")
        ]
        lines += _listed(ans, ref, differ)
    if allowed:
        lines.append(allowed)
    if tol is not None and a is not None:
        lines += _value_hints(a, b, tol)
    return _Problem(lines)


def _listed(ans: _Array, ref: _Array, differ: Any) -> list[str]:
    """'at [i, j]: yours x, expected y' for the first few differing elements (row-major order)."""
    import numpy as np

    where = np.argwhere(differ)
    lines = []
    for index in where[:_SHOWN]:
        index = tuple(int(i) for i in index)
        mine, theirs = ans.values[index], ref.values[index]
        # As many digits as it takes to tell yours from the expected one, which isn't printed.
        shown = _num_pair(mine, theirs)[0] if _scalar_kind(mine) is not None else _short(mine)
        lines.append(f"at {list(index)}: yours {shown} ({_element_off(mine, theirs)})")
    if len(where) > _SHOWN:
        lines.append(f"... and {len(where) - _SHOWN} more")
    return lines


def _not_finite_problem(ans: _Array, ref: _Array, a: Any, bad: Any) -> _Problem:
    import numpy as np

    what = sorted({"nan" if np.isnan(x) else "inf" for x in a[bad].ravel()[:1000]})
    what_text = " or ".join(what)
    if ans.values.ndim == 0:
        lines = [f"got {_num(a.item())} where a finite number was expected."]
    else:
        count = int(bad.sum())
        lines = [
            (
                f"{count} of {_plural(bad.size, 'value')} {'is' if count == 1 else 'are'} {what_text} "
                "where finite numbers were expected."
            ),
            *_listed(ans, ref, bad),
        ]
    lines.append(
        "Hint: nan comes from 0/0, inf - inf, log or sqrt of a negative number; inf from dividing "
        "by zero or exp of a large number. Print the intermediate results to find the first step "
        "that makes them."
    )
    return _Problem(lines)


def _value_hints(a: Any, b: Any, tol: tuple[float, float]) -> list[str]:
    """A hint when the differences follow a pattern: all zero, transposed, scaled, shifted."""
    import numpy as np

    if np.iscomplexobj(a) or np.iscomplexobj(b) or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return []
    rtol, atol = tol

    def matches(x: Any) -> bool:
        return bool(np.allclose(x, b, rtol=rtol, atol=atol))

    if a.size > 1 and not a.any() and b.any():
        return ["Hint: all your values are 0: is the result set up but never filled in, or not returned?"]
    if a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and matches(a.T):
        return ["Hint: this is the transpose of the expected matrix: check the order of the axes."]
    nonzero = b != 0
    if nonzero.sum() >= (1 if a.ndim == 0 else 2):
        factor = float(np.median(a[nonzero] / b[nonzero]))
        if factor != 0 and matches(a / factor):
            if abs(factor + 1) < 1e-6 and a.ndim > 0:
                return ["Hint: the sign is flipped: a minus sign is missing or extra."]
            if a.ndim > 0:
                return [
                    (
                        f"Hint: every value is {factor:.4g} × the expected one: a factor is missing or extra "
                        "(a sum instead of a mean, a temperature, a 1/√d scale?)."
                    )
                ]
    if a.size > 1:
        shift = float(np.median(a - b))
        if matches(a - shift):
            return [(f"Hint: every value is off by {shift:.4g}: a constant is missing or extra (a bias, a + 1?).")]
    return []


# --- shapes ---------------------------------------------------------------------------------------


def _shape_of(answer: Any) -> tuple[tuple[int, ...], _Problem | None]:
    if answer is None:
        return (), _none_problem()
    if isinstance(answer, (str, bytes)):
        return (), _Problem([f"got {_describe(answer)}, which has no shape; expected an array or tensor."])
    if _is_tensor(answer) or hasattr(answer, "shape"):
        return tuple(int(d) for d in answer.shape), None
    if isinstance(answer, (list, tuple)) or _scalar_kind(answer) is not None:
        try:
            return tuple(_to_array(answer).values.shape), None
        except _Unreadable as error:
            return (), _Problem([f"got {_describe(answer)}, which {error}."])
    return (), _Problem([f"got {_describe(answer)}, which has no shape; expected an array or tensor."])


def _fmt_shape(shape: Sequence[int | None]) -> str:
    dims = ["any" if d is None else str(d) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def _shape_problem(got: Sequence[int], want: Sequence[int | None]) -> _Problem:
    lines = [f"shape {_fmt_shape(got)} but expected {_fmt_shape(want)}."]
    if len(got) == len(want):
        # "any" sizes take the learner's size, so only the real differences are named.
        want = tuple(g if w is None else w for g, w in zip(got, want))
        axes = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
        if len(axes) < len(got) and sorted(got) != sorted(want):
            lines.append("; ".join(f"axis {i} has size {got[i]}, expected {want[i]}" for i in axes))
    if None not in want:
        hint = _shape_hint(tuple(got), tuple(want))
        if hint:
            lines.append(f"Hint: {hint}")
    return _Problem(lines)


def _shape_hint(got: tuple[int, ...], want: tuple[int, ...]) -> str | None:
    def squeezed(s: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(d for d in s if d != 1)

    if not got and want:
        return "your answer is a single number: was everything summed or averaged? Check dim= or axis=."
    if len(got) == len(want) and sorted(got) == sorted(want):
        return "the axes look swapped: check .T, .transpose(...) or .permute(...)."
    if squeezed(got) == squeezed(want):
        return "the shapes differ only by a dimension of size 1: check keepdim=True, .squeeze() or .unsqueeze()."
    if len(got) > len(want):
        return "there are extra dimensions: maybe an unintended broadcast, e.g. (n,) with (n, 1) gives (n, n)."
    if math.prod(got) == math.prod(want):
        return "same number of values, arranged differently: check .reshape(...), .view(...) or .flatten()."
    if len(got) < len(want):
        return "a dimension is missing: was it summed or averaged away? Check dim= or axis= and keepdim=True."
    return None


# --- the learner's function ------------------------------------------------------------------------


def _not_done(name: str, error: NotImplementedError) -> Verdict:
    if isinstance(error, YourTurn):
        task, line = error.task, "Replace the `raise YourTurn(...)` line with your code, then run this cell again."
    else:
        task = str(error) or "the function still raises NotImplementedError"
        line = "Replace the `raise NotImplementedError` line with your code, then run this cell again."
    message = _deterministic(f"{FAIL} {name}: not done yet: {task.rstrip('.')}.\n{_INDENT}{line}")
    return Verdict(False, name, message, todo=True)


def _raised_by(error: BaseException, fn: Callable[..., Any]) -> bool:
    """Whether ``fn``'s own code raised ``error`` (a stub), not something it called (torch, say)."""
    code = getattr(fn, "__code__", None)
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and code is not None and tb.tb_frame.f_code is code


def _raised_problem(error: BaseException, fn: Callable[..., Any], number: int, total: int, inputs: str) -> _Problem:
    import traceback

    lines = [f"on input {number} of {total}, your function raised {_exc_line(error)}", f"input: {inputs}"]
    # Point at the learner's line: the deepest frame in the file where fn was written (a notebook
    # cell has its own file). File names are left out: a kernel's are random; line numbers aren't.
    code = getattr(fn, "__code__", None)
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if code is not None and f.filename == code.co_filename]
    if mine:
        frame = mine[-1]
        source = f": {frame.line.strip()}" if frame.line else ""
        lines.append(f"in {frame.name}, line {frame.lineno}{source}")
    lines.append("Hint: call your function yourself on this input to see the full error.")
    return _Problem(lines)


def _copied(args: tuple) -> list[Any]:
    import copy

    result = []
    for arg in args:
        try:
            result.append(copy.deepcopy(arg))
        except Exception:  # noqa: BLE001 - a tensor inside a graph can't be deep-copied; use it as is
            result.append(arg)
    return result


def _seed(seed: int | None) -> None:
    if seed is None:
        return
    import random

    random.seed(seed)
    # Only libraries already in use: seeding must not be the reason torch gets imported.
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _describe_inputs(reference_fn: Callable[..., Any], args: tuple) -> str:
    import inspect

    try:
        names = [
            p.name
            for p in inspect.signature(reference_fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        names = []
    names += [f"argument {i + 1}" for i in range(len(names), len(args))]
    return ", ".join(f"{n} = {_shown_in_full(a)}" for n, a in zip(names, args)) or "(none)"


_IN_FULL = 10  # inputs with up to this many numbers are shown whole: 4 numbers say more than "shape (4,)"


def _shown_in_full(x: Any) -> str:
    """An input as the learner could type it when it is small; else a short description."""
    if _is_array(x) and x.ndim <= 2 and math.prod(x.shape) <= _IN_FULL:
        values = _tensor_to_numpy(x) if _is_tensor(x) else x
        if values.dtype.kind in "biuf":
            return f"{_describe(x)}: {_nested(values.tolist())}"
    if isinstance(x, (list, tuple)) and _all_numbers(x) and _count(x) <= _IN_FULL:
        return _nested(x)
    return _describe(x)


def _count(x: Any) -> int:
    return sum(_count(item) for item in x) if isinstance(x, (list, tuple)) else 1


def _nested(x: Any) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(item) for item in x) + "]"
    if isinstance(x, tuple):
        return "(" + ", ".join(_nested(item) for item in x) + ("," if len(x) == 1 else "") + ")"
    return _num(x)


# --- reading values --------------------------------------------------------------------------------


def _from(x: Any, library: str) -> bool:
    """Whether x's class (or a base class) comes from ``library``, without importing it."""
    return any(cls.__module__.split(".")[0] == library for cls in type(x).__mro__)


def _is_tensor(x: Any) -> bool:
    if not _from(x, "torch"):
        return False
    import torch  # already imported: x comes from it

    return isinstance(x, torch.Tensor)


def _is_numpy_array(x: Any) -> bool:
    if not _from(x, "numpy"):
        return False
    import numpy as np  # already imported: x comes from it

    return isinstance(x, np.ndarray)


def _is_numpy_scalar(x: Any) -> bool:
    if not _from(x, "numpy"):
        return False
    import numpy as np

    return isinstance(x, np.generic)


def _is_array(x: Any) -> bool:
    return _is_tensor(x) or _is_numpy_array(x)


def _scalar_kind(x: Any) -> str | None:
    """'bool', 'int', 'float' or 'complex' for a Python or numpy number; None for anything else."""
    if isinstance(x, bool) or (_is_numpy_scalar(x) and x.dtype.kind == "b"):
        return "bool"
    if isinstance(x, numbers.Integral):
        return "int"
    if isinstance(x, numbers.Real):
        return "float"
    if isinstance(x, numbers.Complex):
        return "complex"
    return None


def _all_numbers(x: Any) -> bool:
    if isinstance(x, (list, tuple)):
        return all(_all_numbers(item) for item in x)
    return _scalar_kind(x) is not None


_KIND_NOUN = {
    "bool": "True/False",
    "int": "integer",
    "float": "floating-point",
    "complex": "complex",
    "other": "non-numeric",
}


def _kind_hint(got: str, want: str) -> list[str]:
    hints = {
        (
            "float",
            "int",
        ): "use integer operations (// instead of /), or convert with .long() / .astype(int) / int(...).",
        ("int", "float"): "convert with .float() / .astype(float) / float(...), or divide with / instead of //.",
        ("bool", "float"): "convert the True/False values to numbers with .float() / .astype(float).",
        ("bool", "int"): "convert the True/False values to numbers with .long() / .astype(int).",
        ("float", "bool"): "a comparison (==, <, >) gives True/False values.",
        ("int", "bool"): "a comparison (==, <, >) gives True/False values.",
    }
    hint = hints.get((got, want))
    return [f"Hint: {hint}"] if hint else []


def _to_array(x: Any) -> _Array:
    """Read a number, nested list, numpy array or torch tensor as a numpy array."""
    import numpy as np

    if _is_tensor(x):
        values, dtype = _tensor_to_numpy(x), str(x.dtype)
    else:
        if isinstance(x, (list, tuple)):
            x = _tensors_to_numpy(x)
        try:
            values = np.asarray(x)
        except ValueError as error:
            raise _Unreadable("is not one block of numbers: its rows have different lengths") from error
        dtype = str(values.dtype)
    kind = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}.get(values.dtype.kind, "other")
    return _Array(values, dtype, kind)


def _tensors_to_numpy(items: list | tuple) -> list:
    # np.asarray can't read tensors that need gradients or live on a GPU; convert them first.
    return [
        _tensor_to_numpy(x) if _is_tensor(x) else _tensors_to_numpy(x) if isinstance(x, (list, tuple)) else x
        for x in items
    ]


def _tensor_to_numpy(t: Any) -> Any:
    import torch

    t = t.detach()
    if t.layout != torch.strided:
        t = t.to_dense()
    t = t.cpu().resolve_conj().resolve_neg()
    if t.dtype == torch.bfloat16 or (t.dtype.is_floating_point and t.element_size() == 1):
        t = t.float()  # numpy has no bfloat16 or float8; float32 holds them exactly
    elif t.dtype == torch.complex32:
        t = t.to(torch.complex64)
    return t.numpy()


def _truth(value: Any) -> bool:
    """A predicate's result as a bool; for an array or tensor, whether every element is true."""
    if value is None:
        raise TypeError("the predicate returned None; it should return True or False")
    if _is_tensor(value) or _is_numpy_array(value):
        return bool(value.all())
    return bool(value)


# --- formatting ------------------------------------------------------------------------------------


def _isnan(x: Any) -> bool:
    try:
        return math.isnan(x)
    except TypeError:
        return False


def _num(v: Any, digits: int = 6) -> str:
    """A number as a learner would write it: 0.25, 3, True, nan."""
    kind = _scalar_kind(v)
    if kind == "bool":
        return str(bool(v))
    if kind == "int":
        return str(int(v))
    if kind == "complex":
        return f"{_num(v.real, digits)}{'+' if v.imag >= 0 else '-'}{_num(abs(v.imag), digits)}j"
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    text = f"{v:.{digits}g}"
    # A float that happens to be whole still reads as a float (3.0), so it isn't mistaken for an int.
    return text if any(c in text for c in ".e") else text + ".0"


def _num_pair(mine: Any, theirs: Any) -> tuple[str, str]:
    """Both numbers, with enough digits that different values never print the same."""
    for digits in (6, 9, 12, 17):
        a, b = _num(mine, digits), _num(theirs, digits)
        if a != b:
            break
    return a, b


# How far off an answer is, in steps too coarse to work the expected value back from the answer.
_FACTORS = [
    (1.001, "less than 0.1%"),
    (1.01, "0.1% to 1%"),
    (1.1, "1% to 10%"),
    (1.5, "10% to 50%"),
    (3.0, "a factor of 1.5 to 3"),
    (10.0, "a factor of 3 to 10"),
    (100.0, "a factor of 10 to 100"),
    (1000.0, "a factor of 100 to 1000"),
]


def _how_far(mine: Any, theirs: Any) -> str:
    """'too low: off by a factor of 3 to 10', never the expected value itself."""
    a, b = float(mine), float(theirs)
    if math.isnan(b):
        return "no value is defined here (the reference is nan)"
    if not math.isfinite(a):
        return "the wrong sign" if math.isinf(a) and math.isinf(b) else "not a finite number"
    if not math.isfinite(b):
        return "too low" if b > a else "too high"
    direction = "too high" if a > b else "too low"
    if b == 0 or a == 0:
        return direction
    if (a > 0) != (b > 0):
        return "the wrong sign"
    factor = max(a / b, b / a)
    size = next((words for limit, words in _FACTORS if factor < limit), "a factor of more than 1000")
    return f"{direction}: off by {size}"


def _element_off(mine: Any, theirs: Any) -> str:
    if _scalar_kind(mine) in ("int", "float") and _scalar_kind(theirs) in ("int", "float"):
        return _how_far(mine, theirs)
    return "not that one"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _short(x: Any, limit: int = 60) -> str:
    text = _deterministic(repr(x))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _exc_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _keys(keys: Iterable[Any]) -> str:
    return ", ".join(repr(k) for k in keys)


def _set_repr(items: Iterable[Any]) -> str:
    # Sorted by repr: a set's own order changes with PYTHONHASHSEED, and nbval output must not.
    return "{" + ", ".join(sorted(_short(x) for x in items)) + "}"


def _hashable_set(items: Iterable[Any]) -> set | None:
    try:
        return set(items)
    except TypeError:
        return None


def _describe(x: Any, values: bool = True) -> str:
    """A short noun phrase for a value: 'a torch.float32 tensor of shape (3, 4)'."""
    if x is None:
        return "None"
    kind = _scalar_kind(x)
    if kind is not None:
        name = _a(type(x).__name__ if not _is_numpy_scalar(x) else f"numpy {x.dtype}")
        return f"{name} ({_num(x)})" if values else name
    if isinstance(x, str):
        return f"a string ({_short(x)})" if values else "a string"
    if _is_tensor(x):
        where = "" if x.device.type == "cpu" else f" on {x.device}"
        return f"a {x.dtype} tensor of shape {_fmt_shape(tuple(x.shape))}{where}"
    if _is_numpy_array(x):
        return _a(f"{x.dtype} numpy array of shape {_fmt_shape(x.shape)}")
    if isinstance(x, (list, tuple, set, frozenset)):
        return f"a {type(x).__name__} of {_plural(len(x), 'item')}"
    if isinstance(x, dict):
        return f"a dict with {_plural(len(x), 'key')}"
    if callable(x):
        return f"the function {getattr(x, '__name__', type(x).__name__)}"
    return _a(type(x).__name__)


def _a(phrase: str) -> str:
    """'a float', 'an int', 'an int64 numpy array', 'a uint8 numpy array'."""
    return f"an {phrase}" if phrase[:1].lower() in ("a", "e", "i", "o") else f"a {phrase}"
