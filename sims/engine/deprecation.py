"""Names and modules that moved keep working, with a ``DeprecationWarning`` that says where they went.

Notebooks and reviewers' scripts written against an earlier layout (``sims.bandits._common``,
``sims.hconsistency.ldr_calibration``, ``StochasticConfig``, ``BANDIT_STOCHASTIC``, ...) still run: each room
declares what moved out of it (``alias_names``, ``alias_modules`` in its ``__init__``), and the old name resolves to
the new object on first use. Nothing here knows an area: the rooms hand in their own tables.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

Target = str | Callable[[], Any]  # "package.module:attr", a name in the same module, or a factory


def _resolve(module_name: str, target: Target) -> tuple[Any, str]:
    if callable(target):
        return target(), getattr(target, "__qualname__", "a replacement")
    mod, _, attr = target.partition(":") if ":" in target else (module_name, "", target)
    obj = importlib.import_module(mod)
    return (getattr(obj, attr), f"{mod}.{attr}") if attr else (obj, mod)


def alias_names(module_name: str, moved: dict[str, Target]) -> None:
    """Give the (imported) module ``module_name`` old attribute names: ``moved[old]`` is the new name in the same
    module, ``"package.module:attr"`` elsewhere, or a zero-argument callable that builds the replacement.

    Installs a module ``__getattr__`` (PEP 562), chained to one the module already has; an old name warns each time
    it is used and is never cached, so the warning is seen.
    """
    module = sys.modules[module_name]
    previous = module.__dict__.get("__getattr__")

    def __getattr__(name: str) -> Any:
        if name in moved:
            obj, where = _resolve(module_name, moved[name])
            warnings.warn(f"{module_name}.{name} is deprecated: use {where}", DeprecationWarning, stacklevel=2)
            return obj
        if previous is not None:
            return previous(name)
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__  # type: ignore[method-assign]


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of a moved module's old name return the module at its new name (the same object)."""

    def __init__(self) -> None:
        self.moved: dict[str, str] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if fullname in self.moved else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = self.moved[spec.name]
        warnings.warn(f"module {spec.name} is deprecated: use {new}", DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:  # the module at its new name is already executed
        pass


_FINDER = _MovedModules()


def alias_modules(moved: dict[str, str]) -> None:
    """Old module names (``moved``: old -> new dotted name) import the module at its new name, with a warning."""
    _FINDER.moved.update(moved)
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)
