"""Results on disk: one ``.npz`` plus one JSON sidecar per cell, written atomically.

The sidecar is the commit marker: it is written (by rename) only after the npz is in place, and it holds
the npz's SHA-256. A cell counts as finished only when its sidecar parses, matches the requested config,
cell, seed and code fingerprint, and the npz hashes to the recorded digest and loads. Anything else is
treated as missing and recomputed, never loaded.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

import theory
from sims.engine.core import Arrays

SCHEMA = 1
PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


@cache
def code_fingerprint(module_name: str) -> str:
    """SHA-256 over the sources a sim's results depend on: its own module, the ``theory`` modules it references,
    and the shared private helpers (``theory/_*.py``).

    A result computed by other code is stale: it is recomputed rather than reported as current. Adding or
    editing an unrelated area leaves it valid.
    """
    h = hashlib.sha256()
    for p in fingerprint_files(module_name):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def fingerprint_files(module_name: str) -> list[Path]:
    """The source files ``code_fingerprint`` hashes for a sim module, sorted."""
    import sys

    module = sys.modules[module_name]
    files = {Path(module.__file__).resolve()}
    for value in vars(module).values():
        owner = value.__name__ if isinstance(value, type(sys)) else getattr(value, "__module__", None)
        if isinstance(owner, str) and (owner == "theory" or owner.startswith("theory.")):
            src = getattr(sys.modules.get(owner), "__file__", None)
            if src:
                files.add(Path(src).resolve())
    theory_dir = Path(theory.__file__).resolve().parent
    files |= {p.resolve() for p in theory_dir.glob("_*.py")}
    return sorted(files)
