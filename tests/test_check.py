"""wmlib.check: the verdicts learners see when they check an exercise."""

import math
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from wmlib import check
from wmlib.check import CheckFailed, Verdict, YourTurn


@pytest.fixture(autouse=True)
def fresh_record():
    check.reset()
    yield
    check.reset()


def failing(helper, *args, **kwargs) -> Verdict:
    """Run a check that should fail, without raising; return its verdict."""
    verdict = helper(*args, raise_on_fail=False, **kwargs)
    assert isinstance(verdict, Verdict) and not verdict.passed, verdict.message
    return verdict


# --- close: passing answers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, reference",
    [
        (0.5, 0.5),
        (3, 3.0),  # an int where a float is expected is fine in close
        ([1.0, 2.0], [1.0, 2.0 + 1e-7]),
        ([[1, 2], [3, 4]], np.array([[1.0, 2.0], [3.0, 4.0]])),
        (np.float32(0.1), 0.1),
        (np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3)),
        (torch.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)),
        (torch.tensor(2.0, requires_grad=True) * 1, torch.tensor(2.0)),
        (torch.tensor([True, False]), torch.tensor([True, False])),
        (True, True),
        ("cat", "cat"),  # non-numbers are compared exactly
    ],
)
def test_close_passes_matching_answers(capsys, answer, reference):
    verdict = check.close("ex", answer, reference)
    assert verdict.passed and bool(verdict)
    assert verdict.message == "✅ ex: correct"
    assert capsys.readouterr().out == "✅ ex: correct\n"


def test_close_compares_tensors_that_need_gradients_without_complaint():
    weights = torch.randn(3, 4, requires_grad=True)
    answer = weights * 2  # part of a graph: neither .numpy() nor deepcopy would work on it
    assert check.close("grad", answer, weights.detach() * 2).passed
    assert check.close("grad list", [answer[0], answer[1]], [r for r in (weights.detach() * 2)[:2]]).passed


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_close_compares_a_gpu_answer_with_a_cpu_reference():
    assert check.close("gpu", torch.ones(3, device="cuda"), torch.ones(3)).passed
    verdict = failing(check.close, "gpu", torch.zeros(3, device="cuda"), torch.ones(3))
    assert "3 of 3 values differ" in verdict.message
    assert (
        "got a torch.float32 tensor of shape (3,) on cuda:0 but expected a float64 numpy array"
        in failing(check.close, "gpu", torch.zeros(3, device="cuda"), np.ones(3)).message
    )
    assert (
        "tensor of shape (3,) on cuda:0"
        in failing(
            check.function, "gpu", lambda x: x.cpu().numpy(), lambda x: x, [torch.ones(3, device="cuda")]
        ).message
    )


# --- close: failing answers ---------------------------------------------------------------------


def test_close_reports_differences_yours_against_expected(capsys):
    reference = torch.arange(12.0).reshape(3, 4)
    answer = reference.clone()
    answer[0, 1] = 1.5
    answer[2, 3] = 13.0
    with pytest.raises(CheckFailed) as info:
        check.close("scores", answer, reference)
    message = str(info.value)
    assert message.startswith("❌ scores: 2 of 12 values differ from the expected ones.")
    assert "allowed: rtol=1e-05, atol=1e-08" in message
    assert "at [0, 1]: yours 1.5 (too high: off by a factor of 1.5 to 3)" in message
    assert "at [2, 3]: yours 13.0 (too high: off by 10% to 50%)" in message
    assert "11.0" not in message and "expected 1.0" not in message  # never the expected values
    assert message.index("at [0, 1]") < message.index("at [2, 3]")  # row-major order
    printed = capsys.readouterr().out
    assert printed == message + "\n"  # printed and raised: the same words


def test_close_lists_only_the_first_few_differences():
    message = failing(check.close, "many", np.arange(20.0) + np.arange(20) % 2, np.arange(20.0)).message
    assert "10 of 20 values differ" in message
    assert message.count("\n   at [") == 5
    assert "... and 5 more" in message


def test_one_differing_value_is_singular():
    message = failing(check.close, "one", [1.0, 2.0, 5.0], [1.0, 2.0, 3.0]).message
    assert "1 of 3 values differs from the expected ones." in message


def test_close_on_single_numbers_says_got_and_how_far_not_expected():
    message = failing(check.close, "loss", 0.75, 0.5).message
    assert message.splitlines()[0] == "❌ loss: got 0.75, too high: off by a factor of 1.5 to 3."
    assert "allowed: rtol=1e-05, atol=1e-08" in message
    assert "0.5" not in message and "0.25" not in message  # neither the expected value nor the difference


def test_close_says_how_close_a_near_miss_is():
    message = failing(check.close, "tiny", [0.1000001], [0.1], rtol=0, atol=0).message
    assert "yours 0.1000001 (too high: off by less than 0.1%)" in message


def test_check_failed_is_an_assertion_error_with_the_message_and_verdict():
    with pytest.raises(AssertionError) as info:
        check.close("x", 1.0, 2.0)
    error = info.value
    assert isinstance(error, CheckFailed)
    assert (
        str(error) == error.verdict.message == "❌ x: got 1.0, too low: off by a factor of 1.5 to 3.\n"
        "   allowed: rtol=1e-05, atol=1e-08"
    )
    assert error.__cause__ is None and error.__suppress_context__


def test_raise_on_fail_false_returns_the_verdict(capsys):
    verdict = check.close("x", 1.0, 2.0, raise_on_fail=False)
    assert isinstance(verdict, Verdict)
    assert (verdict.passed, verdict.name, bool(verdict)) == (False, "x", False)
    out = capsys.readouterr().out
    assert out.startswith("❌ x: ") and out == verdict.message + "\n"


# --- close: shapes and kinds of values -----------------------------------------------------------


def test_shape_mismatch_is_reported_before_values():
    message = failing(check.close, "logits", np.zeros((3, 4)), np.ones((4, 3))).message
    assert message.splitlines()[0] == "❌ logits: shape (3, 4) but expected (4, 3)."
    assert "Hint: the axes look swapped" in message
    assert "values differ" not in message


@pytest.mark.parametrize(
    "answer_shape, reference_shape, hint",
    [
        ((3, 1), (3,), "dimension of size 1"),
        ((3, 3), (3,), "unintended broadcast"),
        ((), (3,), "single number"),
        ((2, 6), (3, 4), "arranged differently"),
        ((4,), (4, 5), "dimension is missing"),
    ],
)
def test_shape_hints_point_at_the_likely_mistake(answer_shape, reference_shape, hint):
    message = failing(check.close, "y", torch.zeros(answer_shape), torch.zeros(reference_shape)).message
    assert "Hint: " in message and hint in message


def test_close_names_the_axis_whose_size_differs():
    message = failing(check.close, "z", np.zeros((2, 5)), np.zeros((2, 4))).message
    assert "shape (2, 5) but expected (2, 4)." in message
    assert "axis 1 has size 5, expected 4" in message


@pytest.mark.parametrize(
    "answer, reference, expected_words, hint",
    [
        (0.5, torch.tensor(0.5), "got a float (0.5) but expected a torch tensor", "no .item()"),
        (
            np.ones(2),
            torch.ones(2),
            "got a float64 numpy array of shape (2,) but expected a torch tensor",
            "torch.as_tensor",
        ),
        (
            [torch.ones(2), torch.ones(2)],
            torch.ones(2, 2),
            "got a list of 2 items but expected a torch tensor",
            "torch.stack",
        ),
        (torch.tensor(0.5), 0.5, "got a torch.float32 tensor of shape () but expected a float.", ".item()"),
        (
            torch.ones(2),
            np.ones(2),
            ("got a torch.float32 tensor of shape (2,) but expected a float64 numpy array of shape (2,)."),
            ".numpy()",
        ),
        (None, torch.ones(2), "got None.", "forget to `return`"),
        ("0.5", 0.5, "got a string ('0.5') but expected numbers", None),
        (
            torch.tensor([True, False]),
            torch.tensor([1.0, 0.0]),
            ("got True/False values (torch.bool) but expected floating-point values (torch.float32)"),
            ".float()",
        ),
        (np.array([1.0, 0.0]), np.array([True, False]), "got floating-point values", "a comparison"),
    ],
)
def test_close_checks_the_kind_of_value_first(answer, reference, expected_words, hint):
    message = failing(check.close, "v", answer, reference).message
    assert expected_words in message
    if hint:
        assert "Hint:" in message and hint in message


def test_a_ragged_list_is_reported_kindly():
    message = failing(check.close, "rows", [[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, 4.0]]).message
    assert "rows have different lengths" in message


def test_close_compares_tuples_of_tensors_item_by_item():
    reference = (torch.tensor(1.0), torch.ones(3))
    assert check.close("pair", (torch.tensor(1.0), torch.ones(3)), reference).passed
    message = failing(check.close, "pair", (torch.tensor(1.0), torch.ones(4)), reference).message
    assert message.startswith("❌ pair[1]: shape (4,) but expected (3,).")
    assert "got 3 items but expected 2" in failing(check.close, "pair", (1, 2, 3), reference).message
    assert failing(check.close, "pair", torch.ones(3), reference).message.startswith(
        "❌ pair: got a torch.float32 tensor of shape (3,) but expected a tuple of 2 items."
    )


def test_close_compares_dicts_key_by_key():
    reference = {"loss": torch.tensor(1.0), "acc": 0.5}
    assert check.close("metrics", {"acc": 0.5, "loss": torch.tensor(1.0)}, reference).passed
    assert failing(check.close, "metrics", {"loss": torch.tensor(1.0), "acc": 0.25}, reference).message.startswith(
        "❌ metrics['acc']: got 0.25, too low"
    )
    message = failing(check.close, "metrics", {"loss": torch.tensor(1.0)}, reference).message
    assert "missing: 'acc'" in message


# --- close: NaN and inf ----------------------------------------------------------------------------


def test_nan_where_a_number_was_expected_fails_clearly():
    message = failing(
        check.close, "log p", torch.tensor([0.0, float("nan"), 1.0]), torch.tensor([0.0, 0.5, 1.0])
    ).message
    assert "1 of 3 values is nan where finite numbers were expected." in message
    assert "at [1]: yours nan (not a finite number)" in message
    assert "0/0" in message  # the hint says where NaNs come from


def test_nan_as_a_single_number_fails():
    message = failing(check.close, "loss", float("nan"), 0.3).message
    assert message.startswith("❌ loss: got nan where a finite number was expected.")
    assert "0.3" not in message


def test_inf_where_a_number_was_expected_fails():
    message = failing(check.close, "exp", np.array([np.inf, 1.0]), np.array([1e5, 1.0])).message
    assert "1 of 2 values is inf where finite numbers were expected." in message


def test_nan_at_the_same_place_in_both_counts_as_equal():
    # Documented choice: the reference's NaN means "nothing defined here", and the answer agrees.
    nan = float("nan")
    assert check.close("masked", [1.0, nan], [1.0, nan]).passed
    assert check.equal("masked", np.array([1.0, nan]), np.array([1.0, nan])).passed
    assert check.close("both nan", nan, nan).passed


def test_a_number_where_the_reference_has_nan_fails():
    message = failing(check.close, "masked", [1.0, 2.0], [1.0, float("nan")]).message
    assert "at [1]: yours 2.0 (no value is defined here (the reference is nan))" in message


def test_matching_infinities_pass_and_opposite_ones_fail():
    assert check.close("inf", [np.inf, -np.inf], [np.inf, -np.inf]).passed
    assert "yours -inf (the wrong sign)" in failing(check.close, "inf", [-np.inf], [np.inf]).message


# --- close: tolerance ----------------------------------------------------------------------------------


def test_tolerance_edge_is_inclusive_and_relative_to_the_reference():
    # allowed = atol + rtol * |reference| = 0 + 0.1 * 10 = 1 (all values exact in binary)
    assert check.close("edge", 11.0, 10.0, rtol=0.1, atol=0).passed
    assert not check.close("over", 11.0 + 2**-20, 10.0, rtol=0.1, atol=0, raise_on_fail=False).passed
    # The tolerance scales with the reference, not the answer: a difference of 1.05 is too much
    # when 10 is expected (allowed 1.0) but fine when 11.05 is expected (allowed 1.105).
    assert not check.close("ref 10", 11.05, 10.0, rtol=0.1, atol=0, raise_on_fail=False).passed
    assert check.close("ref 11.05", 10.0, 11.05, rtol=0.1, atol=0).passed


def test_default_tolerance():
    assert check.close("rtol", 1.0 + 9e-6, 1.0).passed
    assert not check.close("rtol", 1.0 + 2e-5, 1.0, raise_on_fail=False).passed
    assert check.close("atol", 5e-9, 0.0).passed
    assert not check.close("atol", 5e-8, 0.0, raise_on_fail=False).passed


def test_custom_tolerance_is_used_and_reported():
    assert check.close("loose", 1.05, 1.0, rtol=0.1).passed
    message = failing(check.close, "strict", [1.0, 1.0], [1.001, 1.0], rtol=1e-4, atol=1e-6).message
    assert "allowed: rtol=0.0001, atol=1e-06" in message


def test_float16_answers_are_compared_at_float16_precision():
    reference = torch.tensor([0.1, 1.0, 3.3])
    rounded = reference.half()  # float16 can't hold these exactly: errors up to ~5e-4 relative
    assert check.close("half", rounded, reference).passed
    # The same error in float32 is a real error.
    assert not check.close("single", rounded.float(), reference, raise_on_fail=False).passed
    # A real mistake is still caught in float16, and the widened tolerance is shown.
    message = failing(check.close, "half", (reference * 1.01).half(), reference).message
    assert "allowed: rtol=0.001, atol=1e-05" in message


def test_bfloat16_answers_are_compared_at_bfloat16_precision():
    reference = torch.tensor([0.1, 1.0, 3.3])
    assert check.close("bf16", reference.bfloat16(), reference).passed
    assert "rtol=0.016" in failing(check.close, "bf16", (reference * 1.1).bfloat16(), reference).message


# --- close: hints from the pattern of differences ------------------------------------------------


def test_hint_for_a_scale_factor():
    reference = torch.softmax(torch.arange(6.0).reshape(2, 3), dim=-1)
    message = failing(check.close, "softmax", reference * 2, reference).message
    assert "Hint: every value is 2 × the expected one" in message


def test_hint_for_a_flipped_sign():
    # One number: "flip the sign" would hand over the answer; "the wrong sign" says where to look.
    message = failing(check.close, "loss", -0.25, 0.25).message
    assert "the wrong sign" in message and "Hint" not in message
    assert "the sign is flipped" in failing(check.close, "v", [-1.0, -2.0], [1.0, 2.0]).message


def test_hint_for_a_constant_offset_and_for_a_transpose_and_for_zeros():
    assert "off by 1:" in failing(check.close, "v", [2.0, 3.0, 5.0], [1.0, 2.0, 4.0]).message
    matrix = torch.arange(9.0).reshape(3, 3)
    assert "transpose" in failing(check.close, "m", matrix.T, matrix).message
    assert "all your values are 0" in failing(check.close, "z", torch.zeros(3), torch.ones(3)).message


def test_no_hint_when_there_is_no_pattern():
    message = failing(check.close, "v", [1.0, 5.0, 2.0], [1.0, 2.0, 4.0]).message
    assert "Hint" not in message


# --- equal -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, reference",
    [
        ("hello", "hello"),
        (3, 3),
        (np.int64(3), 3),
        (True, True),
        ((1, "a"), (1, "a")),
        ([1, [2, 3]], [1, [2, 3]]),
        ({"b", "a"}, {"a", "b"}),
        ({"k": [1, 2]}, {"k": [1, 2]}),
        (np.array([1, 2]), np.array([1, 2])),
        (torch.tensor([1, 2]), torch.tensor([1, 2], dtype=torch.int32)),  # int64 vs int32: same kind
        (torch.tensor([True]), torch.tensor([True])),
        (None, None),
    ],
)
def test_equal_passes_identical_answers(capsys, answer, reference):
    assert check.equal("ex", answer, reference).passed
    assert "✅ ex: correct" in capsys.readouterr().out


def test_equal_strings_get_a_plain_verdict():
    message = failing(check.equal, "word", "world", "word").message
    assert message == "❌ word: got 'world': not that one."


@pytest.mark.parametrize(
    "answer, hint",
    [
        ("hello\n", "spaces or line breaks at the start or end"),
        ("Hello", "upper and lower case"),
        ("a  b", "spacing between words"),
    ],
)
def test_equal_strings_hint_at_near_misses(answer, hint):
    reference = {"hello\n": "hello", "Hello": "hello", "a  b": "a b"}[answer]
    assert hint in failing(check.equal, "s", answer, reference).message


def test_equal_is_exact_about_kinds():
    assert "got a float (3.0) but expected an int." in failing(check.equal, "n", 3.0, 3).message
    assert "got an int (1) but expected a bool." in failing(check.equal, "b", 1, True).message
    assert "got a list but expected a tuple." in failing(check.equal, "t", [1, 2], (1, 2)).message
    message = failing(check.equal, "idx", torch.tensor([1.0, 2.0]), torch.tensor([1, 2])).message
    assert "got floating-point values (torch.float32) but expected integer values (torch.int64)." in message
    assert (
        "got an int64 numpy array of shape (2,) but expected a list of 2 items."
        in failing(check.equal, "l", np.array([1, 2]), [1, 2]).message
    )
    assert "got a uint8 numpy array" in failing(check.equal, "u", np.array([1], dtype=np.uint8), 1).message
    assert "expected a numpy array" in failing(check.equal, "a", [1, 2], np.array([1, 2])).message


def test_equal_ints_and_nested_paths():
    message = failing(check.equal, "counts", {"a": [1, 2], "b": [3, 4]}, {"a": [1, 2], "b": [3, 5]}).message
    assert message.splitlines()[0] == "❌ counts['b'][1]: got 4: not the expected number, but close."
    assert "5" not in message and "too" not in message  # with "off by one", a direction would give it away
    assert "off by one" in message
    assert "got 3 items but expected 2" in failing(check.equal, "l", [1, 2, 3], [1, 2]).message


def test_equal_sets_list_missing_and_unexpected_in_a_stable_order():
    message = failing(check.equal, "vocab", {"c", "a", "d", "b"}, {"a", "b", "e"}).message
    assert "the sets differ: 1 missing, 2 not expected." in message
    assert "'e'" not in message  # the missing items are the answer: only their number is told
    assert "not expected: {'c', 'd'}" in message  # sorted, whatever PYTHONHASHSEED is
    assert "convert them with set(...)" in failing(check.equal, "vocab", ["b", "a"], {"a", "b"}).message


def test_equal_arrays_report_differing_elements():
    message = failing(check.equal, "labels", torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 3, 3])).message
    assert "1 of 4 values differs from the expected ones." in message
    assert "at [2]: yours 2 (too low: off by a factor of 1.5 to 3)" in message
    assert "rtol" not in message  # exact: no tolerance to report
    assert "shape (3,) but expected (4,)" in failing(check.equal, "labels", np.arange(3), np.arange(4)).message


def test_equal_compares_large_integers_exactly():
    big = np.array([2**53 + 1], dtype=np.int64)
    assert not check.equal("big", big, big - 1, raise_on_fail=False).passed  # float64 would call them equal
    assert check.equal("big", big, big.copy()).passed


def test_equal_has_no_tolerance():
    assert not check.equal("x", 0.1 + 0.2, 0.3, raise_on_fail=False).passed
    assert not check.equal("x", np.array([1.0 + 1e-12]), np.array([1.0]), raise_on_fail=False).passed


def test_equal_on_other_objects_never_prints_memory_addresses():
    class Thing:
        pass

    message = failing(check.equal, "obj", Thing(), Thing()).message
    assert message.splitlines()[0] == "❌ obj: got <Thing object>: not equal to the expected Thing."
    assert "they look alike, but == says they differ" in message


# --- shape ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, expected",
    [
        (torch.zeros(2, 3), (2, 3)),
        (np.zeros((2, 3)), [2, 3]),
        ([[1, 2, 3], [4, 5, 6]], (2, 3)),
        (torch.zeros(5), 5),
        (torch.zeros(7, 3), (None, 3)),
        (2.5, ()),
    ],
)
def test_shape_passes(capsys, answer, expected):
    verdict = check.shape("s", answer, expected)
    assert verdict.passed
    assert capsys.readouterr().out.startswith("✅ s: correct (shape (")


def test_shape_fails_with_expected_and_got():
    message = failing(check.shape, "z", torch.zeros(4, 3), (3, 4)).message
    assert message.splitlines()[0] == "❌ z: shape (4, 3) but expected (3, 4)."
    assert "swapped" in message
    wildcard = failing(check.shape, "z", torch.zeros(2, 5), (None, 4)).message
    assert "shape (2, 5) but expected (any, 4)." in wildcard and "axis 1 has size 5, expected 4" in wildcard


@pytest.mark.parametrize(
    "answer, words",
    [
        (None, "got None."),
        ("abc", "has no shape"),
        ([[1, 2], [3]], "rows have different lengths"),
    ],
)
def test_shape_of_something_without_a_shape(answer, words):
    assert words in failing(check.shape, "s", answer, (2, 2)).message


# --- property --------------------------------------------------------------------------------------


def test_property_passes_and_names_the_property(capsys):
    attention = torch.softmax(torch.randn(3, 3), dim=-1)
    verdict = check.property(
        "attention", attention, lambda a: torch.allclose(a.sum(-1), torch.ones(3)), "rows sum to 1"
    )
    assert verdict.passed
    assert capsys.readouterr().out == "✅ attention: correct (rows sum to 1)\n"


def test_property_fails_with_the_description_and_what_was_got():
    message = failing(
        check.property, "gram", torch.tensor([[1.0, 2.0], [0.0, 1.0]]), lambda m: torch.equal(m, m.T), "is symmetric"
    ).message
    assert message.splitlines()[0] == "❌ gram: expected it to satisfy “is symmetric”, but it does not."
    assert "got: a torch.float32 tensor of shape (2, 2)" in message


def test_property_accepts_arrays_of_bools_meaning_all():
    assert check.property("pos", np.array([1, 2]), lambda a: a > 0, "is positive").passed
    assert not check.property("pos", np.array([1, -2]), lambda a: a > 0, "is positive", raise_on_fail=False).passed
    assert check.property("pos", torch.tensor([1, 2]), lambda a: a > 0, "is positive").passed


def test_property_reports_a_predicate_that_raises():
    message = failing(check.property, "p", "text", lambda a: a.sum() > 0, "sums to more than 0").message
    assert "checking “sums to more than 0” raised AttributeError" in message


def test_property_of_none_and_a_predicate_without_a_result():
    assert "forget to `return`" in failing(check.property, "p", None, bool, "is set").message
    with pytest.raises(TypeError, match="returned None"):
        check.property("p", 1, lambda a: None, "is something")


# --- function ----------------------------------------------------------------------------------------


def reference_scores(a, b):
    return a @ b.T


INPUTS = [(torch.ones(2, 3), torch.ones(2, 3)), (torch.arange(12.0).reshape(4, 3), torch.ones(4, 3))]


def test_function_passes_on_every_input(capsys):
    verdict = check.function("scores", lambda a, b: torch.einsum("id,jd->ij", a, b), reference_scores, INPUTS)
    assert verdict.passed
    assert capsys.readouterr().out == "✅ scores: correct (on 2 inputs)\n"


def test_function_reports_the_first_input_where_results_differ():
    def scores(a, b):
        result = a @ b.T
        return result if len(a) < 3 else result * 2

    message = failing(check.function, "scores", scores, reference_scores, INPUTS).message
    lines = message.splitlines()
    assert lines[0] == "❌ scores: on input 2 of 2, the result differs from the reference."
    assert (
        lines[1] == "   input: a = a torch.float32 tensor of shape (4, 3), b = a torch.float32 tensor of shape (4, 3)"
    )
    assert lines[2] == "   result: 16 of 16 values differ from the expected ones."
    assert "2 × the expected one" in message


def test_function_with_a_your_turn_stub_is_not_done_yet(capsys):
    def infonce(a, b):
        raise YourTurn("write the symmetric InfoNCE loss")

    with pytest.raises(CheckFailed) as info:
        check.function("infonce", infonce, reference_scores, INPUTS)
    verdict = info.value.verdict
    assert verdict.todo and not verdict.passed
    assert verdict.message == (
        "❌ infonce: not done yet: write the symmetric InfoNCE loss.\n"
        "   Replace the `raise YourTurn(...)` line with your code, then run this cell again."
    )
    out = capsys.readouterr().out
    assert "not done yet" in out and "Traceback" not in out


def test_function_with_a_plain_not_implemented_stub_is_not_done_yet():
    def stub(a, b):
        raise NotImplementedError("compute the scores")

    message = failing(check.function, "scores", stub, reference_scores, INPUTS).message
    assert message.startswith("❌ scores: not done yet: compute the scores.")


def test_not_implemented_from_deeper_down_is_an_error_not_a_stub():
    def helper(a):
        raise NotImplementedError("no kernel for this device")

    def scores(a, b):
        return helper(a)

    verdict = failing(check.function, "scores", scores, reference_scores, INPUTS)
    assert not verdict.todo
    assert "your function raised NotImplementedError: no kernel for this device" in verdict.message


def test_function_that_raises_points_at_the_learners_line():
    def scores(a, b):
        product = a @ b  # forgot the transpose
        return product

    message = failing(check.function, "scores", scores, reference_scores, INPUTS).message
    assert "on input 1 of 2, your function raised RuntimeError: mat1 and mat2 shapes cannot be multiplied" in message
    assert "in scores, line " in message and ": product = a @ b  # forgot the transpose" in message
    assert "Traceback" not in message


def test_function_needs_a_function_not_its_result():
    message = failing(check.function, "scores", reference_scores(*INPUTS[0]), reference_scores, INPUTS).message
    assert "but expected a function" in message and "without calling it" in message


def test_function_gives_each_call_fresh_inputs():
    def in_place(x):
        x += 1  # changes the tensor it was given
        return x

    x = torch.zeros(3)
    assert check.function("add one", in_place, lambda x: x + 1, [x, (x,)]).passed
    assert torch.equal(x, torch.zeros(3))  # the notebook's own tensor is untouched


def test_function_accepts_single_arguments_and_compares_tuples():
    assert check.function("double", lambda x: 2 * x, lambda x: x + x, [1.0, np.ones(2)]).passed
    message = failing(
        check.function, "pair", lambda x: (x, x.sum()), lambda x: (x, x.sum() + 1), [torch.ones(3)]
    ).message
    assert "result[1]: got 3.0, too low: off by 10% to 50%." in message


def test_function_seed_gives_both_the_same_random_numbers():
    def noisy(x):
        return x + torch.randn(3)

    assert check.function("noise", noisy, noisy, [torch.zeros(3)], seed=0).passed
    assert not check.function("noise", noisy, noisy, [torch.zeros(3)], raise_on_fail=False).passed


# --- summary ------------------------------------------------------------------------------------------


def test_summary_counts_and_prints_a_table(capsys):
    check.close("softmax", 1.0, 1.0)
    check.close("logits", 1.0, 2.0, raise_on_fail=False)
    check.equal("labels", 3, 3)
    check.shape("z", torch.zeros(2), (3,), raise_on_fail=False)
    capsys.readouterr()
    result = check.summary()
    assert dict(result) == {"softmax": True, "logits": False, "labels": True, "z": False}
    assert (result.solved, result.total) == (2, 4)
    assert capsys.readouterr().out == (
        "2 of 4 exercises solved\n"
        "  ✅ softmax  correct\n"
        "  ❌ logits   not correct yet\n"
        "  ✅ labels   correct\n"
        "  ❌ z        not correct yet\n"
    )


def test_summary_marks_stubs_not_done_and_counts_a_fixed_answer_once(capsys):
    def stub():
        raise YourTurn("write it")

    check.function("infonce", stub, lambda: 0.0, [()], raise_on_fail=False)
    check.close("softmax", 1.0, 2.0, raise_on_fail=False)
    check.close("softmax", 2.0, 2.0)  # fixed and run again: replaces the verdict, keeps its place
    capsys.readouterr()
    result = check.summary()
    assert list(result) == ["infonce", "softmax"]
    assert str(result).splitlines() == [
        "1 of 2 exercises solved",
        "  ❌ infonce  not done yet",
        "  ✅ softmax  correct",
    ]
    assert capsys.readouterr().out == str(result) + "\n"


def test_summary_counts_expected_exercises_not_checked_yet():
    check.close("a", 1.0, 1.0)
    result = check.summary(expected=["a", "b"])
    assert (result.solved, result.total) == (1, 2)
    assert "⬜ b  not checked yet" in str(result)


def test_summary_when_everything_or_nothing_is_solved():
    assert str(check.summary()) == "No exercises checked yet."
    check.close("a", 1.0, 1.0)
    assert str(check.summary()).startswith("1 of 1 exercise solved. Well done!")
    check.reset()
    assert check.summary().total == 0


# --- YourTurn, Verdict, CheckFailed in notebooks --------------------------------------------------


def test_your_turn_is_a_not_implemented_error_with_a_friendly_message():
    error = YourTurn("write the symmetric InfoNCE loss")
    assert isinstance(error, NotImplementedError)
    assert str(error) == "Your turn: write the symmetric InfoNCE loss"
    assert error.task == "write the symmetric InfoNCE loss"
    assert error._render_traceback_()[0] == "Your turn: write the symmetric InfoNCE loss"


def test_check_failed_renders_as_one_line_in_ipython():
    with pytest.raises(CheckFailed) as info:
        check.close("x", 1.0, 2.0)
    assert info.value._render_traceback_() == ["CheckFailed: x is not solved yet (see the message above)."]


def test_verdict_str_and_html():
    verdict = check.close("a<b", 1.0, 2.0, raise_on_fail=False)
    assert str(verdict) == verdict.message
    html = verdict._repr_html_()
    assert "a&lt;b" in html and "a<b" not in html and "❌" in html


def test_verdict_is_not_shown_twice_in_the_cell_that_printed_it(monkeypatch):
    shown = []
    monkeypatch.setattr(check, "_current_cell", lambda: 7)
    fake_display = type(sys)("IPython.display")
    fake_display.display = lambda data, raw: shown.append(data)
    monkeypatch.setitem(sys.modules, "IPython.display", fake_display)
    verdict = check.close("a", 1.0, 1.0)
    verdict._ipython_display_()  # the cell's value, right after the check printed it
    assert shown == []
    monkeypatch.setattr(check, "_current_cell", lambda: 8)  # a later cell asks for it
    verdict._ipython_display_()
    assert shown == [{"text/plain": "✅ a: correct", "text/html": verdict._repr_html_()}]


def test_in_ipython_a_check_prints_once_and_a_later_cell_shows_it():
    pytest.importorskip("IPython")
    script = textwrap.dedent("""
        from IPython.testing.globalipapp import start_ipython
        ip = start_ipython()
        for cell in ["from wmlib import check", "check.close('a', 1.0, 1.0)", "print('--')",
                     "v = check.close('b', 1.0, 2.0, raise_on_fail=False)", "print('--')", "v"]:
            ip.run_cell(cell, store_history=True)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True).stdout
    first, _, later = out.partition("--")
    assert first.count("✅ a: correct") == 1
    assert later.count("❌ b: got 1.0, too low") == 2  # printed by the check, then shown as v


# --- housekeeping ------------------------------------------------------------------------------------


def test_output_is_deterministic():
    def run():
        check.reset()
        messages = [
            failing(check.close, "v", np.arange(6.0) * 1.5, np.arange(6.0)).message,
            failing(check.equal, "s", {"x", "y", "z"}, {"w"}).message,
        ]
        return messages + [str(check.summary())]

    assert run() == run()


def test_star_import_does_not_hide_the_builtin_property():
    namespace: dict = {}
    exec("from wmlib.check import *", namespace)  # noqa: S102 - a star import, as a notebook would do it
    assert "property" not in namespace and "close" in namespace


def test_the_name_must_be_a_string():
    with pytest.raises(TypeError, match="exercise's name"):
        check.close(1.0, 1.0, 1.0)


def test_importing_check_is_light():
    code = "import sys, wmlib.check; print('numpy' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["False", "False"]


# --- the expected value is never printed (issue 24) ------------------------------------------------

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def typed_back(message: str) -> list[float]:
    """Every number a learner could copy from a message (indices and tolerances included)."""
    return [float(x) for x in NUMBER.findall(message)]


# One wrong answer for each kind of value check, with the call that checks it again with a new answer.
VALUE_CHECKS = {
    "close, one number": (lambda a: check.close("loss", a, 5.545177, rtol=0.02, raise_on_fail=False), 0.0039),
    "close, a near miss": (lambda a: check.close("loss", a, 5.545177, raise_on_fail=False), 5.56),
    "close, a tensor": (lambda a: check.close("t", torch.tensor(a), torch.tensor(0.125), raise_on_fail=False), 0.25),
    "close, a list": (lambda a: check.close("l", [1.0, a], [1.0, 0.375], raise_on_fail=False), 0.5),
    "close, an array": (
        lambda a: check.close("a", np.array([a, 2.0]), np.array([0.8125, 2.0]), raise_on_fail=False),
        0.7,
    ),
    "equal, an int": (lambda a: check.equal("frame", a, 15, raise_on_fail=False), 12),
    "equal, an int off by one": (lambda a: check.equal("frame", a, 15, raise_on_fail=False), 16),
    "equal, a float": (lambda a: check.equal("x", a, 0.02, raise_on_fail=False), 0.01),
    "equal, a tuple of ints": (lambda a: check.equal("pair", (13, a), (13, 17550), raise_on_fail=False), 17000),
    "equal, an int array": (lambda a: check.equal("idx", np.array([a, 1]), np.array([7, 1]), raise_on_fail=False), 4),
    "function": (lambda a: check.function("f", lambda x: x * a, lambda x: x * 2.75, [1.0], raise_on_fail=False), 2.5),
    "formula": (
        lambda a: check.formula("f", lambda n: a, lambda n: math.log(n), [{"n": 256}], rtol=0.02, raise_on_fail=False),
        0.0039,
    ),
}


@pytest.mark.parametrize("kind", list(VALUE_CHECKS))
def test_no_number_typed_back_from_a_failure_message_passes(kind):
    run, wrong = VALUE_CHECKS[kind]
    verdict = run(wrong)
    assert not verdict.passed
    for number in typed_back(verdict.message):
        retry = run(int(number) if isinstance(wrong, int) and number.is_integer() else number)
        assert not retry.passed, f"typing {number} back from {verdict.message!r} passes"


@pytest.mark.parametrize(
    "answer, reference, hidden",
    [
        (0.0039, 5.55, "5.55"),
        ("shape", "colour", "colour"),
        (12, 15, "15"),
        ([1.0, 9.0], [1.0, 3.25], "3.25"),
        ({"a", "b"}, {"a", "zebra"}, "zebra"),
        (np.array([4, 1]), np.array([7, 1]), "7"),
    ],
)
def test_the_expected_value_never_appears(answer, reference, hidden):
    helper = check.close if isinstance(reference, float) else check.equal
    assert hidden not in failing(helper, "x", answer, reference).message


# --- categorical answers ---------------------------------------------------------------------------


def test_categorical_answers_get_a_plain_verdict_and_the_options():
    options = ["lower", "about the same", "higher"]
    message = failing(check.equal, "guidance", "lower", "about the same", options=options).message
    assert message == "❌ guidance: got 'lower': not that one (the options: 'lower', 'about the same', 'higher')."
    message = failing(check.equal, "guidance", "same", "about the same", options=options).message
    assert "that is not one of the options: 'lower', 'about the same', 'higher'" in message
    assert check.equal("guidance", "about the same", "about the same", options=options).passed
    assert failing(check.equal, "grows", False, True).message == "❌ grows: got False: not that one."


# --- None as a legitimate answer -------------------------------------------------------------------


def earliest(scores, threshold=0.5):
    return next((j for j, s in enumerate(scores) if s >= threshold), None)


def test_none_gets_the_return_hint_only_when_none_is_not_an_answer():
    assert "forget to `return`" in failing(check.close, "x", None, 1.0).message
    assert "forget to `return`" in failing(check.function, "f", lambda s: None, earliest, [[0.9, 0.1]]).message
    # The reference itself answers None for the second input: None is a legitimate answer here.
    message = failing(check.function, "f", lambda s: None, earliest, [[0.1, 0.2], [0.1, 0.9]]).message
    assert "forget" not in message and "got None, but here the answer is not None." in message
    message = failing(check.equal, "pick", None, 15, none_ok=True).message
    assert "forget" not in message
    assert check.function("f", earliest, earliest, [[0.1, 0.2], [0.9]]).passed


# --- small inputs in full -------------------------------------------------------------------------------


def test_small_inputs_are_shown_in_full():
    message = failing(check.function, "f", lambda s, m: 0, earliest, [(np.array([0.1, 0.9, 0.3, 0.7]), 0.5)]).message
    assert "scores = a float64 numpy array of shape (4,): [0.1, 0.9, 0.3, 0.7], threshold = a float (0.5)" in message
    message = failing(
        check.function,
        "f",
        lambda p, q: 0.0,
        lambda p, q: 1.0,
        [((0.3, 1.0, 1.5), torch.tensor([[1.0, 2.0], [3.0, 4.0]]))],
    ).message
    assert "p = (0.3, 1.0, 1.5), q = a torch.float32 tensor of shape (2, 2): [[1.0, 2.0], [3.0, 4.0]]" in message
    message = failing(check.function, "f", lambda x: 0.0, lambda x: 1.0, [np.zeros(11)]).message
    assert "shape (11,)" in message and "[0.0" not in message  # a large input: its description only


# --- targeted hints for common slips ----------------------------------------------------------------


def test_slip_hint_for_the_wrong_ddof():
    u = np.array([1.0, 2.0, 4.0, 7.0])
    slips = {"the sample standard deviation (ddof=1) instead of the population one (ddof=0)": u.std(ddof=1)}
    message = failing(check.close, "std", u.std(ddof=1), u.std(), slips=slips).message
    assert "Hint: your answer is what the sample standard deviation (ddof=1) instead of the population one" in message
    assert "ddof" not in failing(check.close, "std", 99.0, u.std(), slips=slips).message  # another mistake: no hint
    assert check.close("std", u.std(), u.std(), slips=slips).passed


def knn_overlap(a, b, k=2, self_included=False):
    def neighbours(x):
        d = ((x[:, None] - x[None]) ** 2).sum(-1)
        if not self_included:
            np.fill_diagonal(d, np.inf)
        return np.argsort(d, axis=1, kind="stable")[:, :k]

    na, nb = neighbours(a), neighbours(b)
    return float(np.mean([len(set(na[i]) & set(nb[i])) / k for i in range(len(a))]))


def test_slip_hint_for_self_included_in_knn():
    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=(12, 3)), rng.normal(size=(12, 3)))]
    with_self = lambda a, b: knn_overlap(a, b, self_included=True)  # noqa: E731 - the slip, as a notebook would pass it
    message = failing(
        check.function,
        "knn",
        with_self,
        knn_overlap,
        cases,
        slips={"counting each item among its own neighbours": with_self},
    ).message
    assert "Hint: your answer is what counting each item among its own neighbours gives." in message


def test_hint_for_frame_index_instead_of_candidate_index():
    frames = [0, 5, 10, 15]  # candidate j is frame frames[j]

    def by_frame(scores):
        j = earliest(scores)
        return None if j is None else frames[j]

    cases = [[0.1, 0.9, 0.2, 0.1], [0.1, 0.2, 0.9, 0.9], [0.1, 0.1, 0.1, 0.1]]
    message = failing(
        check.function,
        "pick",
        by_frame,
        earliest,
        cases,
        slips={"a frame number instead of the candidate's position in the list": by_frame},
    ).message
    assert "Hint: your answer is what a frame number instead of the candidate's position" in message
    # Without a slip given, a constant offset is noticed on its own.
    message = failing(
        check.function, "pick", lambda s: None if earliest(s) is None else earliest(s) + 1, earliest, cases
    ).message
    assert "every one of your results is +1 from the expected one" in message
    message = failing(
        check.function, "pick", lambda s: None if earliest(s) is None else 4 * earliest(s), earliest, cases
    ).message
    assert "every one of your results is 4 × the expected one: are you counting in different units" in message
    assert "Hint: every" not in failing(check.function, "pick", lambda s: 3, earliest, cases).message


# --- formulas checked at several inputs ----------------------------------------------------------


def test_formula_is_checked_at_several_inputs():
    inputs = [{"n": 16}, {"n": 256}, {"n": 1000}]
    assert check.formula("random_loss", lambda n: math.log(n), lambda n: math.log(n), inputs).passed
    # A constant that fits one input fails at the others, and is told to vary.
    message = failing(
        check.formula, "random_loss", lambda n: 5.545177, lambda n: math.log(n), inputs[1:] + inputs[:1], rtol=0.02
    ).message
    assert "at n = 1000, your formula gives 5.54518, too low" in message
    assert "It agrees at n = 256, but not here" in message
    assert "same value at every input" in message
    message = failing(
        check.formula, "baseline", lambda n, k: k / n, lambda n, k: k / (n - 1), [{"n": 10, "k": 3}], rtol=1e-6
    ).message
    assert message.startswith("❌ baseline: at n = 10, k = 3, your formula gives 0.3, too low")
    assert "0.333" not in message


def test_formula_wants_a_function_and_reports_a_stub_kindly():
    message = failing(check.formula, "random_loss", 5.55, lambda n: math.log(n), [{"n": 256}]).message
    assert "`lambda n: ...`" in message

    def stub(n):
        raise YourTurn("write the loss of random embeddings in n")

    verdict = failing(check.formula, "random_loss", stub, lambda n: math.log(n), [{"n": 256}])
    assert verdict.todo and "not done yet" in verdict.message
    assert check.formula("sq", lambda x: x * x, lambda x: x**2, [2, (3,)]).passed


# --- summary in any notebook ---------------------------------------------------------------------------


def test_summary_works_with_or_without_names_and_checks():
    assert str(check.summary()) == "No exercises checked yet."
    check.close("a", 1.0, 1.0)
    failing(check.equal, "b", "x", "y")
    assert str(check.summary()).splitlines()[0] == "1 of 2 exercises solved"
    assert str(check.summary(["a", "b", "c"])).splitlines()[0] == "1 of 3 exercises solved"
