"""`python -m bench [name ...]`: run the benchmarks (all by default) and print a table.

Add a benchmark by appending (name, "module:function") to BENCHMARKS; the function takes
no arguments and returns a bench.BenchResult. The exit status is 1 when a goal is missed.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable

from bench import BenchResult

BENCHMARKS: list[tuple[str, str]] = [
    ("startup", "bench.startup:run"),
    ("invoice-pdf", "bench.pdf:bench_invoice_pdf"),
    ("pricing", "bench.counter:bench_pricing"),
    ("save-invoice", "bench.counter:bench_save_invoice"),
    ("save-with-payments", "bench.counter:bench_save_with_payments"),
    ("lock-fairness", "bench.lock_fairness:bench_lock_fairness"),
    ("type-ahead", "bench.counter:bench_typeahead"),
    ("callback-queue", "bench.callbacks:bench_callback_queue"),
    ("campaign-audience", "bench.campaigns:bench_audience_count"),
    ("campaign-launch", "bench.campaigns:bench_launch_10k"),
    ("history-import", "bench.history_import:bench_history_import"),
    ("import-beside-counter", "bench.history_import:bench_import_beside_counter"),
    ("dashboard", "bench.dashboard:bench_dashboard_refresh"),
    ("panel-stall", "bench.panel_stall:bench_panel_stall"),
    ("sync-push", "bench.sync_push:bench_push_10k"),
    ("sync-one", "bench.sync_push:bench_one_invoice"),
    ("sync-20-branches", "bench.sync_chain:bench_twenty_branches"),
    ("chain-dashboard", "bench.sync_chain:bench_chain_dashboard"),
    ("package-size", "bench.package:bench_size"),
    ("package-start", "bench.package:bench_start"),
]


def _load(target: str) -> Callable[[], BenchResult]:
    module_name, _, function = target.partition(":")
    return getattr(importlib.import_module(module_name), function)  # type: ignore[no-any-return]


def _figure(value: float, unit: str) -> str:
    return "-" if value != value else f"{value:.3f} {unit}"  # NaN: no figure


def main(argv: list[str]) -> int:
    known = dict(BENCHMARKS)
    chosen = argv or list(known)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Known: {', '.join(known)}")
        return 2
    rows: list[tuple[str, BenchResult]] = []
    for name in chosen:
        print(f"running {name} ...", flush=True)
        began = time.perf_counter()
        try:
            result = _load(known[name])()
        except Exception as exc:  # one broken benchmark must not hide the others' results
            result = BenchResult(name, float("nan"), 0.0, "", broken=f"error: {exc}")
        rows.append((name, result))
        print(f"  done in {time.perf_counter() - began:.1f} s", flush=True)

    table = [("Benchmark", "Measured", "Goal", "Result", "Notes")]
    for name, result in rows:
        table.append(
            (
                f"{name}: {result.name}",
                _figure(result.measured, result.unit),
                f"< {result.goal:g} {result.unit}".rstrip(),
                "ok" if result.met else "MISSED",
                "; ".join(part for part in (result.broken.upper(), result.detail) if part),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    print()
    for index, row in enumerate(table):
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        print("  ".join([*cells, row[4]]).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in [*widths, len(row[4])]))
    return 0 if all(result.met for _, result in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
