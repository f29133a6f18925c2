"""Where the main job's time goes: compute per sim, from the saved cells' sidecars (no recomputation).

    python benchmarks/bench_full_run.py            # the full results (results/full), after `python -m sims all`
    python benchmarks/bench_full_run.py --quick    # the quick results
    python benchmarks/bench_full_run.py --run      # run `python -m sims all --jobs 2` first and time it

Prints one row per sim (cells, summed cell compute, its share, the slowest cell) so that a regression shows up as a
number next to the sim that caused it. Cell compute is the sum of the cells' own wall times; with --jobs 2 the wall
time of the run is about half of it plus the figures and the report.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def per_sim(results: Path) -> list[tuple[str, int, float, float, str]]:
    rows = []
    for sim_dir in sorted(p for p in results.iterdir() if p.is_dir()):
        walls = {}
        for side in sim_dir.glob("*.json"):
            try:
                walls[side.stem] = float(json.loads(side.read_text())["wall_time_s"])
            except (OSError, ValueError, KeyError):
                continue
        if walls:
            slowest = max(walls, key=walls.get)
            rows.append((sim_dir.name, len(walls), sum(walls.values()), walls[slowest], slowest))
    return sorted(rows, key=lambda r: -r[2])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None, help="the folder given to `sims all --out` (default: the project root)")
    ap.add_argument("--run", action="store_true", help="run the main job first (from the saved cells that exist)")
    args = ap.parse_args()
    mode = "quick" if args.quick else "full"
    if args.run:
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "sims", "all", "--jobs", "2"] + (["--quick"] if args.quick else [])
        subprocess.run(cmd, cwd=ROOT, check=False)
        print(f"wall time of `{' '.join(cmd[1:])}`: {time.perf_counter() - t0:.0f} s\n")
    results = (Path(args.out) if args.out else ROOT) / "results" / mode
    if not results.is_dir():
        print(f"no results in {results}: run `python -m sims all{' --quick' if args.quick else ''}` first")
        return 1
    rows = per_sim(results)
    total = sum(r[2] for r in rows)
    print("| sim | cells | compute (s) | share | slowest cell (s) |\n|---|---|---|---|---|")
    for name, n, s, worst, key in rows:
        print(f"| {name} | {n} | {s:.1f} | {100 * s / total:.0f}% | {worst:.1f} ({key}) |")
    print(f"| **all** | {sum(r[1] for r in rows)} | {total:.1f} | 100% | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
