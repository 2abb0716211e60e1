"""Rows -> output: rich table, JSON, CSV, Markdown.

Every command produces a list of row dicts plus a column description and renders them here, so
output formats behave the same everywhere (sqlite-utils' habit). No pandas needed to render;
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UserError

FORMATS = ("table", "json", "csv", "markdown")


@dataclass(frozen=True)
class Column:
    """A displayed column: row key, header, and how to show a value in table/markdown."""

    key: str
    header: str
    fmt: Callable[[Any, dict], str] | None = None
    justify: str = "right"

    def show(self, row: dict) -> str:
        """The cell text for ``row`` ('-' where the value is missing)."""
        value = row.get(self.key)
        if self.fmt is not None:
            return self.fmt(value, row)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        if isinstance(value, (list, tuple)):
            return ",".join(map(str, value))
        return str(value)


def millions(digits: int = 2) -> Callable[[Any, dict], str]:
    """Formatter: value / 1e6 with ``digits`` decimals."""
    return lambda v, _row: "-" if v is None else f"{v / 1e6:.{digits}f}"


def decimals(digits: int = 1, suffix: str = "") -> Callable[[Any, dict], str]:
    """Formatter: a float with ``digits`` decimals."""
    return lambda v, _row: "-" if v is None else f"{v:.{digits}f}{suffix}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


def render(
    rows: Sequence[dict],
    columns: Sequence[Column],
    fmt: str,
    *,
    title: str = "",
    footer: Iterable[str] = (),
    console=None,
) -> str | None:
    """Render rows in ``fmt``. Returns the text for json/csv/markdown; prints a rich table
    to ``console`` (and returns None) for 'table'."""
    if fmt == "json":
        return json.dumps([{k: _jsonable(v) for k, v in r.items()} for r in rows], indent=2) + "\n"
    if fmt == "csv":
        keys: list[str] = []
        for r in rows:
            keys += [k for k in r if k not in keys]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    k: (
                        ",".join(map(str, v))
                        if isinstance(v, (list, tuple))
                        else ("" if v is None else v)
                    )
                    for k, v in r.items()
                }
            )
        return buf.getvalue()
    if fmt == "markdown":
        return markdown_table(rows, columns, title=title, footer=footer)
    if fmt == "table":
        from rich.table import Table

        table = Table(title=title or None, caption_justify="left", header_style="bold")
        for c in columns:
            table.add_column(
                c.header, justify=c.justify, overflow="fold", no_wrap=c.justify == "left"
            )
        for r in rows:
            table.add_row(*(c.show(r) for c in columns))
        console.print(table)
        for line in footer:
            console.print(line, style="dim", highlight=False, markup=False)
        return None
    raise UserError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")


def markdown_table(
    rows: Sequence[dict], columns: Sequence[Column], *, title: str = "", footer: Iterable[str] = ()
) -> str:
    """A GitHub-flavoured Markdown table of the rows (title as a heading, footer as notes)."""

    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = []
    if title:
        lines += [f"### {title}", ""]
    lines.append("| " + " | ".join(esc(c.header) for c in columns) + " |")
    lines.append("|" + "|".join("---:" if c.justify == "right" else "---" for c in columns) + "|")
    for r in rows:
        lines.append("| " + " | ".join(esc(c.show(r)) for c in columns) + " |")
    notes = list(footer)
    if notes:
        lines.append("")
        lines += [f"{n}  " for n in notes]
    return "\n".join(lines) + "\n"
