"""Benchmarks that need registration (VSPW, Cityscapes): taken from the user's copy, checked.

`fetch_local` takes the user's folder or the official archives (zip or tar), assembles the
benchmark in a staging folder beside `dest` (copies, or hard links with `link=True` where the
file system allows), checks the official layout with the reader's own rules (every video of every
split has its frames and masks, masks readable, sizes agree, label values in range), writes a
`MANIFEST.tsv` (path, bytes, sha256 of every file) and only then moves it into place
(replication.core.atomic.staged_dir). The data card (counts, frame sizes, a content hash) is
what the pipeline's stages depend on. A later run without a source re-checks the copy against its
manifest (sizes; `--rehash` for contents) instead of copying again.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from replication.core.atomic import staged_dir
from replication.core.hashing import sha256_file
from replication.data.dataset import Dataset
from replication.data.fetch import FetchError
from replication.data.labels import LabelError, read_label
from replication.data.registry import get_dataset, reader

MANIFEST = "MANIFEST.tsv"
# raw label values a mask of each benchmark may hold (VSPW: 0 = others, 1..124, 255;
# Cityscapes gtFine label ids 0..33; its *_labelTrainIds files: 0..18 and 255)
ALLOWED = {"vspw": set(range(125)) | {255}, "cityscapes": set(range(34)) | {255}}
# what marks the root of each benchmark inside a folder or an unpacked archive
ROOT_MARKERS = {"vspw": ("train.txt", "data"), "cityscapes": ("gtFine",)}


def fetch_local(name: str, sources: list[Path], dest: Path, *, link: bool = False) -> dict:
    """Assemble benchmark `name` in `dest` from `sources` (folders or archives), checked; returns
    the data card. Bad input raises FetchError naming the first bad file and the fix."""
    dest = Path(dest)
    with staged_dir(dest, check=_replaceable) as staging:
        for source in map(Path, sources):
            _place(source, staging, link)
        root = _find_root(name, staging, sources)
        if root != staging:  # e.g. the archive's top folder VSPW_480p/
            for entry in list(root.iterdir()):
                os.replace(entry, staging / entry.name)
            shutil.rmtree(staging / root.relative_to(staging).parts[0])
        dataset = get_dataset(name, staging)
        card = check_layout(dataset)
        manifest = _write_manifest(staging)
        card.update(_content(manifest))
    card["root"] = str(dest)
    return card


def verify_local(name: str, dest: Path, *, rehash: bool = False) -> dict:
    """The data card of a benchmark fetched earlier into `dest`, after checking every file of its
    manifest is there with its size (and, with `rehash`, its sha256)."""
    dest = Path(dest)
    manifest = dest / MANIFEST
    if not manifest.is_file():
        raise FetchError(f"{dest}: holds no {MANIFEST}, so it was not made by `vss fetch "
                         f"{name}`; fetch it with --from <your copy>")
    with manifest.open() as lines:
        for line in tqdm(lines, desc=f"verify {name}", unit="file"):
            _verify_line(dest, name, line.rstrip("\n"), rehash)
    card = check_layout(get_dataset(name, dest), labels=False)
    return {**card, **_content(manifest), "root": str(dest)}


def _verify_line(dest: Path, name: str, line: str, rehash: bool) -> None:
    """One manifest line's file is there with its size (and sha256, with `rehash`)."""
    rel, size, digest = line.split("\t")
    path = dest / rel
    if not path.is_file() or path.stat().st_size != int(size) or (
            rehash and sha256_file(path) != digest):
        raise FetchError(f"{path}: missing or changed since it was fetched; fetch {name} "
                         "again with --from <your copy>")


def check_layout(dataset: Dataset, *, labels: bool = True) -> dict:
    """Check every split of `dataset` (frames and masks present, masks readable, sizes agree,
    raw label values allowed); returns counts and frame sizes. `labels=False` skips decoding
    the masks (a quick re-check)."""
    card = {"dataset": dataset.name, "classes": list(dataset.classes), "splits": {}}
    sizes = Counter()

    def labelled():
        """Each labelled frame with its image's size, split by split (one split in memory)."""
        for split in dataset.splits:
            try:
                videos = dataset.videos(split)
            except FileNotFoundError as exc:
                if split == "test":  # the test split is optional (its labels are not public)
                    continue
                raise FetchError(f"{exc}; the {dataset.name} copy is incomplete") from exc
            card["splits"][split] = {"videos": len(videos),
                                     "frames": sum(len(v.frames) for v in videos),
                                     "labelled": sum(f.label is not None for v in videos
                                                     for f in v.frames)}
            for video in videos:
                for frame in video.frames:
                    with Image.open(frame.image) as im:
                        size = (im.height, im.width)
                    sizes[f"{size[0]}x{size[1]}"] += 1
                    if frame.label is not None and labels:
                        yield frame, size
    allowed = np.array(sorted(ALLOWED.get(dataset.name, range(256))))

    def check(item) -> None:
        frame, size = item
        try:
            raw = read_label(frame.label)
        except (LabelError, FileNotFoundError) as exc:
            raise FetchError(f"{exc}; re-extract this file from the official release") from exc
        if raw.shape != size:
            raise FetchError(f"{frame.label}: mask {raw.shape[0]}x{raw.shape[1]} but frame "
                             f"{frame.image} is {size[0]}x{size[1]}; the copy is damaged or "
                             "mixes releases (VSPW: use VSPW_480p)")
        bad = np.setdiff1d(np.unique(raw), allowed)
        if bad.size:
            raise FetchError(f"{frame.label}: label values {bad[:10].tolist()} are not "
                             f"{dataset.name} ids; these are not the official masks (colour or "
                             "converted masks?)")

    for _ in tqdm(ordered_map(check, labelled(), 8), desc=f"check {dataset.name} frames",
                  unit="frame"):
        pass
    card["frame_sizes"] = dict(sizes.most_common())
    return card


def _replaceable(dest: Path) -> None:
    """Only an earlier fetch (it has a manifest) or an empty folder may be replaced."""
    if dest.is_dir() and any(dest.iterdir()) and not (dest / MANIFEST).is_file():
        raise FetchError(f"{dest}: holds files that no `vss fetch` made; refusing to replace "
                         "it. Fetch into a new or empty folder (--dest), or move them away")
    if dest.exists() and not dest.is_dir():
        raise FetchError(f"{dest}: is a file; --dest must be a folder")


def _place(source: Path, staging: Path, link: bool) -> None:
    if source.is_dir():  # walked twice (a count, then the copy): no list of every file
        total = sum(len(names) for _, _, names in os.walk(source))
        for path in tqdm(_files(source), total=total, desc=f"copy {source.name}",
                         unit="file"):
            target = staging / source.name / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if link:
                try:
                    os.link(path, target)
                    continue
                except OSError:  # another file system: copy
                    pass
            shutil.copyfile(path, target)
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for member in tqdm(archive.infolist(), desc=f"unpack {source.name}", unit="file"):
                if _inside(staging, member.filename):
                    archive.extract(member, staging)
    elif source.is_file() and tarfile.is_tarfile(source):
        with tarfile.open(source) as archive:
            archive.extractall(staging, filter="data")
    elif not source.exists():
        raise FetchError(f"{source}: not found; pass the folder or the official archives of "
                         "the benchmark to --from")
    else:
        raise FetchError(f"{source}: neither a folder nor a zip or tar archive; pass the "
                         "benchmark's folder or its official archives to --from")


def _files(folder: Path):
    """The files under `folder`, folder by folder in sorted order."""
    for top, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            yield Path(top) / name


def _inside(root: Path, name: str) -> bool:
    """Whether an archive member stays inside `root` (no absolute paths, no `..`)."""
    target = (root / name).resolve()
    return target == root.resolve() or root.resolve() in target.parents


def _find_root(name: str, staging: Path, sources: list[Path]) -> Path:
    """The folder inside `staging` that holds the benchmark's layout (at most 3 levels down)."""
    markers = ROOT_MARKERS[name]
    candidates = [staging, *sorted(p for p in staging.glob("*") if p.is_dir()),
                  *sorted(p for p in staging.glob("*/*") if p.is_dir()),
                  *sorted(p for p in staging.glob("*/*/*") if p.is_dir())]
    for folder in candidates:
        if all((folder / m).exists() for m in markers):
            if folder != staging and len(folder.relative_to(staging).parts) > 1:
                raise FetchError(f"{folder.relative_to(staging)}: the {name} root is nested in "
                                 f"{len(folder.relative_to(staging).parts)} folders; pass it "
                                 "to --from directly")
            return folder
    raise FetchError(f"{', '.join(map(str, sources))}: no {name} layout found (a root with "
                     f"{' and '.join(markers)}); {reader(name).how_to_get(Path('DEST'))}")


def _write_manifest(root: Path) -> Path:
    """MANIFEST.tsv of every file under `root`, folder by folder in sorted order, written as it
    is hashed (walked twice, a count then the hashing: no list of every file)."""
    total = sum(len(names) for _, _, names in os.walk(root))

    def line(path: Path) -> str:
        return f"{path.relative_to(root)}\t{path.stat().st_size}\t{sha256_file(path)}\n"

    files = (p for p in _files(root) if p != root / MANIFEST)
    with (root / MANIFEST).open("w") as out:  # in the staging folder: swapped in only whole
        for text in tqdm(ordered_map(line, files, 4), total=total, desc="hash", unit="file"):
            out.write(text)
    return root / MANIFEST


def _content(manifest: Path) -> dict:
    files, size, digest = 0, 0, hashlib.sha256()
    with manifest.open("rb") as lines:
        for line in lines:
            files, size = files + 1, size + int(line.split(b"\t")[1])
            digest.update(line)
    return {"files": files, "bytes": size, "content_sha256": digest.hexdigest()}


def ordered_map(fn, items, threads: int, ahead: int = 256):
    """`map(fn, items)` on `threads` threads, in order, with at most `ahead` items in flight
    (memory: a window, not one future per item)."""
    from collections import deque

    with ThreadPoolExecutor(threads) as pool:
        window = deque()
        for item in items:
            window.append(pool.submit(fn, item))
            if len(window) >= ahead:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
