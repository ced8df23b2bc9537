"""Markdown tables of the fan-out benchmark's stored figures: ``python -m bench.report``.

Reads ``bench/results/fanout-<engine>.json`` (written by ``bench.fanout``) and prints the per-scenario table
and the user-ids and grouping table that docs/benchmarks.md quotes, so the document is regenerated from the
figures instead of copied by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}


def _load() -> dict[str, dict]:
    found = {}
    for engine in ENGINES:
        path = RESULTS / f"fanout-{engine}.json"
        if path.exists():
            found[engine] = json.loads(path.read_text())
    return found


def _chunks(values: list[int]) -> str:
    return ", ".join(str(v) for v in values)


def scenarios_table(reports: dict[str, dict]) -> list[str]:
    lines = [
        "| engine | recipients | scenario | rows/s | raw rows/s | vs raw | queries/chunk | queries per 1,000 "
        "| peak memory |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, report in reports.items():
        for size, scenarios in report["course"].items():
            for label, f in scenarios.items():
                memory = f.get("peak_memory_kib")
                lines.append(
                    f"| {ENGINES[engine]} | {int(size):,} | {label} | {f['rows_per_second']:,} "
                    f"| {f['raw_rows_per_second']:,} | {f['ratio_vs_raw']:.2f} | {_chunks(f['queries_per_chunk'])} "
                    f"| {f['queries_per_1000']} | {'-' if memory is None else f'{memory:,} KiB'} |"
                )
    return lines


def others_table(reports: dict[str, dict]) -> list[str]:
    lines = [
        "| engine | user ids vs raw | grouping (half merged) vs raw | queries/chunk grouping |",
        "|---|---:|---:|---:|",
    ]
    for engine, report in reports.items():
        users, grouping = report["scenarios"]["user_ids"], report["scenarios"]["grouping"]
        lines.append(
            f"| {ENGINES[engine]} | {users['ratio_vs_raw']:.2f} | {grouping['ratio_vs_raw']:.2f} "
            f"| {_chunks(grouping['queries_per_chunk'])} |"
        )
    return lines


def main() -> int:
    reports = _load()
    if not reports:
        print("no figures under bench/results/: run `make bench` first", file=sys.stderr)
        return 1
    for engine, report in reports.items():
        print(f"<!-- {ENGINES[engine]}: {report['when']}, {report.get('statistic', 'median')} -->")
    print("\n".join(scenarios_table(reports)), "", "\n".join(others_table(reports)), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
