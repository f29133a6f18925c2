"""REPORT.html in a real browser: headless Chromium (Debian's ``chromium`` package) driven by Playwright.

For the report of the session's quick run of every sim and for the committed ``figures/REPORT.html``: every image has
loaded (naturalWidth > 0), every internal link has a target, the verdict and role filter hides and shows rows, the
maths is rendered (MathML), a claim's details open, and the console has no errors. A screenshot of the quick report
is kept under ``results/screenshots/`` (untracked). Skipped, saying why, where Playwright or Chromium is missing:
``.ci/run`` installs both.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sims.engine.store import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _chromium() -> str:
    exe = os.environ.get("THEORY_SIMS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("no Chromium executable (apt-get install chromium, or set THEORY_SIMS_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[test]')")
    return exe


def _check_page(path: Path, screenshot: Path | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.resolve().as_uri())
            page.wait_for_load_state("load")
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.title || e.alt, e.naturalWidth])")
            dangling = page.eval_on_selector_all(
                "a[href^='#']",
                "els => els.map(e => e.getAttribute('href').slice(1)).filter(h => !h || !document.getElementById(h))",
            )
            rows = page.eval_on_selector_all("tr.claim", "els => els.length")

            def visible(verdict: str | None = None) -> int:
                sel = "tr.claim" + (f"[data-verdict='{verdict}']" if verdict else "")
                return page.eval_on_selector_all(sel, "els => els.filter(e => !e.hidden).length")

            counts = {
                "all": visible(),
                "pass": visible("PASS"),
                "shown_text": page.inner_text("#shown"),
            }
            page.uncheck("#filter input[data-verdict='PASS']")
            counts["pass_hidden"] = visible("PASS")
            counts["after_hiding_pass"] = visible()
            counts["shown_text_after"] = page.inner_text("#shown")
            page.check("#filter input[data-verdict='PASS']")
            counts["restored"] = visible()
            roles = page.eval_on_selector_all("#filter input[data-role]", "els => els.map(e => e.dataset.role)")
            if "negative_control" in roles:
                page.uncheck("#filter input[data-role='negative_control']")
                counts["controls_hidden"] = page.eval_on_selector_all(
                    "tr.claim[data-role='negative_control']", "els => els.filter(e => !e.hidden).length"
                )
                page.check("#filter input[data-role='negative_control']")
            first = page.locator("tr.claim details").first
            first.locator("summary").click()
            counts["details_open"] = first.evaluate("e => e.open")
            counts["math"] = page.eval_on_selector_all("math", "els => els.length")
        finally:
            browser.close()
    return {"images": images, "dangling": dangling, "rows": rows, "errors": errors, **counts}


def _assert_sound(r: dict, n_rows: int) -> None:
    assert r["images"], "no images on the page"
    assert not [i for i in r["images"] if i[1] == 0], [i for i in r["images"] if i[1] == 0]
    assert r["dangling"] == []
    assert r["errors"] == []
    assert r["rows"] == n_rows == r["all"] == r["restored"]
    assert r["shown_text"] == f"{n_rows} of {n_rows} claims shown"
    assert r["pass"] > 0 and r["pass_hidden"] == 0
    assert r["after_hiding_pass"] == n_rows - r["pass"]
    assert r["shown_text_after"] == f"{n_rows - r['pass']} of {n_rows} claims shown"
    assert r.get("controls_hidden", 0) == 0
    assert r["details_open"] is True
    assert r["math"] > 0  # the summary's LaTeX, rendered as MathML


def test_quick_report_in_a_browser(quick_all, quick_results_dir):
    _, rows = quick_all
    page = quick_results_dir / "figures" / "quick" / "REPORT.html"
    shot = PROJECT_ROOT / "results" / "screenshots" / "REPORT-quick.png"
    r = _check_page(page, screenshot=shot)
    _assert_sound(r, len(rows))
    assert shot.stat().st_size > 10_000


def test_committed_report_in_a_browser():
    page = PROJECT_ROOT / "figures" / "REPORT.html"
    rows = json.loads((PROJECT_ROOT / "figures" / "claims.json").read_text())
    r = _check_page(page, screenshot=PROJECT_ROOT / "results" / "screenshots" / "REPORT.png")
    _assert_sound(r, len(rows))
    # every committed figure is on the page (embedded, so the page needs no other file)
    pngs = sorted(p.relative_to(page.parent).as_posix() for p in page.parent.glob("*/*.png"))
    titles = {t for t, _ in r["images"]}
    assert [p for p in pngs if p not in titles] == []
