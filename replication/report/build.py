"""`vss report`: every table and figure of the report from `results/` (and, for the qualitative
panels only, a few frames, prediction folders and masklets), for every benchmark that ran: one
column group per benchmark in each table, figures per benchmark, and the README's headline
table (`headline.md`, which `vss readme` copies between the README's markers)."""
from __future__ import annotations

from pathlib import Path

from replication.core.atomic import atomic_path, check_ours, staged_dir, write_text
from replication.core.errors import InputError, SettingsError
from replication.core.records import write_record
from replication.pipeline.specs import recipe
from replication.report import figures, sweep
from replication.report.bootstrap import RESAMPLES
from replication.report.collect import Results, load_results
from replication.report.tables import (
    RESAMPLE,
    VIDEOS_TO_RESAMPLE,
    Scorer,
    Table,
    ablation_table,
    mask_source_table,
    merge,
    metric_cells,
    per_class_markdown,
    refiner_table,
    seed_table,
    standalone_table,
)

TABLES = [(refiner_table, 2), (standalone_table, 3), (mask_source_table, 2),
          (ablation_table, 5), (seed_table, 1)]  # and how many lead columns each has
README_START, README_END = "<!-- headline table: start -->", "<!-- headline table: end -->"


def caption_splits(results: Results, scorer: Scorer) -> str:
    """Which split scores each metric and what its interval resamples, from the metrics' specs
    and the scorer's resampling unit of each split."""
    specs = results.specs
    region = [n for n, s in specs.items() if s.role == "region"]
    temporal = [n for n, s in specs.items() if s.role == "temporal"]
    text = f"{_join(region)} on {results.region}, " + (
        f"{_join(temporal)} on {results.temporal}" if results.temporal and temporal else
        "no temporal metric (no consecutive labelled frames)")
    by_unit: dict[str, list[str]] = {}
    for name, spec in specs.items():
        if spec.estimator is not None:
            split = scorer.splits[name]
            unit = (f"the {results.videos(split)} videos of {split}"
                    if scorer.by.get(split) == "video" else f"{spec.unit}s")
            by_unit.setdefault(unit, []).append(name)
    text += ("; in percent, with 95% bootstrap intervals over " +
             " or ".join(f"{unit} ({', '.join(names)})" for unit, names in by_unit.items()))
    if any(by != "video" for by in scorer.by.values()):
        text += (" (frames of a video are correlated, so intervals over frames understate the "
                 f"spread: they resample videos only from {VIDEOS_TO_RESAMPLE} videos on)")
    without = [n for n, s in specs.items() if s.estimator is None]
    if without:
        text += f"; no interval for {_join(without)} (pooled over all frame pairs)"
    if "TC" in specs:
        text += "; TC uses the flow named in the results (DIS by default, not the toolkit's RAFT)"
        tc = next((m.result[results.temporal] for m in results.methods.values()
                   if m.ran and (m.result.get(results.temporal) or {}).get("tc")), None)
        if tc and tc["tc"].get("videos", tc["videos"]) < tc["videos"]:
            text += (f" over the first {tc['tc']['videos']} of its {tc['videos']} videos (as the "
                     "VSPW toolkit scores TC)")
    return text + "."


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def build_report(results_dir: Path, out_dir: Path, params: dict, *,
                 resamples: int | None = None, seed: int = 0,
                 predictions: Path = Path("predictions"), masks: Path = Path("masks"),
                 counts: Path | None = Path("counts")) -> list[Path]:
    """Write tables (md, tex, csv), the per-class appendix, figures, the headline table and an
    index into `out_dir` for the benchmarks of `params["datasets"]`: assembled in a staging
    folder and swapped in whole (replication.core.atomic), so an interrupted report leaves the
    previous one as it was. Returns the files written."""
    out_dir = Path(out_dir)
    resamples = resamples or RESAMPLES
    resample = (params.get("report") or {}).get("resample", "auto")
    if resample not in RESAMPLE:
        raise SettingsError(f"report.resample: {resample!r} is not allowed; it must be one of "
                            f"{', '.join(RESAMPLE)} (what the intervals resample)")
    check_qualitative(params)
    runs = {}
    for dataset in params["datasets"]:
        results = load_results(results_dir, dataset, counts)
        results.seeds = {s: run for s, run in results.seeds.items()
                         if run.get("recipe") == recipe(params)}  # runs of this recipe only
        runs[dataset] = (results, Scorer.of(results, resamples, seed, resample))
    with staged_dir(out_dir, check=_report_ours,
                    inputs=[results_dir, predictions, masks, counts]) as stage:
        written = _write_report(stage, runs, params, predictions, masks)
        write_record(stage, "report", datasets=list(params["datasets"]), results=results_dir)
    return [out_dir / p.relative_to(stage) for p in written]


def _write_report(out_dir: Path, runs: dict, params: dict, predictions: Path,
                  masks: Path) -> list[Path]:
    measured = {d: sweep.measure(r, s) for d, (r, s) in runs.items()}  # bootstrapped once
    makers = [(lambda d, r, s, make=make: make(r, s, caption_splits(r, s)), lead)
              for make, lead in TABLES]
    makers += [(lambda d, r, s, make=make: make(measured[d], r, s, caption_splits(r, s)), 3)
               for make in (sweep.steps_table, sweep.break_even_table)]
    tables = []
    for make, lead in makers:
        made = {d: make(d, r, s) for d, (r, s) in runs.items()}
        made = {d: t for d, t in made.items() if t is not None}
        if made:
            tables.append(merge(made, lead))
    written = [p for t in tables for p in t.write(out_dir / "tables")]
    headline = merge({d: headline_table(r, s) for d, (r, s) in runs.items()}, 3)
    said = [text for d, (r, s) in runs.items() if (text := sweep.statement(measured[d], r, s))]
    written.append(write_text(out_dir / "headline.md",
                              "\n".join([headline.markdown(), *said])))
    appendix = "\n".join(per_class_markdown(r, r.region, kind)
                         for r, _ in runs.values() for kind in ("IoU", "BIoU"))
    written.append(write_text(out_dir / "appendix_per_class.md", appendix))
    written.append(_summary_csv(runs, out_dir / "summary.csv"))
    pictures = []
    for dataset, (results, _) in runs.items():
        written += _band_width_csvs(results, out_dir / "band_width" / dataset)
        pictures += [*figures.per_class_bars(results, out_dir / "figures"),
                     figures.band_width_curve(results, out_dir / "figures"),
                     figures.per_video_vc(results, out_dir / "figures"),
                     figures.training_curves(results, out_dir / "figures"),
                     *sweep.figures(measured[dataset], results, runs[dataset][1],
                                    out_dir / "figures")]
    pictures.append(_qualitative(params, predictions, masks, out_dir / "figures"))
    pictures = [p for p in pictures if p is not None]
    written += pictures
    videos = _videos(params, predictions, masks, out_dir / "videos")
    written += videos
    index = [f"# Report: {', '.join(runs)}", "", "Generated by `vss report` from `results/` "
             "(`dvc repro` regenerates it).", ""]
    index += [t.markdown() for t in tables] + said
    index += [f"![{p.stem}](figures/{p.name})\n" for p in pictures]
    if videos:
        index += ["Videos (side-by-side panels; the GIF is a preview, the MP4 the whole clip): "
                  + ", ".join(f"[{p.name}](videos/{p.name})" for p in videos) + ".", ""]
        index += [f"![{p.stem}](videos/{p.name})\n" for p in videos if p.suffix == ".gif"]
    index += ["Per-class values: [appendix_per_class.md](appendix_per_class.md)."]
    written.append(write_text(out_dir / "README.md", "\n".join(index) + "\n"))
    return written


def _report_ours(folder: Path) -> None:
    """A report folder may be replaced when this suite made it (its record; reports of
    earlier versions: an index README.md that says so)."""
    index = Path(folder) / "README.md"
    if index.is_file() and "Generated by `vss report`" in index.read_text()[:400]:
        return
    check_ours(folder)


def check_qualitative(params: dict) -> None:
    """`report.qualitative` names a benchmark of `datasets`' entries, methods the params make
    for it and a masks entry; else a SettingsError naming the setting, before anything is
    written."""
    from replication.pipeline.specs import methods

    spec = (params.get("report") or {}).get("qualitative")
    if not spec or spec.get("dataset") not in params.get("datasets", []):
        return
    known = methods(params, spec["dataset"])
    unknown = [m for m in spec.get("methods", []) if m not in known]
    if unknown:
        raise SettingsError(f"report.qualitative.methods: {unknown} are not methods the params "
                            f"make for {spec['dataset']}; choose among {sorted(known)}")
    if spec.get("masks") and spec["masks"] not in (params.get("masks") or {}):
        raise SettingsError(f"report.qualitative.masks: {spec['masks']!r} is not an entry of "
                            f"`masks:` (there: {sorted(params.get('masks') or {})})")


def headline_table(results: Results, scorer: Scorer) -> Table:
    """The README's table: each baseline, its refinements, the classifiers and the references,
    one line each."""
    table = Table("headline", f"{results.dataset}: {caption_splits(results, scorer)}",
                  ["method", "masklets", "features",
                   *(f"{scorer.splits[m]} {m}" for m in scorer.metrics), "FPS"])
    rows = []
    for base in results.of_kind("baseline", "external"):
        rows.append(([f"{base.name} (baseline)", "-", "-"], base))
        refined = [m for m in results.of_kind("refine") if m.baseline == base.name]
        rows += [([("+ refine" if not m.variant else f"+ refine, vote per {m.vote}"),
                   m.source, "-"], m) for m in sorted(refined, key=lambda m: (m.variant,
                                                                             m.source))]
    rows += [(["classify (standalone)", m.source, m.features], m)
             for m in sorted(results.of_kind("classify"), key=lambda m: (m.features, m.source))]
    rows += [([f"{m.name} (reference)", "-", "-"], m) for m in results.of_kind("reference")]
    for lead, method in rows:
        if not method.ran:
            table.rows.append(lead + [table.not_run(method)] + [""] * len(scorer.metrics))
            continue
        cells = metric_cells(table, scorer, method)
        fps = method.inference.get("fps")
        table.rows.append(lead + cells + [f"{fps:.1f}" if fps else ""])
    return table


def readme_block(readme: Path) -> str:
    """What stands between the README's headline markers."""
    text = Path(readme).read_text()
    if README_START not in text or README_END not in text:
        raise InputError(f"{readme}: has no headline markers ({README_START} ... "
                         f"{README_END}); add them where the table goes")
    return text.split(README_START, 1)[1].split(README_END, 1)[0].removeprefix("\n")


def update_readme(readme: Path, headline: Path) -> bool:
    """Make the README's headline block equal the report's headline table (`headline.md`);
    returns whether the README changed."""
    table = Path(headline).read_text()
    if readme_block(readme) == table:
        return False
    text = Path(readme).read_text()
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    write_text(readme, f"{head}{README_START}\n{table}{README_END}{tail}")
    return True


def _qualitative(params: dict, predictions: Path, masks: Path, out: Path) -> Path | None:
    """The qualitative panels of `report.qualitative` in params (its benchmark must have run)."""
    from replication.core.errors import Unavailable
    from replication.data.registry import get_dataset
    from replication.pipeline.params import benchmark
    from replication.report.qualitative import panels, pick_frames

    spec = (params.get("report") or {}).get("qualitative")
    if not spec or spec["dataset"] not in params["datasets"]:
        return None
    bench = benchmark(params, spec["dataset"])
    try:
        dataset = get_dataset(bench.name, bench.root)
    except Unavailable:
        return None
    root = Path(predictions) / bench.name
    if any((root / m / "NOT_RUN.json").is_file() for m in spec["methods"]):
        return None
    stems = pick_frames(dataset, bench.splits("eval"), list(spec.get("frames") or []))
    rows = panels(dataset, bench.splits("eval"), stems, {m: root / m for m in spec["methods"]},
                  Path(masks) / bench.name / spec["masks"] if spec.get("masks") else None)
    return figures.qualitative(rows, out, f"{bench.name}_qualitative.png")


def _videos(params: dict, predictions: Path, masks: Path, out: Path) -> list[Path]:
    """Videos of the qualitative benchmark's temporal split (else its first eval split): its
    methods and masklets, as `report.render` says (replication.report.render)."""
    from replication.core.errors import Unavailable
    from replication.core.settings import from_flags
    from replication.data.registry import get_dataset
    from replication.pipeline.params import benchmark
    from replication.report.render import RenderSettings, render_video

    report = params.get("report") or {}
    spec = report.get("qualitative")
    settings = from_flags(RenderSettings, report.get("render") or {}, "report.render")
    if not spec or spec["dataset"] not in params["datasets"] or not settings.videos:
        return []
    bench = benchmark(params, spec["dataset"])
    try:
        dataset = get_dataset(bench.name, bench.root)
    except Unavailable:
        return []
    root = Path(predictions) / bench.name
    methods = {m: root / m for m in spec["methods"] if not (root / m / "NOT_RUN.json").is_file()}
    masks_dir = Path(masks) / bench.name / spec["masks"] if spec.get("masks") else None
    if masks_dir is not None and (masks_dir / "NOT_RUN.json").is_file():
        masks_dir = None
    split = bench.temporal or bench.splits("eval")[0]
    written = []
    for video in dataset.videos(split)[:settings.videos]:
        written += render_video(dataset, split, video, methods, masks_dir, out, settings)
    return written


def _summary_csv(runs: dict, path: Path) -> Path:
    import pandas as pd

    rows = []
    for dataset, (results, scorer) in runs.items():
        for m in results.methods.values():
            row = {"dataset": dataset, "method": m.name, "kind": m.kind,
                   "status": "ok" if m.ran else "not run", "fps": m.inference.get("fps"),
                   "reason": m.result.get("reason")}
            row.update({f"{scorer.splits[k]} {k}": scorer.value(m, k) for k in scorer.metrics})
            rows.append(row)
    with atomic_path(path) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    return path


def _band_width_csvs(results: Results, folder: Path) -> list[Path]:
    """The band-width curve's data, one CSV per method (a `dvc plots` series each)."""
    paths = []
    for m in results.methods.values():
        sweep = m.result.get(results.region, {}).get("boundary_sweep") if m.ran else None
        if sweep and m.kind != "reference":
            rows = "".join(f"{100 * float(r):g},{100 * v:.4f}\n" for r, v in sweep.items())
            paths.append(write_text(folder / f"{m.name}.csv", "d_percent,mBIoU\n" + rows))
    return paths
