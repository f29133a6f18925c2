"""Results on disk: one ``.npz`` plus one JSON sidecar per cell, written atomically.

The sidecar is the commit marker: it is written (by rename) only after the npz is in place, and it holds
the npz's SHA-256. A cell counts as finished only when its sidecar parses, matches the requested config,
cell, seed and code fingerprint, and the npz hashes to the recorded digest and loads. Anything else is
treated as missing and recomputed, never loaded.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

import theory
from sims.engine.core import Arrays

SCHEMA = 1
_UMASK = os.umask(0)
os.umask(_UMASK)  # read once: there is no way to read the umask without setting it
PROJECT_ROOT = Path(__file__).resolve().parents[2]  # sims/engine/store.py -> the project root


@dataclass(frozen=True)
class CellRecord:
    """The identity of a computed cell: everything that must match for a saved result to be reused."""

    sim: str
    mode: str
    cell: dict[str, Any]
    cell_key: str
    config: dict[str, Any]
    seed: int
    spawn_key: tuple[int, ...]
    code_fingerprint: str

    def identity(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "sim": self.sim,
            "mode": self.mode,
            "cell": self.cell,
            "config": self.config,
            "seed": self.seed,
            "spawn_key": list(self.spawn_key),
            "code_fingerprint": self.code_fingerprint,
        }


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; results and figures are for everyone to read
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def paths_for(results_dir: Path, sim: str, key: str) -> tuple[Path, Path]:
    base = results_dir / sim
    return base / f"{key}.npz", base / f"{key}.json"


def save_cell(results_dir: Path, record: CellRecord, arrays: Arrays, wall_time_s: float) -> Path:
    """Save one cell's arrays and sidecar atomically; returns the sidecar path."""
    bad = {k: type(v).__name__ for k, v in arrays.items() if not isinstance(v, np.ndarray)}
    if bad:
        raise TypeError(f"sim {record.sim!r} returned non-array values: {bad}")
    obj = [k for k, v in arrays.items() if v.dtype == object]
    if obj:
        raise TypeError(f"sim {record.sim!r} returned object arrays (not portable): {obj}")
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    payload = buf.getvalue()
    npz_path, json_path = paths_for(results_dir, record.sim, record.cell_key)
    atomic_write_bytes(npz_path, payload)
    sidecar = record.identity() | {
        "cell_key": record.cell_key,
        "package_version": theory.__version__,
        "git_commit": git_commit(),
        "wall_time_s": wall_time_s,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "npz_sha256": hashlib.sha256(payload).hexdigest(),
        "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in arrays.items()},
    }
    atomic_write_bytes(json_path, (json.dumps(sidecar, indent=1, sort_keys=True) + "\n").encode())
    return json_path


def load_cell(results_dir: Path, record: CellRecord) -> Arrays | None:
    """The saved arrays of a finished cell, or None when missing, stale, corrupt or partial."""
    npz_path, json_path = paths_for(results_dir, record.sim, record.cell_key)
    try:
        sidecar = json.loads(json_path.read_text())
        if any(sidecar.get(k) != v for k, v in record.identity().items()):
            return None
        payload = npz_path.read_bytes()
        if hashlib.sha256(payload).hexdigest() != sidecar["npz_sha256"]:
            return None
        with np.load(io.BytesIO(payload), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        if set(arrays) != set(sidecar["arrays"]):
            return None
        return arrays
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        # json.JSONDecodeError and zipfile.BadZipFile are ValueError/OSError subclasses
        return None


@cache
def git_commit() -> str | None:
    """The project's HEAD commit (with ``-dirty`` when the tree has changes), or None."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "HEAD")
        # generated output (figures/) does not make the code dirty
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)figures")
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


# Modules whose output is recomputed from the saved arrays every time a report is built (claim verdicts, figure
# style): they can change what the report says, never what a cell holds, so they do not invalidate cached cells.
# They are part of ``row_fingerprint``, which stamps report rows.
PRESENTATION = ("sims/engine/claims.py", "sims/engine/plotting.py")
# Engine modules that shape every cell (cell keys, the seed scheme, the config serialisation, how arrays are saved):
# always part of a cell's fingerprint, whatever the sim imports.
ENGINE_CORE = ("sims/engine/core.py", "sims/engine/store.py")
PROJECT_PACKAGES = ("theory", "sims")


def _module_path(name: str, root: Path) -> Path | None:
    """The source file of project module ``name`` (``theory.x`` or ``sims.a.b``), found on disk, never imported."""
    parts = name.split(".")
    if parts[0] not in PROJECT_PACKAGES:
        return None
    base = root.joinpath(*parts)
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _statements(nodes: list[ast.stmt]):
    """Every statement, nested ones included (imports can sit inside functions), without visiting expressions."""
    for node in nodes:
        yield node
        for attr in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, attr, None)
            if isinstance(children, list):
                yield from _statements(children)


@cache
def _imported_modules(path: Path, root: Path, mtime_ns: int) -> frozenset[Path]:
    """Project modules that the file at ``path`` imports by name (``import X``, ``from X import Y``: X, and X.Y
    when Y is a submodule). Relative imports are resolved against the file's package. Cached per file version."""
    rel = path.relative_to(root).with_suffix("") if path.is_relative_to(root) else Path(path.stem)
    package = list(rel.parts[:-1])  # for a/b.py and a/b/__init__.py alike, the package is what holds the file
    found: set[Path] = set()
    for node in _statements(ast.parse(path.read_text(), filename=str(path)).body):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                head = package[: len(package) - node.level + 1]
                mod = ".".join([*head, node.module] if node.module else head)
            else:
                mod = node.module or ""
            names = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for n in names:
            p = _module_path(n, root)
            if p is not None:
                found.add(p)
    return frozenset(found)


def fingerprint_files(module_name: str, root: Path | None = None) -> list[str]:
    """The project files a sim module's cells depend on, as paths relative to the project root, sorted.

    The sim module itself; every project module (under ``theory/`` and ``sims/``) it imports, directly or
    transitively, followed through the import statements of each file; and ``ENGINE_CORE``. A package's
    ``__init__`` counts when it is imported by name (``from theory import x`` reads ``theory/__init__.py``), not
    when a submodule is (``sims/__init__.py`` registers every area, and following it would tie every sim to every
    other). ``PRESENTATION`` modules are not followed: they never shape a cell.
    """
    root = (root or PROJECT_ROOT).resolve()
    start = _module_path(module_name, root)
    if start is None:  # a sim defined elsewhere (a test's toy sim, a user's script): its own file, as loaded
        src = getattr(sys.modules.get(module_name), "__file__", None)
        if src is None:
            raise ValueError(f"module_name must name a project module or a loaded one; got {module_name!r}")
        start = Path(src).resolve()
    skip = {root / p for p in PRESENTATION}
    seen: set[Path] = set()
    stack = [start, *(root / p for p in ENGINE_CORE)]
    while stack:
        p = stack.pop()
        if p in seen or p in skip:
            continue
        seen.add(p)
        stack.extend(_imported_modules(p, root, p.stat().st_mtime_ns) - seen)
    return sorted(_rel(p, root) for p in seen)


def _rel(p: Path, root: Path) -> str:
    return p.relative_to(root).as_posix() if p.is_relative_to(root) else p.as_posix()


@cache
def _code_of(path: Path, mtime_ns: int) -> bytes:
    """What of a Python file can change a result: its syntax tree without docstrings (``ast.dump``, which has no
    comments, layout or line numbers). Documenting a function, or reformatting it, leaves its cells current;
    any change to what runs does not. Cached per file version."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False).encode()


def _hash_files(files: list[str], root: Path) -> str:
    h = hashlib.sha256()
    for rel in files:
        path = root / rel  # an absolute ``rel`` (a file outside the project) stays absolute
        h.update(rel.encode() + b"\0")
        h.update(_code_of(path, path.stat().st_mtime_ns))
        h.update(b"\0")
    return h.hexdigest()[:16]


@cache
def code_fingerprint(module_name: str) -> str:
    """SHA-256 (16 hex digits) over the relative paths and code (syntax trees without docstrings) of
    ``fingerprint_files(module_name)``.

    A cell whose sidecar holds another fingerprint was computed by code that has since changed: it is recomputed,
    never loaded. Editing an unrelated area leaves it valid.
    """
    return _hash_files(fingerprint_files(module_name), PROJECT_ROOT)


@cache
def row_fingerprint(module_name: str) -> str:
    """The fingerprint that stamps a sim's report rows: its cells' code plus the ``PRESENTATION`` modules (a kept
    row is current only while the code that computed *and* judged it is unchanged)."""
    files = sorted({*fingerprint_files(module_name), *PRESENTATION})
    return _hash_files(files, PROJECT_ROOT)


# ---------------------------------------------------------------------------------------------------------
# Per-cell locks and stale temporary files
# ---------------------------------------------------------------------------------------------------------


class CellLock:
    """An exclusive lock on one cell (``fcntl.flock`` on ``.<key>.lock`` beside its files).

    The kernel releases it when the holder exits, SIGKILL included, so a lock is never stale. Two runs on one
    results folder therefore never compute the same cell: the second waits for the first and loads its result.
    Where ``fcntl`` is missing (not POSIX) locking is a no-op.
    """

    def __init__(self, results_dir: Path, sim: str, key: str) -> None:
        self.path = results_dir / sim / f".{key}.lock"
        self.fd: int | None = None

    def acquire(self, blocking: bool = False) -> bool:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


def remove_stale_temporaries(results_dir: Path, sim: str, key: str) -> int:
    """Delete the ``.tmp`` files a killed writer left for one cell; call only while holding its ``CellLock``
    (no one else can be writing them then). Returns how many were removed."""
    n = 0
    for pattern in (f".{key}.npz.*.tmp", f".{key}.json.*.tmp"):
        for p in (results_dir / sim).glob(pattern):
            p.unlink(missing_ok=True)
            n += 1
    return n
