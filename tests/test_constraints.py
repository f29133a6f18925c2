"""Bad inputs generated from the declared constraints (``theory._constraints``), for every public callable that
declares them, and the ratchet that makes every public callable declare them.

For each declared argument of each callable, starting from the callable's valid call in ``test_api_fuzz.VALID``:
every value the constraint lists as invalid must raise a ``ValueError`` or ``TypeError`` naming the argument, and
every extreme valid value must give a finite result without a ``RuntimeWarning``, or a ``ValueError``/``TypeError``
naming the argument (an answer float64 cannot represent). The hand-written pool and the
hypothesis sweep of ``test_api_fuzz`` stay as a second, independent net.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from test_api_fuzz import CALLABLES, FIT, PUBLIC, RESULTS, VALID, _call_ok

import theory._constraints as tc

DECLARED = sorted(n for n in CALLABLES if hasattr(PUBLIC[n], "__constraints__"))

# Public callables that do not declare their constraints (none now: every public function and class does). The set
# may only stay empty: a new public callable without declared constraints fails the test below.
UNDECLARED: set[str] = set()


def test_every_public_callable_declares_its_constraints_or_is_on_the_shrinking_list():
    undeclared = {n for n in CALLABLES if n not in DECLARED}
    print(f"constraints declared on {len(DECLARED)} of {len(CALLABLES)} public callables")
    assert not undeclared - UNDECLARED, f"declare the constraints of {sorted(undeclared - UNDECLARED)}"
    assert not UNDECLARED - undeclared, f"these declare constraints now: remove {sorted(UNDECLARED - undeclared)}"


def test_declared_constraints_name_arguments_of_the_valid_call():
    """The generated cases vary arguments the valid call sets, so that a relation sees its partner's value."""
    for name in DECLARED:
        missing = set(PUBLIC[name].__constraints__) - set(VALID[name])
        assert not missing, f"{name}: add {sorted(missing)} to its valid call in test_api_fuzz.VALID"


CASES = [(n, arg) for n in DECLARED for arg in PUBLIC[n].__constraints__]


@pytest.mark.parametrize(("name", "arg"), CASES, ids=[f"{n}.{a}" for n, a in CASES])
def test_generated_invalid_values_are_rejected_naming_the_argument(name, arg):
    valid = dict(VALID[name])
    constraint = PUBLIC[name].__constraints__[arg]
    bad_values = constraint.invalid(valid, arg)
    assert bad_values, f"{name}.{arg}: the constraint generates no invalid value"
    for bad in bad_values:
        with pytest.raises((ValueError, TypeError)) as err:
            _call_ok(name, valid | {arg: bad})
        assert arg in str(err.value), f"{name}({arg}={bad!r:.40}): {err.value}"


@pytest.mark.parametrize(("name", "arg"), CASES, ids=[f"{n}.{a}" for n, a in CASES])
def test_generated_extreme_valid_values_give_finite_results(name, arg):
    valid = dict(VALID[name])
    for extreme in PUBLIC[name].__constraints__[arg].extremes(valid, arg):
        try:  # finite, no RuntimeWarning, within the time box; or a clear error naming the argument (an answer
            _call_ok(name, valid | {arg: extreme})  # that float64 cannot represent, say)
        except (ValueError, TypeError) as err:
            assert arg in str(err), f"{name}({arg}={extreme!r:.40}): {err}"


def test_constraint_messages_name_the_argument_the_range_and_the_value():
    with pytest.raises(ValueError, match=r"lam must lie in \[0.001, 1000\]; got 5000"):
        tc.Real(1e-3, 1e3).check(5e3, "lam", {})
    with pytest.raises(TypeError, match=r"k must be an integer >= 1; got float 1\.5"):
        tc.Integer(1).check(1.5, "k", {})
    with pytest.raises(ValueError, match=r"y must hold labels in \[0, 2\]"):
        tc.Labels(of="f").check([3], "y", {"f": np.zeros((1, 3))})
    assert tc.Real(0.0, 1.0).check(np.array([0.5]), "x", {}) == 0.5


def test_constrained_rejects_unknown_arguments_and_keeps_the_signature():
    import inspect

    def f(a: float, b: float = 1.0) -> float:
        return a + b

    with pytest.raises(TypeError, match="no argument"):
        tc.constrained(c=tc.Real())(f)
    g = tc.constrained(a=tc.Real(0.0, math.inf))(f)
    assert inspect.signature(g) == inspect.signature(f) and g(np.float32(2.0)) == 3.0
    with pytest.raises(ValueError, match="a must lie in"):
        g(-1.0)


# Result records that public functions take back as input declare their fields' constraints too (a record built by
# hand with a NaN field would otherwise reach the answer); one valid record of each, and the same generated values.
RESULT_VALID = {"LogisticFit": dataclasses.asdict(FIT)}
RESULT_CASES = [(n, f) for n in RESULT_VALID for f in PUBLIC[n].__constraints__]


def test_result_records_taken_as_input_declare_their_fields():
    taken = {n for n in RESULTS if hasattr(PUBLIC.get(n), "__constraints__")}
    assert taken == set(RESULT_VALID), f"add a valid record to RESULT_VALID for {sorted(taken - set(RESULT_VALID))}"


@pytest.mark.parametrize(("name", "field"), RESULT_CASES, ids=[f"{n}.{f}" for n, f in RESULT_CASES])
def test_result_record_fields_reject_generated_invalid_values(name, field):
    valid = dict(RESULT_VALID[name])
    for bad in PUBLIC[name].__constraints__[field].invalid(valid, field):
        with pytest.raises((ValueError, TypeError)) as err:
            PUBLIC[name](**(valid | {field: bad}))
        assert field in str(err.value), f"{name}({field}={bad!r:.40}): {err.value}"
