"""The paper-style tables, each written as Markdown, LaTeX (booktabs) and CSV.

Cells show a metric in percent with its 95% bootstrap interval; deltas (a method minus the
baseline it builds on) carry a paired-bootstrap interval. Rows that could not run are listed with
a numbered note that gives the reason and the fix.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from replication.core.atomic import write_csv, write_text
from replication.report import bootstrap
from replication.report.collect import Method, Results

VIDEOS_TO_RESAMPLE = 30  # `resample: auto` resamples videos from this many on
RESAMPLE = ("auto", "video", "frame")


@dataclass
class Scorer:
    """Metric values and intervals of methods; `splits` says which split scores each metric,
    `by` what the intervals of each split resample (`frame`: its frames or windows; `video`)."""

    splits: dict[str, str]
    resamples: int = bootstrap.RESAMPLES
    seed: int = 0
    by: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, results: Results, resamples: int = bootstrap.RESAMPLES, seed: int = 0,
           resample: str = "auto"):
        """Each metric on the results' split of its role (region: mIoU, mBIoU; temporal: mVC,
        TC); intervals over `resample` units (`auto`: videos when a split has at least
        VIDEOS_TO_RESAMPLE of them, else frames)."""
        splits = {name: results.temporal if spec.role == "temporal" else results.region
                  for name, spec in results.specs.items()}
        by = {split: resample if resample != "auto" else (
            "video" if results.videos(split) >= VIDEOS_TO_RESAMPLE else "frame")
              for split in set(splits.values())}
        return cls(splits, resamples, seed, by)

    @property
    def metrics(self) -> list[str]:
        return list(self.splits)

    def value(self, method: Method, metric: str) -> float | None:
        split = self._split(method, metric)
        return None if split is None else split.get(metric)

    def interval(self, method: Method, metric: str):
        split = self._split(method, metric)
        return None if split is None else bootstrap.confidence(
            split, metric, self.resamples, self.seed, self.by.get(self.splits[metric], "frame"))

    def delta(self, base: Method, method: Method, metric: str):
        a, b = self._split(base, metric), self._split(method, metric)
        if a is None or b is None:
            return None, None
        ci = bootstrap.paired_delta(a, b, metric, self.resamples, self.seed,
                                    self.by.get(self.splits[metric], "frame"))
        return b[metric] - a[metric], ci

    def _split(self, method: Method, metric: str) -> dict | None:
        return method.result.get(self.splits[metric]) if method.ran else None


def percent(value: float | None, ci=None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}"
    return text + (f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "")


def fps_text(method: Method) -> str:
    fps = method.inference.get("fps")
    return f"{fps:.2f}" if fps else "n/a"


@dataclass
class Table:
    name: str
    caption: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)   # the CSV: raw numbers
    notes: list[str] = field(default_factory=list)

    def not_run(self, method: Method) -> str:
        """A cell pointing at a numbered note with the reason and the fix."""
        note = f"{method.result.get('reason', '')} Fix: {method.result.get('fix', '')}"
        if note not in self.notes:
            self.notes.append(note)
        return f"not run ({self.notes.index(note) + 1})"

    def markdown(self) -> str:
        lines = [f"**{self.caption}**", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        lines += [""] + [f"({i}) {note}" for i, note in enumerate(self.notes, 1)]
        return "\n".join(lines).rstrip() + "\n"

    def latex(self) -> str:
        def esc(text: str) -> str:
            for char in "&%_#$":
                text = text.replace(char, "\\" + char)
            return text.replace("Δ", r"$\Delta$")

        lines = [r"\begin{table}[t]", r"\centering", r"\small",
                 r"\begin{tabular}{l" + "r" * (len(self.columns) - 1) + "}", r"\toprule",
                 " & ".join(esc(c) for c in self.columns) + r" \\", r"\midrule"]
        lines += [" & ".join(esc(c) for c in row) + r" \\" for row in self.rows]
        lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{esc(self.caption)}}}",
                  rf"\label{{tab:{self.name}}}", r"\end{table}"]
        lines += [f"% ({i}) {note}" for i, note in enumerate(self.notes, 1)]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: Path) -> list[Path]:
        out_dir = Path(out_dir)
        paths = [out_dir / f"{self.name}.{ext}" for ext in ("md", "tex", "csv")]
        write_text(paths[0], self.markdown())
        write_text(paths[1], self.latex())
        write_csv(paths[2], self.records, list(dict.fromkeys(k for r in self.records for k in r)))
        return paths


def metric_cells(table: Table, scorer: Scorer, method: Method, base: Method | None = None,
                 record: dict | None = None) -> list[str]:
    """Cells of the four metrics (and, with `base`, their deltas); fills `record` for the CSV."""
    cells, deltas = [], []
    for metric in scorer.metrics:
        value, ci = scorer.value(method, metric), scorer.interval(method, metric)
        cells.append(percent(value, ci))
        if record is not None:
            record.update({metric: value, f"{metric}_low": ci and ci[0],
                           f"{metric}_high": ci and ci[1]})
        if base is not None:
            delta, dci = scorer.delta(base, method, metric)
            deltas.append(percent(delta, dci, signed=True))
            if record is not None:
                record.update({f"d{metric}": delta, f"d{metric}_low": dci and dci[0],
                               f"d{metric}_high": dci and dci[1]})
    return cells + deltas


def _row(table: Table, scorer: Scorer, method: Method, lead: list[str],
         base: Method | None = None, extra: list[str] = (), with_deltas: bool = False) -> None:
    record = {"method": method.name, "status": "ok" if method.ran else "not run"}
    if not method.ran:
        record["reason"] = method.result.get("reason")
        width = len(table.columns) - len(lead)
        table.rows.append(lead + [table.not_run(method)] + [""] * (width - 1))
    else:
        n = len(scorer.metrics)
        cells = metric_cells(table, scorer, method, base if with_deltas else None, record)
        if with_deltas and base is None:
            cells += ["-"] * n
        table.rows.append(lead + cells[:n] + list(extra) + cells[n:])
        record["fps"] = method.inference.get("fps")
    table.records.append(record)


def refiner_table(results: Results, scorer: Scorer, caption_splits: str) -> Table:
    """(a) Each baseline and its refined versions, with deltas over the baseline."""
    table = Table("refiner", "Baselines and the SAM2-style refiner (approach 1) on "
                  f"{results.dataset}. {caption_splits} Δ: refined minus its baseline (paired "
                  "bootstrap).", ["Method", "Masklets", *scorer.metrics, "FPS",
                                  *(f"Δ{m}" for m in scorer.metrics)])
    refined = [m for m in results.of_kind("refine") if not m.variant]
    bases = results.of_kind("baseline", "external") + [
        m for m in results.of_kind("reference") if any(r.baseline == m.name for r in refined)]
    for base in bases:
        _row(table, scorer, base, [base.name, "-"], None, [fps_text(base)], True)
        for m in refined:
            if m.baseline == base.name:
                _row(table, scorer, m, ["+ refine", m.source], base,
                     [fps_text(m) if m.ran else ""], True)
    return table


def standalone_table(results: Results, scorer: Scorer, caption_splits: str) -> Table:
    """(b) The standalone segmentor (approach 2) next to the baselines."""
    baselines = results.of_kind("baseline", "external")
    ref = baselines[0] if baselines else None
    table = Table("standalone", "Masklets + pooled features + MLP (approach 2) against the "
                  f"baselines on {results.dataset}. {caption_splits} Coverage: pixels inside a "
                  f"masklet. Δ: minus {ref.name if ref else 'the baseline'} (paired bootstrap).",
                  ["Method", "Masklets", "Features", "Coverage", *scorer.metrics, "FPS",
                   *(f"Δ{m}" for m in scorer.metrics)])
    for base in baselines:
        _row(table, scorer, base, [base.name, "-", "-", "-"], None, [fps_text(base)], True)
    for m in results.of_kind("classify"):
        coverage = m.inference.get("coverage")
        lead = ["classify", m.source, m.features,
                percent(coverage) if coverage is not None else "n/a"]
        _row(table, scorer, m, lead, ref, [fps_text(m) if m.ran else ""], ref is not None)
    return table


# the quality figures of a masks source the mask-sources table shows (overall), by heading
QUALITY = {"asa_miou": "ASA mIoU", "asa_miou_frame": "ASA mIoU (frame vote)",
           "boundary_recall": "Boundary recall", "boundary_precision": "Boundary precision",
           "undersegmentation_error": "UE", "temporal_purity": "Purity"}


def mask_source_table(results: Results, scorer: Scorer, caption_splits: str) -> Table:
    """(c) Masklet sources: their statistics and what each gives the refiner and classifier."""
    table = Table("mask_sources", f"Masklet sources on {results.dataset}: statistics and "
                  "class-agnostic quality over all splits (ASA: the mIoU of the refiner run on "
                  "the ground truth, its ceiling with this source, and with the vote per frame; "
                  "boundary recall and precision within mBIoU's band; UE: "
                  "under-segmentation error, Neubert and Protzel; purity: the share of a "
                  "masklet's pixels in its majority class over its frames; "
                  "replication/approaches/quality.py), and the refiner / standalone results "
                  f"they give. {caption_splits} oracle: ground-truth components (an upper "
                  "bound).",
                  ["Source", "Used by", "Masklets/frame", "Frames/masklet", "Coverage",
                   *QUALITY.values(), "Masks FPS", *scorer.metrics])
    for source, stats in results.masks.items():
        users = [m for m in results.methods.values() if m.source == source and not m.variant]
        for m in users:
            if stats.get("status") == "not run" or not m.ran:
                _row(table, scorer, m, [source, m.name])
                continue
            quality = stats.get("quality", {}).get("overall", {})
            lead = [source, m.name, f"{stats['masklets_per_frame']['mean']:.1f}",
                    f"{stats['frames_per_masklet']:.2f}", percent(stats["coverage"]),
                    *(percent(quality.get(k)) for k in QUALITY),
                    "n/a (ground truth)" if source == "oracle" or not stats.get("fps")
                    else f"{stats['fps']:.2f}"]
            _row(table, scorer, m, lead)
    return table


def ablation_table(results: Results, scorer: Scorer, caption_splits: str) -> Table:
    """(d) Refiner settings that ran: vote, window length and grid of the masklets, each vote
    with its paired delta against the paper's majority vote of the same baseline and source."""
    table = Table("refiner_ablations", "Refiner ablations that ran: the vote (masklet: the "
                  "paper's majority over the masklet's frames; frame: per frame; confidence: "
                  "weighted by the baseline's confidence; decisive: as confidence, but only "
                  "where the winner holds at least tau of the vote; ditta: DiTTA's reliability "
                  "x area^0.3 x (1 - class frequency)^0.8; replication/approaches/refine.py), "
                  f"window length W of the masklets, SAM2 prompt grid. {caption_splits} "
                  "Δ: minus the masklet vote of the same baseline and masklets (paired "
                  "bootstrap).", ["Baseline", "Masklets", "Vote", "W", "Grid",
                                  *scorer.metrics, *(f"Δ{m}" for m in scorer.metrics)])
    refined = [m for m in results.of_kind("refine") if m.ran]
    paper = {(m.baseline, m.source): m for m in refined if not m.variant}
    for m in sorted(refined, key=lambda m: (m.baseline, m.source, m.variant)):
        settings = results.masks.get(m.source, {}).get("settings", {})
        grid = settings.get("points_per_side")
        tau = m.inference.get("tau")
        lead = [m.baseline, m.source, m.vote + (f" (tau {tau})" if tau else ""),
                str(settings.get("window", "-")), f"{grid}x{grid}" if grid else "-"]
        _row(table, scorer, m, lead, paper.get((m.baseline, m.source)) if m.variant else None,
             with_deltas=True)
    return table


def seed_table(results: Results, scorer: Scorer, caption_splits: str) -> Table | None:
    """(e) Training noise: each trained method with the pipeline's seed (and its bootstrap
    interval over frames) beside the mean and standard deviation over all seeds that ran, for
    the metrics the seed runs carry (`vss seeds` keeps the headline metrics, not TC)."""
    if not results.seeds:
        return None
    n = len(results.seeds) + 1
    runs = [run["methods"] for run in results.seeds.values()]
    metrics = [m for m in scorer.metrics
               if any(m in run[name].get(scorer.splits[m], {}) for run in runs for name in run)]
    table = Table("seed_spread", f"Training noise on {results.dataset}: every trained method "
                  f"with the pipeline's seed, its 95% bootstrap interval over frames in brackets, "
                  f"then mean ± standard deviation over {n} training seeds (the pipeline's and "
                  f"{sorted(results.seeds)}): the interval says which frames were sampled, the "
                  f"deviation how much retraining moves the number. {caption_splits}",
                  ["Method", *(c for m in metrics for c in (m, f"{m} seeds"))])
    trained = sorted({name for run in runs for name in run})
    for name in trained:
        method = results.methods.get(name)
        if method is None or not method.ran:
            continue
        record, cells = {"method": name, "seeds": n}, [name]
        for metric in metrics:
            split = scorer.splits[metric]
            values = [scorer.value(method, metric)] + [
                run[name][split].get(metric) for run in runs if name in run]
            values = [v for v in values if v is not None and not math.isnan(v)]
            mean = sum(values) / len(values) if values else None
            sd = (math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
                  if len(values) > 1 else None)
            cells += [percent(scorer.value(method, metric), scorer.interval(method, metric)),
                      f"{percent(mean)} ± {100 * sd:.1f} ({len(values)})" if sd is not None
                      else "n/a"]
            record.update({metric: scorer.value(method, metric), f"{metric}_seed_mean": mean,
                           f"{metric}_seed_sd": sd, f"{metric}_seed_values": values})
        table.rows.append(cells)
        table.records.append(record)
    return table


def per_class_markdown(results: Results, split: str, classes_of: str = "IoU") -> str:
    """Appendix: per-class IoU or BIoU (percent) of every method that ran, on `split`."""
    ran = [m for m in results.methods.values() if m.ran and split in m.result]
    if not ran:
        return ""
    classes = list(ran[0].result[split]["per_class"])
    lines = [f"**Per-class {classes_of} (%) on {results.dataset} {split}**", "",
             "| Class | " + " | ".join(m.name for m in ran) + " |", "|" + "---|" * (len(ran) + 1)]
    for c in classes:
        cells = [percent(m.result[split]["per_class"][c][classes_of]) for m in ran]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def merge(tables: dict[str, Table], lead: int) -> Table:
    """One table with a column group per dataset (as the paper's tables): rows matched on their
    first `lead` cells, the other columns repeated per dataset with its name in front; not-run
    notes renumbered across datasets. A single dataset's table is returned as it is."""
    if len(tables) == 1:
        return next(iter(tables.values()))
    first = next(iter(tables.values()))
    merged = Table(first.name, " ".join(f"{d}: {t.caption}" for d, t in tables.items()),
                   first.columns[:lead] + [f"{d} {c}" for d, t in tables.items()
                                           for c in t.columns[lead:]])
    keys, cells = [], {}
    for dataset, table in tables.items():
        offset = len(merged.notes)
        merged.notes += [f"{dataset}: {note}" for note in table.notes]
        for row in table.rows:
            key = tuple(row[:lead])
            if key not in cells:
                keys.append(key)
                cells[key] = {}
            cells[key][dataset] = [_renumber(c, offset) for c in row[lead:]]
        merged.records += [{"dataset": dataset, **r} for r in table.records]
    for key in keys:
        merged.rows.append(list(key) + [c for d, t in tables.items()
                                        for c in cells[key].get(d, ["-"] * (len(t.columns) -
                                                                            lead))])
    return merged


def _renumber(cell: str, offset: int) -> str:
    if cell.startswith("not run (") and offset:
        return f"not run ({int(cell[9:-1]) + offset})"
    return cell
