"""``python -m sims``: list, run, all, report.

Exit status: 0 when every claim passes, 1 when a claim fails or a cell raises, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sims.engine.core import get, registry
from sims.engine.report import write_report
from sims.engine.runner import CellError, Layout, SimOutcome, default_layout, report_only, run_sim


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _non_negative_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {s!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {v}")
    return v


def _positive_int(s: str) -> int:
    v = _non_negative_int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {v}")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m sims", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="every registered sim and the claims it checks")

    def common(q: argparse.ArgumentParser, compute: bool) -> None:
        q.add_argument("--quick", action="store_true", help="small configs (seconds), for tests")
        q.add_argument("--seed", type=_non_negative_int, default=0, help="root seed (default 0)")
        q.add_argument(
            "--out",
            type=Path,
            default=None,
            help="folder for results/ and figures/ (default: the project root)",
        )
        if compute:
            q.add_argument("--jobs", type=_positive_int, default=1, help="local worker processes")
            q.add_argument("--force", action="store_true", help="recompute finished cells")
            q.add_argument(
                "--dask",
                metavar="ADDRESS",
                default=None,
                help="run cells on this Dask distributed scheduler instead",
            )

    run = sub.add_parser("run", help="run the named sims")
    run.add_argument("names", nargs="+", metavar="NAME")
    common(run, compute=True)
    common(sub.add_parser("all", help="run every registered sim"), compute=True)
    common(sub.add_parser("report", help="rebuild figures and report from saved results"), False)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sims = registry()
    if args.command == "list":
        for name, sim in sorted(sims.items()):
            print(f"{name:28s} [{sim.area}] {sim.description}")
            for c in sim.claims:
                print(f"    {c.id}: {c.statement}")
        return 0

    layout = default_layout(args.quick, args.out)
    if args.command == "report":
        t0 = time.perf_counter()
        return _finish(report_only(layout, args.seed), layout, args.seed, t0)

    names = sorted(sims) if args.command == "all" else list(dict.fromkeys(args.names))
    unknown = [n for n in names if n not in sims]
    if unknown:
        print(
            f"python -m sims: error: unknown sim {', '.join(map(repr, unknown))}; "
            f"choose from: {', '.join(sorted(sims))}",
            file=sys.stderr,
        )
        return 2
    t0 = time.perf_counter()
    outcomes: list[SimOutcome] = []
    for name in names:
        try:
            outcomes.append(
                run_sim(
                    get(name),
                    layout,
                    seed=args.seed,
                    jobs=args.jobs,
                    dask=args.dask,
                    force=args.force,
                )
            )
        except CellError as e:
            print(
                f"python -m sims: {e}\n(finished cells are saved; re-run to resume)",
                file=sys.stderr,
            )
            return 1
        except OSError as e:  # e.g. a Dask address that does not answer
            print(f"python -m sims: error: {e}", file=sys.stderr)
            return 1
    # the report covers every sim with saved results, not only those run now
    others = [n for n in sorted(sims) if n not in names]
    outcomes += report_only(layout, args.seed, others) if others else []
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
    print(f"results: {layout.results_dir}")
    print(f"report:  {report}")
    print(f"time:    {time.perf_counter() - t0:.1f} s")
    return 1 if failed else 0
