"""The per-video and per-class summaries of a results file, kept as columns.

In memory (the evaluator, `vss evaluate`) they are maps: `per_class` {class: {IoU, BIoU, ...}},
`per_video` {video: {frames, mIoU, ...}} and TC's `per_video` {video: TC}. In a results file in
git (`vss score`) each map is one column per field, `{"index": [names], field: [values]}`
(`{"index", "value"}` for a map of numbers), which at VSPW's 343 val videos and 124 classes
keeps a method's file under 64 KB; `unpack` gives back the maps exactly.
"""
from __future__ import annotations

TABLES = ("per_video", "per_class")  # the keys whose maps become columns, at any depth


def pack(result):
    """`result` with every map under a TABLES key as columns (a new object)."""
    if not isinstance(result, dict):
        return result
    return {key: _columns(value) if key in TABLES and isinstance(value, dict) else pack(value)
            for key, value in result.items()}


def unpack(result):
    """The inverse of `pack` (maps that are not columns are left as they are)."""
    if not isinstance(result, dict):
        return result
    return {key: _rows(value) if key in TABLES and _is_columns(value) else unpack(value)
            for key, value in result.items()}


def _columns(rows: dict) -> dict:
    """Columns of a map of numbers or of records with the same fields (else the map)."""
    index, values = list(rows), list(rows.values())
    if not any(isinstance(v, dict) for v in values):
        return {"index": index, "value": values}
    fields = list(values[0])
    if not all(isinstance(v, dict) and list(v) == fields for v in values):
        return rows
    return {"index": index, **{f: [v[f] for v in values] for f in fields}}


def _is_columns(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get("index"), list)


def _rows(columns: dict) -> dict:
    index = columns["index"]
    if set(columns) == {"index", "value"}:
        return dict(zip(index, columns["value"]))
    fields = [f for f in columns if f != "index"]
    return {name: {f: columns[f][i] for f in fields} for i, name in enumerate(index)}
