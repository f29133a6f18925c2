"""``python -m sims``: list, run, all, report, notebooks.

Exit status: 0 when every claim passes, 1 when a claim fails, a cell raises or ``report`` finds nothing saved,
2 for bad usage (checked before anything is computed), 130 on Ctrl-C (finished cells are kept).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sims.engine.core import get, registry
from sims.engine.notebook import execute_notebooks
from sims.engine.publish import write_report
from sims.engine.report_model import collect_entries
from sims.engine.runner import (
    DASK_CONNECT_TIMEOUT_S,
    CellError,
    Layout,
    SimOutcome,
    default_layout,
    pin_fingerprints,
    report_only,
    run_many,
)

PROG = "python -m sims"
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")


class UsageError(Exception):
    """Bad usage found after parsing (an unusable --out, a --dask that does not answer): exit 2, one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int_at_least(minimum: int):
    def parse(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {s!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {v}")
        return v

    parse.__name__ = f"integer >= {minimum}"
    return parse


def _dask_address(s: str) -> str:
    """``scheme://host:port`` or ``host:port``, with a scheme Dask knows and a port in 1..65535."""
    m = re.fullmatch(r"(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})", s)
    if not m or (m["scheme"] and m["scheme"] not in DASK_SCHEMES) or not 0 < int(m["port"]) < 65536:
        raise argparse.ArgumentTypeError(
            f"expected a scheduler address such as tcp://127.0.0.1:8786 (schemes: {', '.join(DASK_SCHEMES)}), got {s!r}"
        )
    return s


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="every registered sim and the claims it checks")

    def common(q: argparse.ArgumentParser, compute: bool) -> None:
        q.add_argument("--quick", action="store_true", help="small configs (seconds), for tests")
        q.add_argument("--seed", type=_int_at_least(0), default=0, help="root seed (default 0)")
        q.add_argument(
            "--out",
            type=Path,
            default=None,
            help="folder for results/ and figures/ (default: the project root)",
        )
        if compute:
            q.add_argument("--jobs", type=_int_at_least(1), default=1, help="local worker processes (>= 1)")
            q.add_argument("--force", action="store_true", help="recompute finished cells")
            q.add_argument(
                "--dask",
                metavar="ADDRESS",
                type=_dask_address,
                default=None,
                help="run cells on this Dask distributed scheduler instead",
            )

    run = sub.add_parser("run", help="run the named sims")
    run.add_argument("names", nargs="+", metavar="NAME")
    common(run, compute=True)
    common(sub.add_parser("all", help="run every registered sim"), compute=True)
    common(sub.add_parser("report", help="rebuild figures and report from saved results"), False)
    nb = sub.add_parser(
        "notebooks",
        help="execute the notebooks on the saved results and save them with their outputs (after `all`)",
    )
    nb.add_argument("names", nargs="*", metavar="NOTEBOOK", help="notebook names (default: every notebook)")
    nb.add_argument("--timeout", type=_int_at_least(1), default=600, help="seconds per cell (default 600)")
    common(nb, False)
    return p


def _check_out(layout: Layout, write: bool) -> None:
    """--out must be (or become) a writable folder; checked before any compute."""
    if layout.out.exists() and not layout.out.is_dir():
        raise UsageError(f"--out: {layout.out} exists and is not a folder")
    for d in [layout.results_dir, layout.figures_dir] if write else []:
        try:
            d.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=d, prefix=".write-test-"):
                pass
        except OSError as e:
            raise UsageError(f"--out: cannot write to {d} ({e.strerror or e})") from None


def _check_dask(address: str) -> None:
    """Connect once, within ``DASK_CONNECT_TIMEOUT_S``, so an unreachable scheduler fails before any compute."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--dask needs the optional extra: pip install -e '.[dask]'") from None
    try:
        Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False).close()
    except (OSError, TimeoutError, ValueError) as e:
        raise UsageError(
            f"--dask: no scheduler answered at {address} within {DASK_CONNECT_TIMEOUT_S} s ({type(e).__name__})"
        ) from None


def progress_line(i: int, n: int, outcome: SimOutcome, seconds: float) -> None:
    """One line per sim on stderr, also when it is not a terminal (CI logs, pipes)."""
    print(
        f"[{i}/{n}] {outcome.name}: {len(outcome.computed)} computed, {len(outcome.skipped)} reused, "
        f"{len(outcome.claims)} claims, {seconds:.1f} s of compute",
        file=sys.stderr,
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _main(args)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; finished cells are saved, re-run to resume", file=sys.stderr)
        return 130


def _main(args: argparse.Namespace) -> int:
    sims = registry()
    # Fingerprint every sim's code now, while the files on disk are the ones this process imported: a file edited
    # during a long run must not lend its new fingerprint to cells computed by the old code (they would look current).
    pin_fingerprints(sims.values())
    if args.command == "list":
        for name, sim in sorted(sims.items()):
            print(f"{name:28s} [{sim.area}] {sim.description}")
            for c in sim.claims:
                print(f"    {c.id}: {c.statement}")
        return 0

    layout = default_layout(args.quick, args.out)
    t0 = time.perf_counter()
    if args.command == "notebooks":
        _check_out(layout, write=False)
        return execute_notebooks(args.names, layout, args.seed, args.timeout)
    if args.command == "report":
        _check_out(layout, write=False)
        outcomes = report_only(layout, args.seed)
        if not any(o.complete for o in outcomes):
            print(
                f"{PROG}: error: no complete saved results in {layout.results_dir}; nothing was written. "
                f"Run `{PROG} all{' --quick' if args.quick else ''}` (or `{PROG} run NAME`) first.",
                file=sys.stderr,
            )
            return 1
        return _finish(outcomes, layout, args.seed, t0)

    names = sorted(sims) if args.command == "all" else list(dict.fromkeys(args.names))
    unknown = [n for n in names if n not in sims]
    if unknown:
        raise UsageError(f"unknown sim {', '.join(map(repr, unknown))}; choose from: {', '.join(sorted(sims))}")
    _check_out(layout, write=True)
    if args.dask:
        _check_dask(args.dask)
    # one pool for all the sims' cells, longest first; a line per sim as it completes
    done = iter(range(1, len(names) + 1))
    try:
        outcomes = run_many(
            [get(n) for n in names],
            layout,
            seed=args.seed,
            jobs=args.jobs,
            dask=args.dask,
            force=args.force,
            on_done=lambda o: progress_line(next(done), len(names), o, o.compute_s),
        )
    except CellError as e:
        print(f"{PROG}: {e}\n(finished cells are saved; re-run to resume)", file=sys.stderr)
        return 1
    except OSError as e:  # e.g. a Dask scheduler that went away mid-run
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    # every other sim keeps its rows of the previous report; only a sim missing from it is rebuilt (if saved)
    entries = {e.name: e for e in collect_entries([], layout.figures_dir, layout.quick, args.seed)}
    fresh = [n for n in sorted(sims) if n not in names and entries[n].status == "not run"]
    outcomes += [o for o in report_only(layout, args.seed, fresh) if o.complete] if fresh else []
    return _finish(outcomes, layout, args.seed, t0)


def _finish(outcomes: list[SimOutcome], layout: Layout, seed: int, t0: float) -> int:
    report = write_report(outcomes, layout.figures_dir, layout.quick, seed)
    claims = [c for o in outcomes for c in o.claims]
    failed = [c for c in claims if c.verdict == "FAIL"]
    print(
        f"cells: {sum(len(o.computed) for o in outcomes)} computed, "
        f"{sum(len(o.skipped) for o in outcomes)} reused, "
        f"{sum(len(o.missing) for o in outcomes)} missing"
    )
    print(
        f"claims: {sum(c.verdict == 'PASS' for c in claims)} passed, {len(failed)} failed, "
        f"{sum(c.verdict == 'INFO' for c in claims)} observations"
    )
    for c in failed:
        print(
            f"  FAIL {c.id}: measured {c.measured:.6g} {c.relation} predicted {c.predicted:.6g} (tol {c.tolerance:.3g})"
        )
    costly = sorted((o for o in outcomes if o.compute_s), key=lambda o: -o.compute_s)[:5]
    total = sum(o.compute_s for o in outcomes)
    if costly and total > 0:
        print(
            "most compute: "
            + ", ".join(f"{o.name} {o.compute_s:.0f} s ({100 * o.compute_s / total:.0f}%)" for o in costly)
        )
    print(f"results: {layout.results_dir}")
    print(f"report:  {report}")
    print(f"time:    {time.perf_counter() - t0:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
