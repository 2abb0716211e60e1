"""Rows -> output: a table that fits the terminal, plain aligned text, JSON, CSV, Markdown.

Every command produces a list of row dicts plus a column description and renders them here, so
output formats behave the same everywhere (sqlite-utils' habit). No pandas needed to render.

In a terminal a table shows the columns that fit its width: every column has a ``priority``
(``ESSENTIAL`` always shown; ``COMPACT`` shown by default; ``EXTRA`` shown by default and
dropped first when the terminal is narrow; ``WIDE`` only with ``wide=True`` or when chosen by
key) and a row is never wrapped: cells keep one line, headers wrap between words. Anywhere else
(a pipe, a file) the table is plain aligned text without box drawing, every column.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import UserError

FORMATS = ("table", "json", "csv", "markdown")
# what a file name's suffix says its format is (``-o rows.csv`` without ``--format``)
FORMAT_BY_SUFFIX = {
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".yaml": "yaml",
    ".yml": "yaml",
}

ESSENTIAL = 0  # always shown (the row's name)
COMPACT = 1  # shown by default, dropped last when the terminal is narrow
EXTRA = 2  # shown by default when there is room, dropped first
WIDE = 3  # only with --wide, or chosen with --columns


@dataclass(frozen=True)
class Column:
    """A displayed column: row key, header, how to show a value in table/markdown, and its
    ``priority`` in a terminal (``ESSENTIAL``, ``COMPACT``, ``EXTRA`` or ``WIDE``)."""

    key: str
    header: str
    fmt: Callable[[Any, dict], str] | None = None
    justify: str = "right"
    priority: int = COMPACT

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


def infer_format(output: str | None, fmt: str | None, formats: Sequence[str] = FORMATS) -> str:
    """The output format: ``fmt`` when given, else what ``output``'s suffix says (.json, .csv,
    .md), else 'table'. An explicit ``fmt`` that contradicts the suffix, or a suffix naming a
    format not in ``formats``, is a UserError, so ``-o rows.csv --format json`` never writes
    JSON into a .csv file.

    >>> infer_format("rows.csv", None)
    'csv'
    >>> infer_format(None, None)
    'table'
    """
    implied = FORMAT_BY_SUFFIX.get(Path(output).suffix.lower()) if output else None
    if implied is not None and implied not in formats:  # e.g. .yaml from a command without it
        raise UserError(
            f"output: {output} names a {implied} file, which this command does not write "
            f"(it writes {', '.join(formats)}); use another file name"
        )
    if fmt is None:
        return implied or "table"
    if implied is not None and fmt != implied:
        raise UserError(
            f"output: {output} names a {implied} file but --format is {fmt}; "
            f"drop --format or use a {fmt} file name"
        )
    return fmt


def select_columns(
    rows: Sequence[dict], columns: Sequence[Column], keys: Sequence[str]
) -> list[Column]:
    """The columns named by row ``keys``, in that order; a key with no column of its own (any
    key of the rows) gets a plain one. An unknown key is a UserError naming the closest."""
    by_key = {c.key: c for c in columns}
    known = list(by_key) + [k for r in rows for k in r if k not in by_key]
    known = list(dict.fromkeys(known))
    chosen = []
    for key in keys:
        if key in by_key:
            chosen.append(by_key[key])
        elif key in known:
            chosen.append(Column(key, key, justify="left"))
        else:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UserError(f"columns: no column {key!r}; {hint}columns: {', '.join(known)}")
    return chosen


def _header_lines(header: str, width: int) -> int:
    """Lines ``header`` takes when wrapped between words at ``width``."""
    import textwrap

    return len(textwrap.wrap(header, width, break_long_words=False)) or 1


# a rich table with a box: 1 space of padding either side of a cell, a rule between and around
def _table_width(widths: Sequence[int]) -> int:
    return sum(widths) + 3 * len(widths) + 1


def fit_columns(
    rows: Sequence[dict], columns: Sequence[Column], width: int, *, wide: bool = False
) -> tuple[list[Column], list[int], list[Column]]:
    """Which columns a ``width``-character terminal shows, and how wide each is.

    Returns ``(shown, widths, hidden)``. Shown are the non-``WIDE`` columns (all with
    ``wide``), less those that do not fit: the highest priority number goes first, the
    widest among ``EXTRA`` ones, else the rightmost; ``ESSENTIAL`` columns stay; then a
    dropped column that fits in the room left comes back, narrowest first. Each shown column
    is as wide as its longest cell (cells never wrap) and its header's longest word (headers
    wrap between words); width left over makes headers one line where it can. When even the
    kept columns do not fit, the widths add up to more than ``width`` and the renderer
    shortens cells.
    """
    candidates = [c for c in columns if wide or c.priority < WIDE]
    texts = {c.key: [c.show(r) for r in rows] for c in candidates}

    def need(c: Column) -> int:
        words = c.header.split() or [""]
        return max([len(w) for w in words] + [len(t) for t in texts[c.key]] + [1])

    shown = list(candidates)
    widths = {c.key: need(c) for c in shown}
    while _table_width([widths[c.key] for c in shown]) > width:
        droppable = [c for c in shown if c.priority != ESSENTIAL]
        if not droppable:
            break
        worst = max(c.priority for c in droppable)
        pool = [c for c in droppable if c.priority == worst]
        if worst >= EXTRA:  # details: the widest goes first, so more of them stay
            pool = sorted(pool, key=lambda c: widths[c.key])
        shown.remove(pool[-1])
    # a narrow column dropped on the way may fit in the room a wider one left
    for c in sorted(candidates, key=lambda c: (c.priority, widths[c.key])):  # narrow first
        if c not in shown:
            trial = [x for x in candidates if x in shown or x is c]
            if _table_width([widths[x.key] for x in trial]) <= width:
                shown = trial
    spare = width - _table_width([widths[c.key] for c in shown])
    # spare room lowers the header: widen the tallest headers together while it lasts
    while shown and spare > 0:
        tallest = max(_header_lines(c.header, widths[c.key]) for c in shown)
        if tallest == 1:
            break
        grow = {}
        for c in shown:
            w = widths[c.key]
            while _header_lines(c.header, w) >= tallest:
                w += 1
            grow[c.key] = w - widths[c.key]
        if sum(grow.values()) > spare:
            break
        for key, g in grow.items():
            widths[key] += g
        spare -= sum(grow.values())
    hidden = [c for c in columns if c not in shown]
    return shown, [widths[c.key] for c in shown], hidden


def plain_table(rows: Sequence[dict], columns: Sequence[Column]) -> str:
    """Rows as plain aligned text: a header line, then one line per row, two spaces between
    columns, no box drawing (for pipes and files)."""
    cells = [[c.header for c in columns]] + [[c.show(r) for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = []
    for line in cells:
        parts = [
            text.ljust(w) if c.justify == "left" else text.rjust(w)
            for text, w, c in zip(line, widths, columns)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def _rich_table(rows, columns, title: str, width: int, wide: bool):
    """A rich table fitted to ``width``; returns (table, hidden columns)."""
    from rich.table import Table
    from rich.text import Text

    shown, widths, hidden = fit_columns(rows, columns, width, wide=wide)
    fits = _table_width(widths) <= width
    table = Table(title=title or None, caption_justify="left", header_style="bold")
    for c, w in zip(shown, widths):
        table.add_column(
            Text(c.header, no_wrap=False, overflow="fold"),
            justify=c.justify,
            no_wrap=True,
            overflow="ellipsis",  # only when even the kept columns do not fit
            width=w if fits else None,
        )
    for r in rows:
        table.add_row(*(c.show(r) for c in shown))
    return table, hidden


def _select(rows, columns, keys):
    """Rows and columns limited to ``keys`` (all when ``keys`` is empty)."""
    if not keys:
        return rows, columns
    columns = select_columns(rows, columns, keys)
    return [{k: r.get(k) for k in keys} for r in rows], columns


def render(
    rows: Sequence[dict],
    columns: Sequence[Column],
    fmt: str,
    *,
    title: str = "",
    footer: Iterable[str] = (),
    console=None,
    wide: bool = False,
    keys: Sequence[str] = (),
) -> str | None:
    """Render rows in ``fmt``. Returns the text for json/csv/markdown; for 'table' prints to
    ``console`` (and returns None): in a terminal a table fitted to its width (``wide`` shows
    every column that fits, see ``fit_columns``), else plain aligned text. ``keys`` chooses the
    columns (and the JSON/CSV fields) by row key, in that order."""
    rows, columns = _select(rows, columns, keys)
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
        footer = list(footer)
        if not console.is_terminal:
            text = (f"{title}\n\n" if title else "") + plain_table(rows, columns)
            text += "".join(f"{line}\n" for line in footer)
            console.print(text, end="", markup=False, highlight=False, soft_wrap=True)
            return None
        if keys:  # chosen by name: every one stays, shortened if it must be
            columns = [replace(c, priority=ESSENTIAL) for c in columns]
        table, hidden = _rich_table(rows, columns, title, console.width, wide)
        console.print(table)
        if hidden:
            footer.append(
                f"Not shown: {', '.join(c.key for c in hidden)} (--wide shows every column, "
                "--columns a,b,c chooses by key)."
            )
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
