"""What a claim is: one checked statement with its verdict, and the small constructors sims build claims with.

Conventions, stated once:

- ``relation`` compares ``measured`` with ``predicted`` within ``tolerance``: ``"<="`` (measured <= predicted +
  tol, e.g. a bound), ``">="``, ``"=="`` (|measured - predicted| <= tol) or ``"info"`` (an observation, reported
  and not judged).
- ``expect="violated"`` marks a statement known to be false; its check PASSes only when it detects the violation.
  ``role`` says why it is false: a deliberate ``negative_control``, or a published statement that the numbers
  contradict (``refutation``, counter-example in ``details``).
- ``slack`` is the room left before the *verdict* flips, in the units of ``measured``: positive means PASS with
  that margin, for negative controls too (their slack is how far the measurement is beyond the false statement).
- A tolerance is a :class:`Tol`: a value and the reason for it, so that one tolerance is justified once and reused
  by name (``BOUND_TOL``, ``N_SE`` standard errors, ...), never restated with a different reason.

Claims are computed afresh from saved arrays every time a report is built; nothing here enters a cached cell.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from dataclasses import dataclass
from typing import Any, Literal

Relation = Literal["<=", ">=", "==", "info"]
Expect = Literal["holds", "violated"]
Role = Literal["claim", "negative_control", "refutation", "restated_refuted", "conjecture_rejected", "observation"]
# A statement shown false is labelled by how surely we know what it says: ``refutation`` only for a published
# statement read in the primary text; ``restated_refuted`` for the form a secondary source gives (or a published
# statement checked in a neighbouring setting); ``conjecture_rejected`` for a conjecture of this project's own.
ROLE_LABELS = {
    "claim": "",
    "negative_control": "negative control",
    "refutation": "published statement refuted",
    "restated_refuted": "restated form refuted",
    "conjecture_rejected": "our conjecture, shown false",
    "observation": "observation",
}


@dataclass(frozen=True)
class Tol:
    """A tolerance with the reason it is what it is (sample size, rounding, solver accuracy...)."""

    value: float
    reason: str

    def __post_init__(self) -> None:
        # NaN is allowed (a tolerance that could not be computed, e.g. a failed fit): the claim then FAILs
        if not (isinstance(self.value, int | float) and (math.isnan(self.value) or 0 <= self.value < math.inf)):
            raise ValueError(f"Tol.value must be a finite number >= 0 (or NaN); got {self.value!r}")
        if not self.reason.strip():
            raise ValueError("Tol.reason must say why the tolerance is what it is; got an empty string")

    def scaled(self, factor: float, why: str) -> Tol:
        """The same tolerance times ``factor`` (e.g. a relative tolerance times the scale), reason extended."""
        return Tol(self.value * factor, f"{self.reason}; {why}")


EXACT = Tol(0.0, "exact: integers or counts, compared without rounding")


@dataclass(frozen=True)
class Claim:
    """One checked statement, with everything a reviewer needs to re-judge it (see the module docstring)."""

    id: str
    statement: str
    method: str
    quantity: str
    predicted: float
    measured: float
    tolerance: float
    tolerance_reason: str
    relation: Relation = "<="
    expect: Expect = "holds"
    role: Role = "claim"
    figure: str | None = None
    details: str = ""
    # Provenance, filled from the area's source table when a report is built (``sims.engine.provenance``): the
    # formatted citation, keys into references.bib, the exact place, how surely (verbatim / restated / derived) and
    # the basis (where it was read, which secondary source restates it, or where the derivation is).
    source: str = ""
    refs: tuple[str, ...] = ()
    place: str = ""
    source_status: str = ""
    source_basis: str = ""

    @property
    def holds(self) -> bool | None:
        """Whether the statement holds on the measurement (None for observations)."""
        m, p, tol = self.measured, self.predicted, self.tolerance
        if self.relation == "info":
            return None
        if math.isnan(m) or math.isnan(p) or math.isnan(tol):
            return False
        if self.relation == "<=":
            return m <= p + tol
        if self.relation == ">=":
            return m >= p - tol
        return abs(m - p) <= tol

    @property
    def verdict(self) -> Literal["PASS", "FAIL", "INFO"]:
        h = self.holds
        if h is None:
            return "INFO"
        if math.isnan(self.measured) or math.isnan(self.predicted) or math.isnan(self.tolerance):
            return "FAIL"  # a broken measurement (or tolerance) is never a detected violation
        return "PASS" if h == (self.expect == "holds") else "FAIL"

    @property
    def margin(self) -> float:
        """Room before the *statement* flips: positive when it holds (e.g. bound minus measurement)."""
        m, p, tol = self.measured, self.predicted, self.tolerance
        if self.relation == "<=":
            return p + tol - m
        if self.relation == ">=":
            return m - p + tol
        if self.relation == "==":
            return tol - abs(m - p)
        return float("nan")

    @property
    def slack(self) -> float:
        """Room before the *verdict* flips: positive means PASS with that margin (negative controls included)."""
        return self.margin if self.expect == "holds" else -self.margin

    @classmethod
    def observation(cls, **fields: Any) -> Claim:
        """A reported, unjudged measurement (relation ``info``, role ``observation``, no tolerance)."""
        fields.setdefault("predicted", float("nan"))
        return cls(tolerance=0.0, tolerance_reason="observation", relation="info", role="observation", **fields)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.update(verdict=self.verdict, slack=self.slack)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Claim:
        """The claim of a ``to_dict`` row (extra keys such as the verdict or the run stamp are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        for k in ("predicted", "measured", "tolerance"):  # JSON has no NaN literal in strict readers
            kw[k] = float("nan") if kw.get(k) is None else float(kw[k])
        if "refs" in kw:
            kw["refs"] = tuple(kw["refs"])
        return cls(**kw)


def _judged(relation: Relation, tol: Tol, expect: Expect, role: Role, **fields: Any) -> Claim:
    if not isinstance(tol, Tol):
        raise TypeError(f"tol must be a Tol(value, reason); got {type(tol).__name__}")
    return Claim(
        tolerance=float(tol.value), tolerance_reason=tol.reason, relation=relation, expect=expect, role=role, **fields
    )


def bound(*, tol: Tol, relation: Relation = "<=", **fields: Any) -> Claim:
    """A bound that must hold: ``measured <= predicted + tol`` (or ``>=`` with ``relation=">="``)."""
    return _judged(relation, tol, "holds", "claim", **fields)


def equality(*, tol: Tol, **fields: Any) -> Claim:
    """An equality that must hold: ``|measured - predicted| <= tol``."""
    return _judged("==", tol, "holds", "claim", **fields)


def negative_control(*, tol: Tol, relation: Relation = "<=", **fields: Any) -> Claim:
    """A statement known to be false (a wrong bound, a violated assumption): PASSes when the check detects it."""
    return _judged(relation, tol, "violated", "negative_control", **fields)


def refutation(*, tol: Tol, relation: Relation = "<=", **fields: Any) -> Claim:
    """A published statement (read in the primary text) that the numbers contradict; the counter-example is in
    ``details``. PASSes when the violation is detected."""
    return _judged(relation, tol, "violated", "refutation", **fields)


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as announced by ``python -m sims list`` before anything is computed.

    ``id`` may hold ``*`` wildcards (``fnmatch`` rules) standing for the grid values a run fills in.
    """

    id: str
    statement: str

    def matches(self, claim_id: str) -> bool:
        return fnmatch.fnmatchcase(claim_id, self.id)
