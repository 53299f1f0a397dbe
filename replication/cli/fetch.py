"""`vss fetch`: a benchmark into data/<name>, checked, and its data card."""
from __future__ import annotations

import os
from pathlib import Path

from replication.cli import common

HELP = "fetch a benchmark into data/<name>, checked, and write its data card"


def add_arguments(p) -> None:
    p.add_argument("dataset", choices=common.DATASETS)
    p.add_argument("--params", type=Path, help="take --dest, --from and --link from the "
                   "benchmark's entry under `benchmarks:`")
    p.add_argument("--dest", type=Path, help="where the benchmark goes (default data/<name>)")
    p.add_argument("--from", "--mirror", dest="sources", nargs="+", metavar="PATH",
                   help="camvid: a local mirror (default $VSS_CAMVID_MIRROR, else the public "
                        "download); vspw: your VSPW_480p folder or VSPW_480p.zip/.tar; "
                        "cityscapes: leftImg8bit_sequence_trainvaltest.zip and "
                        "gtFine_trainvaltest.zip, or their unpacked folders")
    p.add_argument("--link", action="store_true",
                   help="vspw, cityscapes: hard-link the files of a folder instead of copying")
    p.add_argument("--url", help="camvid: base URL of the public source")
    p.add_argument("--rehash", action="store_true",
                   help="re-check an earlier fetch by content, not only by file sizes")
    p.add_argument("--manifest", type=Path, help="write the data card (JSON) here")
    common.add_not_run(p)


def run(args) -> None:
    from replication.core.atomic import write_output_json
    from replication.data.fetch import MIRROR_ENV
    from replication.data.obtain import obtain

    if args.params:  # the pipeline's first stage: every setting is checked before any work
        from replication.pipeline.check import check

        check(common.params(args))
    bench = common.benchmark(args)
    dest = args.dest or (bench.root if bench else Path("data") / args.dataset)
    sources = args.sources or (list(bench.source) if bench else [])
    if args.dataset == "camvid" and not sources and os.environ.get(MIRROR_ENV):
        sources = [os.environ[MIRROR_ENV]]
    card = obtain(args.dataset, dest, [Path(s) for s in sources],
                  link=args.link or bool(bench and bench.link), url=args.url,
                  rehash=args.rehash)
    if args.manifest:
        write_output_json(args.manifest, card, "vss fetch")
    counts = ", ".join(f"{s} {c['videos']} videos / {c['frames']} frames"
                       for s, c in card["splits"].items())
    print(f"{args.dataset}: {counts}; content sha256 {card['content_sha256'][:16]}... -> {dest}")
