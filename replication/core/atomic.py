"""Write files and folders so that readers never see a half-written one, a kill at any point
leaves nothing a re-run cannot clean, and nothing a user made is replaced.

The output policy of every command that writes:
- An output that is, contains or lies inside one of the command's inputs is refused
  (`check_not_input`), naming both.
- A file is written to a temporary name beside it and renamed into place (`atomic_path`); the
  temporaries of killed processes of this host are removed by the next write of that file. A
  file it replaces must be one this suite made: a JSON output carries `made_by` (the command),
  a CSV its header, a metrics JSON holds numbers only.
- An output folder is assembled in a hidden staging sibling (`.<name>.partial-<host>-<pid>`)
  and swapped in whole (`staged_dir`); the folder it replaces must be one this suite made (it
  holds a `record.json` or `NOT_RUN.json`) or be empty, so a mistyped `--out` never wipes a
  user's files. Staging left by a killed process is removed by the next run on the same host.

For tests, `KILL_ENV=<n>` makes the process kill itself (SIGKILL) right after its n-th file
operation (a rename, a folder swap step), so a harness can interrupt a stage at every point.
"""
from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
import signal
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from replication.core.errors import OutputError

RECORD_FILE = "record.json"     # what made an output folder (see replication.core.records)
NOT_RUN_FILE = "NOT_RUN.json"   # a folder of work that could not run (replication.core.not_run)
MADE_BY = "made_by"             # the key of a JSON output that names the command that wrote it
KILL_ENV = "VSS_TEST_KILL_AT"
_OURS = (RECORD_FILE, NOT_RUN_FILE)
_operations = 0


def file_operation() -> None:
    """Count one file operation (the fault hook of KILL_ENV)."""
    global _operations
    _operations += 1
    if os.environ.get(KILL_ENV) == str(_operations):
        os.kill(os.getpid(), signal.SIGKILL)


def check_not_input(outputs: Iterable[Path | None], inputs: Iterable[Path | None]) -> None:
    """Refuse an output path that is, contains, or lies inside an input path."""
    for out in (Path(o) for o in outputs if o is not None):
        for given in (Path(i) for i in inputs if i is not None):
            a, b = out.resolve(), given.resolve()
            if a == b or b in a.parents or a in b.parents:
                relation = ("is" if a == b else "lies inside" if b in a.parents else "contains")
                raise OutputError(f"output {out} {relation} input {given}; writing it would "
                                  "destroy the input: choose another output path")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it is renamed onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    # a fresh name, created by the writer with the usual permissions (mkstemp's are 0600)
    tmp = path.with_name(f".{path.name}.{_owner()}-{secrets.token_hex(4)}.tmp")
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    file_operation()


def _remove_stale_temporaries(path: Path) -> None:
    """Temporaries of `path` left by dead processes of this host (a kill -9)."""
    host = socket.gethostname()
    for tmp in path.parent.glob(f".{path.name}.{host}-*.tmp*"):
        pid = tmp.name[len(f".{path.name}.{host}-"):].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> Path:
    """Atomically write `text`; returns `path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_csv(path: Path, rows: list[dict], fieldnames: list[str]) -> None:
    """Atomically write `rows` as CSV (the csv module's dialect: header, CRLF line ends); an
    existing file is replaced only when it has the same header (one this suite wrote)."""
    path = Path(path)
    if path.exists():
        first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        if path.is_dir() or first != ",".join(fieldnames):
            raise OutputError(f"{path}: exists and is not a curve this suite wrote (its header "
                              f"is not {','.join(fieldnames)}); choose another path")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=fieldnames)
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, text.getvalue())


def write_json(path: Path, data: object) -> None:
    """Atomically write `data` as indented JSON (NaN stays NaN, as Python's json writes it),
    inside an output this suite owns (a staging folder, a folder with its record)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(data) + "\n")


def json_text(data: object, level: int = 0) -> str:
    """`data` as JSON indented by 2 per level, a list of numbers and strings on one line."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(data, dict) and data:
        items = (f"{inner}{json.dumps(str(k))}: {json_text(v, level + 1)}"
                 for k, v in data.items())
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(data, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in data):
        items = (f"{inner}{json_text(v, level + 1)}" for v in data)
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(data, allow_nan=True)


def write_output_json(path: Path, data: dict, made_by: str) -> None:
    """Write a command's JSON output file, marked `made_by`; an existing file is replaced only
    when a command of this suite made it."""
    check_json_ours(path)
    write_json(path, {MADE_BY: made_by, **data})


def check_json_ours(path: Path, *, metrics: bool = False) -> None:
    """Raise OutputError unless `path` is absent or a JSON file this suite wrote (`made_by`;
    with `metrics`, a `dvc metrics` file: numbers, or objects of numbers, only)."""
    path = Path(path)
    if not path.exists():
        return
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file path for this JSON output")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, ValueError):
        data = None
    ours = isinstance(data, dict) and (MADE_BY in data or (metrics and _numbers(data)))
    if not ours:
        raise OutputError(f"{path}: exists and is not an output of this suite; refusing to "
                          "replace it. Choose another path, or move the file away")


def _numbers(data) -> bool:
    if isinstance(data, dict):
        return all(_numbers(v) for v in data.values())
    return isinstance(data, (int, float)) and not isinstance(data, bool)


def check_ours(folder: Path) -> None:
    """Raise OutputError unless `folder` is absent, empty, or an output of this suite."""
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not an output folder; choose another --out")
    entries = sorted(p.name for p in folder.iterdir())
    if entries and not any(name in entries for name in _OURS):
        raise OutputError(
            f"{folder}: holds files this suite did not make (e.g. {entries[0]}); refusing to "
            "replace it. Choose another --out, or move those files away first")


@contextmanager
def staged_dir(dest: Path, check: Callable[[Path], None] = check_ours,
               inputs: Iterable[Path | None] = ()) -> Iterator[Path]:
    """Yield an empty staging folder beside `dest`; on success it replaces `dest` whole (which
    `check` must allow first, and which must not overlap `inputs`), on failure or interruption
    it is removed."""
    dest = Path(dest)
    check_not_input([dest], inputs)
    check(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(dest)
    staging = dest.with_name(f".{dest.name}.partial-{_owner()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        _replace_dir(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def remove_stale_staging(dest: Path) -> list[Path]:
    """Remove the staging and swap folders of `dest` left by dead processes of this host."""
    removed = []
    host = socket.gethostname()
    for kind in ("partial", "old"):
        for path in Path(dest).parent.glob(f".{Path(dest).name}.{kind}-{host}-*"):
            pid = path.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _owner() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _replace_dir(new: Path, dest: Path) -> None:
    """Swap `new` into `dest`; the old folder is removed only after the swap. A kill between
    the two renames leaves the old folder as `.<name>.old-...` and no `dest`: the next run's
    staging removes it and makes `dest` again."""
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{_owner()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
        file_operation()
        os.replace(new, dest)
        file_operation()
        shutil.rmtree(old)
    else:
        os.replace(new, dest)
        file_operation()
