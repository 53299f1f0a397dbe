"""SAM2 only where it can finish: on a machine without a GPU, a SAM2 stage first measures a
short window, estimates the whole job, and above the limit (`sam2_cpu:` in params; default 30
minutes) stops as "not run" with that estimate and the fix, so the rest of the pipeline
completes instead of running SAM2 on the CPU for hours."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from replication.core.errors import Unavailable
from replication.core.settings import Settings, setting


@dataclass
class CPUBudget(Settings):
    """`sam2_cpu:` in params: how long a SAM2 stage may run on a machine without a GPU."""

    limit_minutes: float = setting(30.0, "a SAM2 stage without a GPU whose estimate is longer "
                                   "is recorded as not run", min=0, flag="sam2-cpu-limit")
    run_anyway: bool = setting(False, "run SAM2 on the CPU whatever its estimate",
                               flag="sam2-cpu-run-anyway")


def from_params(params: dict, **overrides) -> CPUBudget:
    """`sam2_cpu:` of params, with `overrides` (None: not given)."""
    from replication.core.settings import from_flags

    return from_flags(CPUBudget, params.get("sam2_cpu") or {}, "sam2_cpu", **overrides)


class TooSlow(Unavailable):
    """A SAM2 stage that would run for longer than its CPU budget allows."""


def check(budget: CPUBudget, device: str, estimate: Callable[[], tuple[float, str]],
          what: str) -> float | None:
    """Raise TooSlow when the job runs on the CPU and `estimate()` (seconds, how it was
    measured) exceeds the budget; returns the estimate (None: a GPU, or `run_anyway`)."""
    from replication.core.device import pick_device

    if budget.run_anyway or pick_device(device).type != "cpu":
        return None
    seconds, how = estimate()
    if seconds > 60 * budget.limit_minutes:
        raise TooSlow(
            f"{what} on the CPU would take about {_duration(seconds)} ({how}), more than the "
            f"{budget.limit_minutes:g}-minute limit (`sam2_cpu.limit-minutes`)",
            "run it on a GPU (`device: auto` takes one when present; see the README's GPU "
            "profile), or opt in on this machine with `sam2_cpu.run-anyway: true` in "
            "params.yaml (or a higher `sam2_cpu.limit-minutes`)")
    return seconds


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} hours" if seconds >= 3600 else f"{seconds / 60:.0f} minutes"
