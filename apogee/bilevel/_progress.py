"""A progress bar for `learn_hyperparameters` (rich, imported only when shown)."""

from __future__ import annotations

from typing import Any


class Progress:
    """A rich progress bar showing the validation loss, or nothing when disabled."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("learning hyperparameters"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}  validation loss {task.fields[loss]}"),
                TimeElapsedColumn(),
            )
            self.bar.__enter__()
            self.task = self.bar.add_task("learn", total=self.total, loss="-")
        return self

    def update(self, iteration: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=iteration, loss=f"{loss:.4g}")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
