"""Bad inputs generated from the declared constraints (``theory._constraints``), for every public callable that
declares them, and the ratchet that makes every public callable declare them.

For each declared argument of each callable, starting from the callable's valid call in ``test_api_fuzz.VALID``:
every value the constraint lists as invalid must raise a ``ValueError`` or ``TypeError`` naming the argument, and
every extreme valid value must give a finite result without a ``RuntimeWarning``, or a ``ValueError``/``TypeError``
naming the argument (an answer float64 cannot represent). Every result record declares its fields too
(``theory._constraints.record``): starting from a record its producer returned, every value a field's constraint
lists as invalid must raise naming the field. The hand-written pool and the hypothesis sweep of ``test_api_fuzz``
stay as a second, independent net.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pytest
from test_api_fuzz import CALLABLES, PUBLIC, RESULTS, VALID, _call_ok

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


# Result records declare their fields' constraints too (``theory._constraints.record``): a record built by hand
# with a NaN field, or a hand-built MLPParams or LogisticFit taken back as input, would otherwise reach an answer.
# One valid record of each, from its producer's valid call (the public function whose return annotation names it),
# and the same generated invalid values for each declared field.
RECORDS = sorted(n for n in RESULTS if not issubclass(PUBLIC[n], Exception))


def _producer(record: str) -> str | None:
    for name in CALLABLES:
        fn = PUBLIC[name]
        ret = str(getattr(fn, "__annotations__", {}).get("return", "")) if not isinstance(fn, type) else ""
        if record in ret.replace("|", " ").replace(",", " ").split():
            return name
    return None


@functools.cache
def _valid_record(record: str) -> dict:
    if record == "State":  # the policies' working state: built by ``Policy.init``, not returned by a function
        obj = PUBLIC["State"](np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)))
    else:
        producer = _producer(record)
        assert producer is not None, f"no public function returns {record}: build one here"
        obj = _call_ok(producer, VALID[producer])
    assert type(obj).__name__ == record, f"{record}: its producer returned a {type(obj).__name__}"
    if hasattr(obj, "_asdict"):  # a NamedTuple
        return obj._asdict()
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def test_every_result_record_declares_its_fields():
    missing = [n for n in RECORDS if not hasattr(PUBLIC[n], "__constraints__")]
    print(f"field constraints declared on {len(RECORDS) - len(missing)} of {len(RECORDS)} result records")
    assert not missing, f"declare the field constraints of {missing} (theory._constraints.record)"


@pytest.mark.parametrize("name", RECORDS)
def test_a_valid_record_rebuilds_from_its_fields(name):
    valid = _valid_record(name)
    rebuilt = PUBLIC[name](**valid)
    assert set(PUBLIC[name].__constraints__) <= set(valid)
    assert type(rebuilt) is PUBLIC[name]


RESULT_CASES = [(n, f) for n in RECORDS for f in getattr(PUBLIC[n], "__constraints__", {})]


@pytest.mark.parametrize(("name", "field"), RESULT_CASES, ids=[f"{n}.{f}" for n, f in RESULT_CASES])
def test_result_record_fields_reject_generated_invalid_values(name, field):
    valid = _valid_record(name)
    bad_values = PUBLIC[name].__constraints__[field].invalid(valid, field)
    assert bad_values, f"{name}.{field}: the constraint generates no invalid value"
    for bad in bad_values:
        with pytest.raises((ValueError, TypeError)) as err:
            PUBLIC[name](**(valid | {field: bad}))
        assert field in str(err.value), f"{name}({field}={bad!r:.40}): {err.value}"


def test_record_decorator_goes_below_dataclass_and_names_real_fields():
    with pytest.raises(TypeError, match="no field"):

        @tc.record(c=tc.Real())
        class A:
            a: float

    with pytest.raises(TypeError, match="below @dataclass"):

        @tc.record(a=tc.Real())
        @dataclasses.dataclass
        class B:
            a: float

    @dataclasses.dataclass(frozen=True)
    @tc.record(a=tc.Real(0.0))
    class C:
        a: float

        def __post_init__(self) -> None:  # the class's own hook runs after the declared checks
            if self.a > 1.0:
                raise ValueError("a must be at most 1")

    assert C(np.float32(0.5)).a == 0.5 and type(C(0.5).a) is float
    for bad, match in ((math.nan, "a must be finite"), (-1.0, "a must lie in"), (2.0, "at most 1")):
        with pytest.raises(ValueError, match=match):
            C(bad)
