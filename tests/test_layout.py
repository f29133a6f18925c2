"""The layout, enforced on the import graph (read from the source with ``ast``, nothing imported):

- no private name crosses a module boundary in ``theory/`` and ``sims/``: a name with a leading underscore is
  imported only from the module that defines it, except from the private infrastructure modules (``_checks``,
  ``_solvers``, ``_probability``, the kernels and each package's ``_base``), whose names are public within the
  package;
- the engine (``sims/engine``) is a straight line: it imports no area, its modules import each other without a
  cycle, and imports inside functions are only of the optional dependencies that need them;
- every public theory module defines ``__all__`` and is at most 1,000 lines; no function in ``sims/`` is over 80
  lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sims.engine.store import PROJECT_ROOT

PACKAGES = ("theory", "sims")
# Optional or heavy dependencies an engine function may import where it needs them (importing them at module level
# would make them required, or slow every CLI call).
LAZY_OK = ("dask", "distributed", "matplotlib", "playwright", "nbformat", "nbclient", "IPython", "ipywidgets", "tqdm")
LAZY_OK += ("fcntl",)  # POSIX only: the file lock is taken where the platform has it
MAX_THEORY_LINES = 1000
MAX_SIM_FUNCTION_LINES = 80


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = {name: path for p in PACKAGES for name, path in _modules(p).items()}
TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def _is_private_module(module: str) -> bool:
    return module.rsplit(".", 1)[-1].startswith("_") and not module.endswith("__init__")


def _imports(tree: ast.Module, module: str, is_package: bool):
    """(absolute module, imported names or None for ``import x``, node, inside a function)."""
    func_nodes = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_package else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            yield base, [a.name for a in node.names], node, id(node) in func_nodes
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, None, node, id(node) in func_nodes


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def test_no_private_name_crosses_a_module_boundary():
    crossings = []
    for name, tree in TREES.items():
        for base, names, node, _ in _imports(tree, name, _is_package(name)):
            if not base.startswith(PACKAGES) or names is None:
                continue
            for n in names:
                target = f"{base}.{n}"
                if target in MODULES:  # a submodule, e.g. ``from theory.bandits import _kernels``
                    if _is_private_module(target) and not target.startswith(base):
                        crossings.append(f"{name}:{node.lineno} imports the private module {target}")
                    continue
                if n.startswith("_") and not n.startswith("__") and not _is_private_module(base):
                    crossings.append(f"{name}:{node.lineno} imports the private name {n} from {base}")
    assert not crossings, "\n".join(crossings)


def test_the_engine_imports_no_area_and_has_no_cycle():
    engine = {n for n in MODULES if n.startswith("sims.engine")}
    edges: dict[str, set[str]] = {n: set() for n in engine}
    bad = []
    for name in engine:
        for base, names, node, _ in _imports(TREES[name], name, _is_package(name)):
            if base.startswith("sims.") and not base.startswith("sims.engine"):
                bad.append(f"{name}:{node.lineno} imports the area module {base}")
            targets = [base] + [f"{base}.{n}" for n in names or ()]
            edges[name] |= {t for t in targets if t in engine and t != name and t != "sims.engine"}
        if "import_module" in MODULES[name].read_text() and name not in (
            "sims.engine.areas",
            "sims.engine.deprecation",
        ):
            bad.append(f"{name} imports by string (only the area registry and the deprecation aliases do)")
    assert not bad, "\n".join(bad)
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for m in sorted(edges[n]):
            if state.get(m) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, n, m]))
            if m not in state:
                visit(m, [*path, n])
        state[n] = 2

    for n in sorted(engine):
        if n not in state:
            visit(n, [])


def test_function_level_imports_are_only_of_optional_dependencies():
    lazy = []
    for name in (n for n in MODULES if n.startswith("sims.engine")):
        for base, _, node, inside in _imports(TREES[name], name, _is_package(name)):
            if inside and not base.startswith(LAZY_OK):
                lazy.append(f"{name}:{node.lineno} imports {base} inside a function")
    assert not lazy, "\n".join(lazy)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("theory.") and not _is_private_module(n)))
def test_public_theory_module_defines_all_and_stays_short(name):
    tree = TREES[name]
    names = {
        t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)
    }
    assert "__all__" in names, f"{name} defines no __all__"
    n_lines = len(MODULES[name].read_text().splitlines())
    assert n_lines <= MAX_THEORY_LINES, f"{name} has {n_lines} lines (at most {MAX_THEORY_LINES})"


def test_all_names_exist_and_cover_the_public_functions():
    """``__all__`` lists what the module defines or re-exports, and every public function or class it defines."""
    import importlib

    problems = []
    for name in (n for n in MODULES if n.startswith("theory.") and not _is_private_module(n)):
        mod = importlib.import_module(name)
        problems += [f"{name}.{n} is in __all__ but undefined" for n in mod.__all__ if not hasattr(mod, n)]
        own = [
            n
            for n, obj in vars(mod).items()
            if not n.startswith("_") and callable(obj) and getattr(obj, "__module__", None) == name
        ]
        problems += [f"{name}.{n} is public but not in __all__" for n in own if n not in mod.__all__]
    assert not problems, "\n".join(problems)


def test_no_function_in_sims_is_over_80_lines():
    long = [
        f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for name, tree in TREES.items()
        if name.startswith("sims")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_SIM_FUNCTION_LINES
    ]
    assert not long, "\n".join(long)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sims.bandits.bandit_stochastic:StochasticConfig", "sims.bandits.bandit_stochastic:BanditStochasticConfig"),
        ("sims.online.sea_optimistic_omd:SEA_OMD", "sims.online.sea_optimistic_omd:SIM"),
        (
            "sims.hconsistency.hconsistency_bound:BoundConfig",
            "sims.hconsistency.hconsistency_bound:HconsistencyBoundConfig",
        ),
        ("sims.multiplicity._common:load_dataset", "sims.multiplicity.common:load_dataset"),
        ("sims.hconsistency.ldr_calibration:CalibrationConfig", "sims.ldr.ldr_calibration:LDRCalibrationConfig"),
        ("sims.engine.report:write_report", "sims.engine.publish:write_report"),
    ],
)
def test_moved_names_keep_working_with_a_deprecation_warning(old, new):
    """Notebooks and scripts written against the earlier layout still run; the warning names the new place."""
    import importlib

    (old_mod, old_name), (new_mod, new_name) = old.split(":"), new.split(":")
    with pytest.warns(DeprecationWarning, match=new_mod.replace(".", r"\.")):
        obj = getattr(importlib.import_module(old_mod), old_name)
    assert obj is getattr(importlib.import_module(new_mod), new_name)
    with pytest.raises(AttributeError):
        _ = importlib.import_module(new_mod).no_such_name


def test_the_markdown_and_html_reports_share_a_model_and_import_neither_each_other_nor_the_runner():
    for a, b in (("report", "report_html"), ("report_html", "report")):
        name = f"sims.engine.{a}"
        targets = {base for base, *_ in _imports(TREES[name], name, False)}
        names = {f"{base}.{n}" for base, ns, *_ in _imports(TREES[name], name, False) for n in ns or ()}
        assert f"sims.engine.{b}" not in targets | names, f"{name} imports sims.engine.{b}"
        assert "sims.engine.runner" not in targets, f"{name} imports the runner"
        assert "sims.engine.report_model" in targets, f"{name} does not build on the report model"
