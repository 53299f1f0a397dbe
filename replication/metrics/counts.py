"""The resampling units of results, in a compact binary file beside the results JSON.

Per frame, the per-class counts of mIoU and mBIoU (numerators and denominators), stored sparse
in the classes present (CSR: classes with a denominator, frame by frame); per window, the mVC
scores; each unit with the index of its video. This is what the bootstrap resamples
(replication.report.bootstrap); the results JSON keeps the summaries (overall, per class, per
video), so git holds kilobytes at any benchmark size while these files are DVC outputs
(`counts/<dataset>/<method>.npz`). Plain arrays only (`allow_pickle=False`).
"""
from __future__ import annotations

import io
from array import array
from pathlib import Path

import numpy as np

from replication.core.atomic import atomic_path
from replication.core.errors import InputError


class FrameCounts:
    """Per-frame per-class counts (num, den) of n classes, sparse: only classes with den > 0;
    kept in flat typed arrays (a few bytes per class present, no object per frame)."""

    def __init__(self, num_classes: int):
        self.n = num_classes
        self._classes, self._num, self._den = array("H"), array("q"), array("q")
        self._indptr = array("q", [0])

    def add(self, num: np.ndarray, den: np.ndarray) -> None:
        present = np.flatnonzero(den)
        self._classes.frombytes(present.astype(np.uint16).tobytes())
        self._num.frombytes(num[present].astype(np.int64).tobytes())
        self._den.frombytes(den[present].astype(np.int64).tobytes())
        self._indptr.append(len(self._classes))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"indptr": np.frombuffer(self._indptr, np.int64).copy(),
                "classes": np.frombuffer(self._classes, np.uint16).copy(),
                "num": np.frombuffer(self._num, np.int64).copy(),
                "den": np.frombuffer(self._den, np.int64).copy(),
                "num_classes": np.array(self.n)}


def sparse(unit: dict, key: str):
    """(frames, classes) scipy CSR matrix of a sparse frame unit's `num` or `den` (float)."""
    from scipy.sparse import csr_matrix

    indptr = np.asarray(unit["indptr"])
    return csr_matrix((np.asarray(unit[key], np.float64), np.asarray(unit["classes"], np.int64),
                       indptr), shape=(len(indptr) - 1, int(unit["num_classes"])))


def unit_count(unit: dict) -> int:
    """How many units (frames or windows) a unit record holds."""
    return len(unit["indptr"]) - 1 if "indptr" in unit else len(unit["scores"])


def save(path: Path, splits: dict[str, dict]) -> Path:
    """Write the units of each split ({split: units}, as the evaluator returns them)."""
    arrays = {}
    for split, units in splits.items():
        arrays[f"{split}|videos"] = np.array(units["videos"], dtype=str)
        arrays[f"{split}|frames|stems"] = np.array(units["frames"]["stems"], dtype=str)
        arrays[f"{split}|frames|video"] = np.asarray(units["frames"]["video"], np.int64)
        for metric, unit in units["metrics"].items():
            for key, value in unit.items():
                arrays[f"{split}|{metric}|{key}"] = np.asarray(value)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return Path(path)


def load(path: Path) -> dict[str, dict]:
    """{split: units} of a counts file; a missing or damaged file is named."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable counts file ({exc}); run the score stage "
                         "again (`dvc repro score@<dataset>`)") from exc
    splits: dict[str, dict] = {}
    for key, value in arrays.items():
        split, *rest = key.split("|")
        units = splits.setdefault(split, {"frames": {}, "metrics": {}})
        if rest == ["videos"]:
            units["videos"] = value.tolist()
        elif rest[0] == "frames":
            units["frames"][rest[1]] = value.tolist()
        else:
            units["metrics"].setdefault(rest[0], {})[rest[1]] = value
    return splits


def split_off(result: dict) -> tuple[dict, dict[str, dict]]:
    """A results dict without its units (for its JSON), and {split: units} (for `save`)."""
    bare, units = {}, {}
    for key, value in result.items():
        if isinstance(value, dict) and "units" in value:
            bare[key] = {k: v for k, v in value.items() if k != "units"}
            units[key] = value["units"]
        else:
            bare[key] = value
    return bare, units


def attach(result: dict, units: dict[str, dict]) -> dict:
    """A results dict (from its JSON) with the units of its counts file put back."""
    for split, unit in units.items():
        if isinstance(result.get(split), dict):
            result[split]["units"] = unit
    return result
