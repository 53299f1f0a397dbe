"""The dataset readers by name, and opening a benchmark's folder (or saying why it cannot be)."""
from __future__ import annotations

import json
from pathlib import Path

from replication.core.atomic import NOT_RUN_FILE
from replication.core.errors import InputError, Unavailable
from replication.data.camvid import CamVid
from replication.data.cityscapes import Cityscapes
from replication.data.dataset import Dataset
from replication.data.vspw import VSPW

READERS: dict[str, type[Dataset]] = {cls.name: cls for cls in (CamVid, VSPW, Cityscapes)}


class BenchmarkMissing(Unavailable):
    """A benchmark that is not on this machine: its rows are reported as not run."""


def reader(name: str) -> type[Dataset]:
    if name not in READERS:
        raise InputError(f"unknown dataset {name!r}; known: {sorted(READERS)}")
    return READERS[name]


def get_dataset(name: str, root: Path) -> Dataset:
    """The reader registered under `name`, opened on `root`; a folder that is absent, or holds
    the "not run" record of a fetch that had no source, raises BenchmarkMissing."""
    cls, root = reader(name), Path(root)
    if (root / NOT_RUN_FILE).is_file():
        record = json.loads((root / NOT_RUN_FILE).read_text())
        raise BenchmarkMissing(record["reason"], record["fix"])
    if not root.is_dir():
        raise BenchmarkMissing(f"{root}: {name} is not on this machine", cls.how_to_get(root))
    return cls(root)
