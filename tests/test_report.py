"""Claim verdicts and slack: the arithmetic every row of the report relies on."""

from __future__ import annotations

import math

import pytest

from sims.engine.claims import Claim
from sims.engine.core import cell_key


def _claim(**kw):
    base = dict(
        id="c",
        statement="s",
        source="src",
        method="m",
        quantity="q",
        predicted=1.0,
        measured=0.5,
        tolerance=0.1,
        tolerance_reason="r",
    )
    return Claim(**(base | kw))


@pytest.mark.parametrize(
    ("relation", "measured", "verdict", "slack"),
    [
        ("<=", 0.5, "PASS", 0.6),
        ("<=", 1.05, "PASS", 0.05),
        ("<=", 1.2, "FAIL", -0.1),
        (">=", 0.95, "PASS", 0.05),
        (">=", 0.8, "FAIL", -0.1),
        ("==", 1.05, "PASS", 0.05),
        ("==", 0.85, "FAIL", -0.05),
    ],
)
def test_verdict_and_slack(relation, measured, verdict, slack):
    c = _claim(relation=relation, measured=measured)
    assert c.verdict == verdict
    assert c.slack == pytest.approx(slack)


def test_negative_control_passes_only_when_violation_detected():
    assert _claim(measured=2.0, expect="violated").verdict == "PASS"
    assert _claim(measured=0.5, expect="violated").verdict == "FAIL"


def test_nan_tolerance_never_passes():
    assert _claim(tolerance=math.nan).verdict == "FAIL"
    assert _claim(tolerance=math.nan, expect="violated", measured=2.0).verdict == "FAIL"


def test_slack_is_room_before_the_verdict_flips():
    # a negative control detected by 1.0 - 0.1 has positive slack, like a claim that holds with room
    assert _claim(measured=2.0, expect="violated").slack == pytest.approx(0.9)
    assert _claim(measured=0.5, expect="violated").slack == pytest.approx(-0.6)
    assert _claim(measured=2.0, expect="violated").margin == pytest.approx(-0.9)


def test_constructors_carry_one_reasoned_tolerance():
    from sims.engine.claims import Tol, bound, equality, negative_control

    t = Tol(0.1, "why")
    kw = dict(id="c", statement="s", source="src", method="m", quantity="q", predicted=1.0, measured=0.5)
    assert bound(tol=t, **kw).relation == "<=" and bound(tol=t, **kw).tolerance_reason == "why"
    assert equality(tol=t, **kw).relation == "=="
    nc = negative_control(tol=t, **kw)
    assert (nc.expect, nc.role, nc.verdict) == ("violated", "negative_control", "FAIL")
    with pytest.raises(ValueError, match=r"Tol\.value must be a finite number >= 0"):
        Tol(-1.0, "x")
    with pytest.raises(ValueError, match=r"Tol\.reason must say why"):
        Tol(1.0, " ")
    with pytest.raises(TypeError, match="tol must be a Tol"):
        bound(tol=0.1, **kw)


def test_claim_round_trips_through_its_dict():
    from sims.engine.claims import Claim

    c = _claim(measured=math.nan, details="d")
    back = Claim.from_dict(c.to_dict() | {"status": "current"})
    assert back.id == c.id and math.isnan(back.measured) and back.details == "d"


def test_nan_measurement_never_passes():
    assert _claim(measured=math.nan).verdict == "FAIL"
    assert _claim(measured=math.nan, expect="violated").verdict == "FAIL"
    assert _claim(relation="info").verdict == "INFO"


def test_cell_key_is_stable_and_safe():
    assert cell_key({"n": 3, "loss": "squared_hinge"}) == "loss=squared_hinge,n=3"
    assert cell_key({"tau": 0.5}) == "tau=0.5"
    assert "/" not in cell_key({"p": "a/b"})


def test_committed_report_opens_with_the_summary_and_reaches_every_figure():
    """REPORT.md: summary first (per area: counts, findings filled from the rows, one figure), then the contents;
    no finding refers to a claim the report lacks; every committed figure is embedded; each sim's figures once."""
    import re

    from sims.engine.areas import areas
    from sims.engine.store import PROJECT_ROOT

    figures = PROJECT_ROOT / "figures"
    md = (figures / "REPORT.md").read_text()
    assert md.index("## Summary") < md.index("## Contents: every sim")
    assert "(not computed:" not in md
    summary = md[md.index("## Summary") : md.index("## Contents: every sim")]
    for a in areas().values():
        assert f"**{a.title}.**" in summary and f"]({a.figure})" in summary
    embedded = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    pngs = sorted(p.relative_to(figures).as_posix() for p in figures.glob("*/*.png"))
    assert sorted(set(embedded)) == pngs
    body = md[md.index("## Contents: every sim") :]
    body_embeds = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", body)
    assert len(body_embeds) == len(set(body_embeds))  # once per sim section (the summary may repeat one)


def test_findings_fill_from_claims_and_flag_missing_ones():
    from sims.engine.areas import fill, placeholders

    c = _claim(id="a.b", measured=0.123456, predicted=2.0)
    text = r"$\mathcal{T}_\tau$ is {a.b}, bound {a.b:predicted}, slack {a.b:slack}; {x.y} is missing; "
    text += r"$\sqrt{\sigma^2_{1:T}}$"
    out = fill(text, {"a.b": c})
    assert "is 0.123, bound 2, slack 1.98" in out  # slack = 2 + 0.1 - 0.123
    assert "(not computed: x.y)" in out
    assert r"$\mathcal{T}_\tau$" in out and r"\sqrt{\sigma^2_{1:T}}" in out  # LaTeX groups are not placeholders
    assert placeholders(text) == ["a.b", "a.b", "a.b", "x.y"]
