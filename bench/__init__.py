"""Benchmarks with stated goals; `python -m bench` runs them all (see bench/__main__.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BenchResult:
    """One benchmark's outcome: the measured figure against its goal (lower is better).

    `broken` names a condition that fails the benchmark whatever the figure (for example a
    heavy module imported at start-up).
    """

    name: str
    measured: float
    goal: float
    unit: str = "s"
    detail: str = ""
    broken: str = ""

    @property
    def met(self) -> bool:
        return not self.broken and self.measured <= self.goal
