"""File hashes and downloads (checked against the server's length)."""
from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from tqdm import tqdm

from replication.core.errors import InputError

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, target: Path, *, timeout: float = 60.0, progress: bool = False) -> None:
    """Write the file at `url` to `target`, checked against the server's Content-Length; a
    failure raises OSError (URLError) or ValueError (an incomplete download)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        expected = response.headers.get("Content-Length")
        total = int(expected) if expected else None
        with open(target, "wb") as fh, tqdm(total=total, unit="B", unit_scale=True,
                                             desc=Path(url).name, disable=not progress) as bar:
            while chunk := response.read(CHUNK):
                fh.write(chunk)
                bar.update(len(chunk))
            if total is not None and fh.tell() != total:
                raise InputError(f"incomplete download: {fh.tell()} of {total} bytes")
