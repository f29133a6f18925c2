"""The API reference builds from the docstrings (pdoc, the command in the README) with no warning, and every public
function of ``theory`` has a docstring. The docstrings' Examples run as doctests (``--doctest-modules`` over
``theory/`` in the pytest configuration)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import theory
from sims.engine.store import PROJECT_ROOT

PDOC = [
    "-m",
    "pdoc",
    "theory",
    "!theory\\._.*",  # the private modules (checks, solvers, kernels, shared helpers): a regular expression
    "--docformat",
    "numpy",
    "--math",
]


def test_readme_gives_the_api_reference_command():
    assert (
        "python -m pdoc " + " ".join(f"'{a}'" if a.startswith("!") else a for a in PDOC[2:])
        in (PROJECT_ROOT / "README.md").read_text()
    )


@pytest.mark.slow
def test_api_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("pdoc")
    r = subprocess.run(
        [sys.executable, "-W", "always", *PDOC, "-o", str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr
    # one page per area: a package's page holds its modules' names (re-exported through its ``__all__``)
    pages = sorted(p.stem for p in (tmp_path / "theory").glob("*.html"))
    public = sorted(m.name for m in pkgutil.iter_modules(theory.__path__) if not m.name.startswith("_"))
    assert pages == public
    bandits = (tmp_path / "theory" / "bandits.html").read_text()
    assert all(f'id="{name}"' in bandits for name in ("simulate", "kl_ucb", "streaming_rate", "BanditResult"))


def _public(kind=inspect.isfunction):
    """(module name, name, object) of every public callable defined in a public module of ``theory``, the modules
    of its packages (``theory.bandits.stochastic``, ...) included."""
    for m in pkgutil.walk_packages(theory.__path__, "theory."):
        if any(part.startswith("_") for part in m.name.split(".")):
            continue
        mod = importlib.import_module(m.name)
        for name, obj in vars(mod).items():
            if not name.startswith("_") and getattr(obj, "__module__", None) == mod.__name__ and kind(obj):
                yield m.name.removeprefix("theory."), name, obj


def test_every_public_theory_callable_has_a_docstring():
    callables = _public(lambda o: inspect.isfunction(o) or inspect.isclass(o))
    assert [f"{m}.{n}" for m, n, obj in callables if not inspect.getdoc(obj)] == []


def test_every_public_theory_function_documents_parameters_returns_and_examples():
    """numpy-style sections (Parameters when it takes arguments, Returns, Examples that run as doctests)."""
    missing = []
    for m, name, obj in _public():
        doc = inspect.getdoc(obj) or ""
        need = ["Returns", "Examples"] + (["Parameters"] if inspect.signature(obj).parameters else [])
        missing += [f"{m}.{name}: {s}" for s in need if f"\n{s}\n{'-' * len(s)}" not in doc]
    assert missing == []


def test_readme_quickstart_prints_what_it_says():
    """Each Python snippet of the README's Quickstart, run in one namespace, prints the output block below it."""
    import contextlib
    import io
    import re

    readme = (PROJECT_ROOT / "README.md").read_text()
    quick = readme[readme.index("## Quickstart") : readme.index("## Glossary")]
    pairs = re.findall(r"```python\n(.*?)```\n```\n(.*?)```", quick, re.S)
    assert len(pairs) == 3
    ns: dict = {}
    for code, expected in pairs:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, "README.md", "exec"), ns)
        assert buf.getvalue().split() == expected.split()
