"""The axes of the mask-quality sweep and their levels (`<axis>-<level>`, e.g. `boundary-4`):
what replication.masks.degraded does at each is described there. No heavy imports: params
checks and the report read these."""
from __future__ import annotations

import math

from replication.core.errors import SettingsError

# axis -> (level 0: the source itself, whether larger levels are worse)
AXES = {"boundary": (0, True), "over": (1, True), "under": (0, True), "miss": (0, True),
        "fragment": (None, False)}  # fragment: level 0 is no cut (L at least the window)


def parse_level(text: str) -> tuple[str, float]:
    """`boundary-4` -> ("boundary", 4.0), checked."""
    axis, _, value = str(text).rpartition("-")
    try:
        level = float(value)
    except ValueError:
        level = None
    if level is not None and not math.isfinite(level):
        level = None
    if axis not in AXES or level is None:
        raise SettingsError(f"sweep level {text!r}: not <axis>-<number> with axis one of "
                            f"{', '.join(AXES)} (e.g. boundary-4, under-0.5)")
    integer = axis in ("boundary", "over", "fragment")
    if integer and level != int(level) or level < (1 if axis in ("over", "fragment") else 0) \
            or axis in ("under", "miss") and level > 1:
        raise SettingsError(f"sweep level {text!r}: {axis} takes "
                            + ("a whole number of pixels >= 0" if axis == "boundary" else
                               "a whole number >= 1" if integer else "a share in [0, 1]"))
    return axis, level
