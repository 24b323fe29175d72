"""Solvers that misbehave on purpose, loaded by the bench's children as `module:attribute`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from apogee.bench import Evaluate, Solver


@dataclass(frozen=True)
class _Scripted(Solver):
    """Evaluates the centre of the space, then misbehaves after `healthy` evaluations."""

    healthy: int = 2

    @property
    def name(self) -> str:
        return f"tests.bench._solvers:{type(self).__name__}"

    def unsupported_reason(self, problem: Any) -> str | None:
        return None

    def settings(self) -> dict[str, Any]:
        return {"healthy": self.healthy}

    def run(self, problem: Any, budget: int, seed: int, evaluate: Evaluate) -> None:
        centre = problem.space.decode([0.5] * problem.space.dim)
        for _ in range(self.healthy):
            evaluate(centre)
        self.misbehave()

    def misbehave(self) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class CrashingSolver(_Scripted):
    def misbehave(self) -> None:
        raise RuntimeError("the solver broke on purpose")


@dataclass(frozen=True)
class HangingSolver(_Scripted):
    def misbehave(self) -> None:
        time.sleep(600)
