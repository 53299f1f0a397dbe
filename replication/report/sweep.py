"""The mask-quality sweep in the report (`sweep:` in params; replication/masks/degraded.py).

For every step (axis, level; level 0 is the degraded source itself): the masks' class-agnostic
quality on the region split and what the refiner gains with them, each metric's delta against
the baseline with its paired-bootstrap interval. Tables: every step, and per axis the break-even
level (the first level, going worse, whose interval reaches 0, and the first whose interval lies
below 0). Figures: the gain against each axis's level, and against the ASA ceiling with every
real masklet source placed on it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from replication.masks.axes import AXES, parse_level
from replication.pipeline.specs import SWEPT, refine_name
from replication.report.collect import Method, Results
from replication.report.tables import QUALITY, Scorer, Table, percent

# each axis: its level's name on a figure, and a step of it in words
WORDS = {"boundary": ("k (px)", "contours moved {:g} px"),
         "over": ("pieces k", "masklets cut into {:g} pieces"),
         "under": ("merge p", "touching masklets merged with p = {:g}"),
         "miss": ("share dropped f", "a share {:g} of masklets missed"),
         "fragment": ("run length L (frames)", "masklets cut into runs of {:g} frames")}
SHOWN = {**{k: QUALITY[k] for k in ("asa_miou", "boundary_recall", "boundary_precision",
                                    "undersegmentation_error", "temporal_purity")},
         "coverage": "Coverage"}


@dataclass
class Step:
    """One step of the sweep for one baseline, measured."""

    baseline: str
    axis: str
    level: float
    source: str                       # its masks: the swept source (level 0) or sweep-<step>
    stats: dict                       # the masks' statistics (results/masks/...)
    method: Method                    # the baseline refined with them
    deltas: dict = field(default_factory=dict)  # metric -> (delta, interval or None)

    @property
    def quality(self) -> dict:
        return self.stats.get("quality", {})


def measure(results: Results, scorer: Scorer) -> tuple[list[Step], list[Step]]:
    """(the sweep's steps, the real sources as steps of no axis) of every baseline, with deltas
    against the baseline; empty when the sweep did not run."""
    if not results.sweep:
        return [], []
    swept = Path(next(iter(results.sweep.values()))["settings"]["of"]).name
    steps, real = [], []
    for base in results.of_kind("baseline", "external"):
        if not base.ran:
            continue
        origin = results.methods.get(refine_name(base.name, swept))
        for axis, (zero, _) in AXES.items():
            if origin is not None and origin.ran and swept in results.masks:
                level = float(zero) if zero is not None else _window(results.masks[swept])
                steps.append(Step(base.name, axis, level, swept, results.masks[swept], origin))
        for name, stats in results.sweep.items():
            method = results.swept.get(refine_name(base.name, SWEPT + name))
            if method is not None and method.ran:
                steps.append(Step(base.name, *parse_level(name), SWEPT + name, stats, method))
        real += [Step(base.name, "", 0, source, stats, m)
                 for source, stats in results.masks.items() if source != swept and
                 (m := results.methods.get(refine_name(base.name, source))) is not None and m.ran]
    for step in steps + real:
        step.deltas = {metric: scorer.delta(results.methods[step.baseline], step.method, metric)
                       for metric in scorer.metrics}
    return sorted(steps, key=lambda s: (s.baseline, list(AXES).index(s.axis), _worse(s))), real


def _window(stats: dict) -> float:
    """Fragment level 0: the source's window (its masklets are cut there already)."""
    return float(stats.get("settings", {}).get("window", 32))


def _worse(step: Step) -> float:
    """Sort key: larger is a worse degradation."""
    return step.level if AXES[step.axis][1] else -step.level


def steps_table(measured, results: Results, scorer: Scorer, caption_splits: str) -> Table | None:
    """(f) Every step of the sweep: the masks' quality and the refiner's results and gains."""
    steps, _ = measured
    if not steps:
        return None
    split = results.region
    table = Table("mask_sweep", f"Mask-quality sweep on {results.dataset}: "
                  f"{steps[0].source if steps[0].source in results.masks else 'a source'}'s "
                  "masklets degraded one way at a time (replication/masks/degraded.py; "
                  "boundary: contours moved k px; over: each masklet cut into k pieces; under: "
                  "touching masklets merged with probability p; miss: a share f dropped; "
                  "fragment: runs of L frames; level 0 is the source itself), their quality on "
                  f"{split} (as in the mask-sources table) and the refiner of each baseline "
                  f"with them (the paper's vote). {caption_splits} Δ: minus the baseline "
                  "(paired bootstrap).",
                  ["Baseline", "Axis", "Level", *SHOWN.values(), *scorer.metrics,
                   *(f"Δ{m}" for m in scorer.metrics)])
    for step in steps:
        quality = step.quality.get(split, {})
        cells = [percent(quality.get(k)) for k in SHOWN]
        values = [percent(scorer.value(step.method, m), scorer.interval(step.method, m))
                  for m in scorer.metrics]
        deltas = [percent(d, ci, signed=True) for d, ci in step.deltas.values()]
        table.rows.append([step.baseline, step.axis, f"{step.level:g}", *cells, *values,
                           *deltas])
        record = {"baseline": step.baseline, "axis": step.axis, "level": step.level,
                  "method": step.method.name, **{k: quality.get(k) for k in SHOWN}}
        for metric, (delta, ci) in step.deltas.items():
            record.update({metric: scorer.value(step.method, metric), f"d{metric}": delta,
                           f"d{metric}_low": ci and ci[0], f"d{metric}_high": ci and ci[1]})
        table.records.append(record)
    return table


def break_even(steps: list[Step], metric: str) -> tuple[float | None, float | None]:
    """(the first level, going worse, whose delta interval reaches 0 or below; the first whose
    interval lies below 0), None where no level does; steps of one axis, in order."""
    crossing = next((s.level for s in steps if _ci(s, metric) and _ci(s, metric)[0] <= 0), None)
    loss = next((s.level for s in steps if _ci(s, metric) and _ci(s, metric)[1] < 0), None)
    return crossing, loss


def _ci(step: Step, metric: str):
    return step.deltas.get(metric, (None, None))[1]


def break_even_table(measured, results: Results, scorer: Scorer,
                     caption_splits: str) -> Table | None:
    """(g) Per baseline and axis: where the refiner's gain ends."""
    steps, _ = measured
    if not steps:
        return None
    table = Table("mask_sweep_break_even", f"Break-even of the mask-quality sweep on "
                  f"{results.dataset}: per axis, the first level (going worse) at which the "
                  "refiner's gain over the baseline is no longer certain (its 95% paired-"
                  "bootstrap interval reaches 0), and in brackets the first at which it is a "
                  f"certain loss; '-': no level of the sweep. {caption_splits}",
                  ["Baseline", "Axis", "Levels", *scorer.metrics])
    for base in dict.fromkeys(s.baseline for s in steps):
        for axis in AXES:
            ours = [s for s in steps if s.baseline == base and s.axis == axis]
            if not ours:
                continue
            record, cells = {"baseline": base, "axis": axis}, []
            for metric in scorer.metrics:
                crossing, loss = break_even(ours, metric)
                cells.append(("-" if crossing is None else f"{crossing:g}")
                             + ("" if loss is None else f" ({loss:g})"))
                record.update({f"{metric}_crossing": crossing, f"{metric}_loss": loss})
            table.rows.append([base, axis, ", ".join(f"{s.level:g}" for s in ours), *cells])
            table.records.append(record)
    return table


def figures(measured, results: Results, scorer: Scorer, out: Path) -> list[Path]:
    """Per baseline: the gain against each axis's level, and against the ASA ceiling."""
    from replication.report.figures import pyplot, save_png

    steps, real = measured
    plt, _ = pyplot()
    paths, split = [], results.region
    for base in dict.fromkeys(s.baseline for s in steps):
        ours = [s for s in steps if s.baseline == base]
        fig, axes = plt.subplots(1, len(AXES), figsize=(4 * len(AXES), 3.8), sharey=True)
        for ax, axis in zip(axes, AXES):
            line = [s for s in ours if s.axis == axis]
            for metric in scorer.metrics:
                points = [(s.level, s.deltas[metric]) for s in line
                          if s.deltas[metric][0] is not None]
                if not points:
                    continue
                x = [p[0] for p in points]
                y = [100 * d for _, (d, _) in points]
                err = [[100 * (d - ci[0]) if ci else 0 for _, (d, ci) in points],
                       [100 * (ci[1] - d) if ci else 0 for _, (d, ci) in points]]
                ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=metric)
            ax.axhline(0, color="black", linewidth=0.8)
            ax.set_title(axis)
            ax.set_xlabel(WORDS[axis][0])
            if not AXES[axis][1]:
                ax.set_xscale("log", base=2)
                ax.invert_xaxis()
        axes[0].set_ylabel(f"Δ over {base} (points)")
        axes[-1].legend(fontsize=8)
        fig.suptitle(f"Refiner gain against mask degradation, {results.dataset} "
                     f"(95% paired-bootstrap intervals)")
        paths.append(save_png(fig, out / f"{results.dataset}_mask_sweep_{base}.png"))
        plt.close(fig)

        metric = scorer.metrics[0]
        fig, ax = plt.subplots(figsize=(7, 5))
        for axis, marker in zip(AXES, "osD^v"):
            line = [s for s in ours if s.axis == axis and s.deltas[metric][0] is not None]
            ax.plot([100 * s.quality.get(split, {}).get("asa_miou", float("nan")) for s in line],
                    [100 * s.deltas[metric][0] for s in line], marker=marker, linestyle="",
                    label=f"sweep: {axis}")
        placed = [r for r in real if r.baseline == base and r.deltas[metric][0] is not None]
        for i, s in enumerate(placed):  # labels stacked: real sources often lie close
            x = 100 * s.quality.get(split, {}).get("asa_miou", float("nan"))
            ax.plot([x], [100 * s.deltas[metric][0]], marker="*", markersize=14, color="black",
                    linestyle="")
            ax.annotate(s.source, (x, 100 * s.deltas[metric][0]), textcoords="offset points",
                        xytext=(8, 4 - 12 * i), fontsize=9)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel(f"ASA mIoU of the masks, {split} (%)")
        ax.set_ylabel(f"Δ{metric} over {base} (points)")
        ax.set_title(f"Refiner gain against the masks' ceiling, {results.dataset} "
                     "(stars: real sources)")
        ax.legend(fontsize=8)
        paths.append(save_png(fig, out / f"{results.dataset}_mask_sweep_asa_{base}.png"))
        plt.close(fig)
    return paths


def statement(measured, results: Results, scorer: Scorer) -> str | None:
    """What the sweep says, per baseline, in words from the measured steps (the README carries
    it under the headline table): the break-even level of each axis, the error the refiner
    tolerates least, where the real sources fall on the ASA axis, and the ASA that gains."""
    steps, real = measured
    if not steps:
        return None
    metric, split = scorer.metrics[0], results.region
    names = {axis: phrase for axis, (_, phrase) in WORDS.items()}
    paragraphs = []
    for base in dict.fromkeys(s.baseline for s in steps):
        ours = [s for s in steps if s.baseline == base]
        by_axis = {a: [s for s in ours if s.axis == a] for a in AXES}
        by_axis = {a: line for a, line in by_axis.items() if line}
        zero = next((s for s in ours if s.source in results.masks), None)
        full = zero.deltas[metric][0] if zero is not None else None
        ends = []
        for axis, line in by_axis.items():
            crossing, loss = break_even(line, metric)
            ends.append(f"{axis} at {names[axis].format(crossing)}"
                        + (f" (a certain loss from {loss:g})" if loss is not None else "")
                        if crossing is not None else f"{axis}: never (up to "
                        f"{names[axis].format(line[-1].level)})")
        mildest = {a: line[1] for a, line in by_axis.items() if len(line) > 1}
        mildest = {a: s for a, s in mildest.items() if s.deltas[metric][0] is not None}
        worst = min(mildest, key=lambda a: mildest[a].deltas[metric][0], default=None)
        asa = [(100 * s.quality.get(split, {}).get("asa_miou", float("nan")), s) for s in ours]
        gains = [x for x, s in asa if _ci(s, metric) and _ci(s, metric)[0] > 0]
        losses = [x for x, s in asa if _ci(s, metric) and _ci(s, metric)[1] < 0]
        text = (f"**How good must masks be** ({results.dataset}, {base}, {split} {metric}; "
                "reports/tables/mask_sweep*.md)."
                + (f" With {zero.source}'s masklets the refiner adds {100 * full:+.1f}."
                   if full is not None else "")
                + f" The gain is no longer certain (its 95% interval reaches 0) for "
                f"{'; '.join(ends)}.")
        if worst is not None:
            step = mildest[worst]
            text += (f" It tolerates {worst} errors least: the mildest step of that axis "
                     f"({names[worst].format(step.level)}) leaves "
                     f"{100 * step.deltas[metric][0]:+.1f}.")
        placed = [f"{s.source} at ASA {100 * s.quality.get(split, {}).get('asa_miou', 0):.1f} "
                  f"({100 * s.deltas[metric][0]:+.1f})" for s in real if s.baseline == base]
        if placed:
            text += " Real sources on the ASA axis: " + ", ".join(placed) + "."
        if gains and losses and max(losses) >= min(gains):
            high = max((p for p in asa if p[0] in losses), key=lambda p: p[0])[1]
            low = min((p for p in asa if p[0] in gains), key=lambda p: p[0])[1]
            text += (f" ASA alone does not decide it: a step lost at an ASA mIoU of "
                     f"{max(losses):.1f} ({high.axis} {high.level:g}) and one gained at "
                     f"{min(gains):.1f} ({low.axis} {low.level:g}).")
        elif gains:
            text += (f" Steps with a certain gain had an ASA mIoU of {min(gains):.1f} or more"
                     + (f", steps with a certain loss {max(losses):.1f} or less" if losses
                        else "")
                     + f": for the refiner to help {base}, a source must reach an ASA mIoU of "
                     f"about {min(gains):.1f}.")
        paragraphs.append(text)
    return "\n\n".join(paragraphs) + "\n"
