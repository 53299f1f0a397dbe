"""The pipeline at VSPW's size: each stage's peak memory, seconds, frames/s and git bytes.

For each size (frames in all) a VSPW is made from CamVid in the official layout (`vss
make-mini vspw --frames N`, VSPW's ratio of videos to frames and of train/val/test videos, at
`--frame-size`), and this repository's dvc.yaml runs on it in a scratch DVC project, one stage
at a time (`dvc repro -s`, in dvc.yaml's order): fetch, the references, train (a few hundred
iterations), predict, masks (oracle; superpixel up to `--superpixel-up-to` frames), refine,
classify (baseline features; up to `--classify-up-to` frames), score, report. Per stage: the
peak resident memory of its command's process tree (`vss` and its workers; each command is run
through benchmarks/peak_rss.py, which measures it from outside DVC's fork) and of the whole tree
with `dvc` (wait4: DVC's own grows with the files it hashes), wall seconds,
the frames it handles per second, and bytes of git-tracked files it wrote (results/, reports/;
per method: its results JSON and metrics row).
`--counts-only` runs fetch -> score only, with oracle masks (the full VSPW counts: `--sizes
251633 --counts-only --iterations 20`).

    python benchmarks/scale.py --sizes 2000 20000 100000 --camvid data/camvid
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.peak_rss import LOG_ENV  # noqa: E402
from replication.data.mini import VSPW_REAL_FRAMES, VSPW_REAL_VIDEOS  # noqa: E402
from tests.pipeline_project import env, project_copy  # noqa: E402

TRACKED = ("results", "reports")  # what git holds of a run (dvc.lock aside)
BATCH = 8  # training crops per iteration


def videos_for(frames: int) -> tuple[int, int, int]:
    """VSPW's train/val/test videos, scaled to `frames` (at least one each)."""
    scale = frames / VSPW_REAL_FRAMES
    return tuple(max(1, round(v * scale)) for v in VSPW_REAL_VIDEOS)


def params_for(source: Path, frames: int, args) -> dict:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    superpixel = frames <= args.superpixel_up_to and not args.counts_only
    params.update(device="cpu", datasets=["vspw"], extra_seeds=[], external={})
    params["benchmarks"]["vspw"]["source"] = str(source)
    params["baselines"] = {"fastscnn": {"net": {"model": "fastscnn"}, "train": {
        "iterations": args.iterations, "batch": BATCH, "crop": [48, 96], "log-every": 50}}}
    params["masks"] = {"oracle": {"source": "oracle"},
                       **({"superpixel": {"source": "superpixel", "workers": 2}}
                          if superpixel else {})}
    params["refine"] = {"sources": ["oracle"] + (["superpixel"] if superpixel else []),
                        "vote_ablation": [], "ablation_votes": [], "decisive-tau": 0.6}
    params["sweep"]["levels"] = []  # the mask-quality sweep: not a stage of this benchmark
    classify = frames <= args.classify_up_to and not args.counts_only
    params["classify"].update(sources=["oracle"] if classify else [],
                              baseline_features=["fastscnn"], sam2_features=[])
    params["report"].update(qualitative={"dataset": "vspw", "frames": ["00000010"],
                                         "methods": ["fastscnn", "fastscnn+refine-oracle"],
                                         "masks": "oracle"})
    return params


def frames_of(root: Path, splits: list[str]) -> int:
    from replication.data.registry import get_dataset

    dataset = get_dataset("vspw", root)
    return sum(len(v.frames) for s in splits for v in dataset.videos(s))


def git_bytes(project: Path) -> dict[str, int]:
    return {str(p.relative_to(project)): p.stat().st_size for folder in TRACKED
            for p in (project / folder).rglob("*") if p.is_file()}


def timed(cmd: list[str], cwd: Path, log: Path) -> tuple[float, int, int, int]:
    """(seconds, peak RSS MB of the stage commands it ran (each with its workers), of the whole
    process tree (`dvc` too), exit code) of a command."""
    peaks = log.with_name("peaks.jsonl")
    peaks.unlink(missing_ok=True)
    with log.open("a") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**env(), LOG_ENV: str(peaks)}, stdout=out,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    vss = [json.loads(line) for line in peaks.read_text().splitlines()] if peaks.exists() else []
    stage = max((p["peak_rss_mb"] for p in vss), default=0)
    return seconds, stage, round(usage.ru_maxrss / 1024), os.waitstatus_to_exitcode(status)


def handled(stage: str, args, counts: dict[str, int]) -> int:
    """The frames a stage handles (train: crops seen)."""
    kind = stage.split("@")[0]
    if kind == "train":
        return args.iterations * BATCH
    if kind == "fetch":
        return counts["all"]
    if kind in ("masks", "classify"):
        return counts["masks"]
    return counts["eval"]


def measured(dvc_yaml: Path) -> None:
    """Run each stage's command of a (scratch) dvc.yaml through benchmarks/peak_rss.py."""
    pipeline = yaml.safe_load(dvc_yaml.read_text())
    wrap = f'"{sys.executable}" "{REPO / "benchmarks" / "peak_rss.py"}" '
    for stage in pipeline["stages"].values():
        body = stage.get("do", stage)  # a cmd is one command or a list of them
        cmds = body["cmd"] if isinstance(body["cmd"], list) else [body["cmd"]]
        body["cmd"] = [wrap + cmd for cmd in cmds]
    dvc_yaml.write_text(yaml.safe_dump(pipeline, sort_keys=False))


def run_size(frames: int, work: Path, args) -> list[dict]:
    from replication.data.mini import make_vspw_sized

    work.mkdir(parents=True, exist_ok=True)
    made, start = work / "made", time.perf_counter()
    source = made / "VSPW_480p"
    if not (source / "val.txt").is_file():  # made by an earlier run of this size: kept
        source = make_vspw_sized(args.camvid, made, videos_for(frames), frames,
                                 tuple(args.frame_size))
        print(f"made {frames} frames in {time.perf_counter() - start:.0f} s", flush=True)
    shutil.rmtree(work / "project", ignore_errors=True)  # this script's scratch project
    project = project_copy(work / "project")
    measured(project / "dvc.yaml")
    (project / "params.yaml").write_text(yaml.safe_dump(params_for(source, frames, args),
                                                        sort_keys=False))
    counts = {"all": frames_of(source, ["train", "val", "test"]),
              "eval": frames_of(source, ["val"]), "masks": frames_of(source, ["train", "val"])}
    dvc = str(Path(sys.executable).with_name("dvc"))
    stages = subprocess.run([dvc, "stage", "list", "--name-only"], cwd=project, env=env(),
                            capture_output=True, text=True, check=True).stdout.split()
    rows, before = [], git_bytes(project)
    for stage in stages:
        if args.counts_only and stage.split("@")[0] == "report":
            continue
        seconds, rss, tree, rc = timed([dvc, "repro", "-s", stage], project, work / "dvc.log")
        after = git_bytes(project)
        wrote = sum(size for path, size in after.items() if before.get(path) != size)
        before = after
        n = handled(stage, args, counts)
        rows.append({"frames": frames, "stage": stage, "rc": rc, "seconds": round(seconds, 1),
                     "peak_rss_mb": rss, "with_dvc_mb": tree, "frames_per_s": round(n / seconds, 1),
                     "git_bytes": wrote})
        print(json.dumps(rows[-1]), flush=True)
        if rc:
            break
    per_method = {p.stem: p.stat().st_size + (project / "results" / "metrics" / "vspw" /
                                              p.name).stat().st_size
                  for p in (project / "results" / "vspw").glob("[!.]*.json")}
    rows.append({"frames": frames, "stage": "per method (results JSON + metrics row)",
                 "git_bytes_max": max(per_method.values(), default=0),
                 "methods": len(per_method)})
    print(json.dumps(rows[-1]), flush=True)
    return rows


def short(stage: str) -> str:
    """A stage name without its benchmark: refine@vspw-fastscnn-oracle -> refine@fastscnn-oracle."""
    kind, _, item = stage.partition("@")
    item = item.removeprefix("vspw").removeprefix("-")
    return f"{kind}@{item}" if item else kind


def table(rows: list[dict]) -> str:
    """Markdown: a row per stage, a column per size."""
    sizes = sorted({r["frames"] for r in rows})
    got = {(short(r["stage"]), r["frames"]): r for r in rows if "seconds" in r}
    head = " | ".join(f"{n:,} frames: MB (with dvc) / s / frames/s / git B" for n in sizes)
    lines = [f"| stage | {head} |", "|---" * (len(sizes) + 1) + "|"]
    for stage in dict.fromkeys(stage for stage, _ in got):
        cells = [f"{r['peak_rss_mb']} ({r['with_dvc_mb']}) / {r['seconds']} / "
                 f"{r['frames_per_s']} / "
                 f"{r['git_bytes']:,}" + ("" if r["rc"] == 0 else f" (rc {r['rc']})")
                 if (r := got.get((stage, n))) else "-" for n in sizes]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    per = {r["frames"]: r for r in rows if "git_bytes_max" in r}
    lines.append("| git bytes per method (max) | " + " | ".join(
        f"{per[n]['git_bytes_max']:,} ({per[n]['methods']} methods)" if n in per else "-"
        for n in sizes) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 100000])
    p.add_argument("--camvid", type=Path, default=REPO / "data" / "camvid")
    p.add_argument("--frame-size", type=int, nargs=2, default=[60, 108])
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--superpixel-up-to", type=int, default=20000)
    p.add_argument("--classify-up-to", type=int, default=20000,
                   help="classify (it encodes every train frame) up to this size")
    p.add_argument("--counts-only", action="store_true")
    p.add_argument("--work", type=Path, default=Path("/tmp/vss-scale"))
    p.add_argument("--json", type=Path, help="also append the rows to this JSON-lines file")
    p.add_argument("--out", type=Path, help="also write the table (markdown) to this file")
    p.add_argument("--from-json", type=Path, help="only print (and --out) the table of the "
                   "rows of an earlier --json file")
    args = p.parse_args()
    if args.from_json:
        rows = [json.loads(line) for line in args.from_json.read_text().splitlines()]
        return report(rows, args.out)
    rows = []
    for frames in args.sizes:
        got = run_size(frames, args.work / f"{frames}{'-counts' if args.counts_only else ''}",
                       args)
        rows += got
        if args.json:
            with args.json.open("a") as out:
                out.writelines(json.dumps(r) + "\n" for r in got)
    report(rows, args.out)


def report(rows: list[dict], out: Path | None) -> None:
    text = table(rows)
    print(text)
    if out is not None:
        command = " ".join(["python benchmarks/scale.py", *sys.argv[1:]])
        out.write_text(f"<!-- written by `{command}` -->\n{text}\n")


if __name__ == "__main__":
    main()
