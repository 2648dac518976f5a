"""The `<tenant>_students.csv` contract: one row per counted student, exact columns, lossless floats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from risk_assets.csv_cells import neutralise_text, restore
from risk_assets.vocabulary import STUDENT_COLUMNS, TEXT, columns_of_kind

TEXT_COLUMNS = columns_of_kind(TEXT)


# Names come from the source: a name like "=HYPERLINK(...)" must not become a formula in a spreadsheet.
PERSON_TEXT = ["display_name", "class_name"]


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with header; NULL as an empty cell; floats as repr (shortest exact form); names spreadsheet-safe."""
    safe = neutralise_text(frame[STUDENT_COLUMNS], PERSON_TEXT)
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


def read_students_csv(path: Path) -> pd.DataFrame:
    """The students CSV as written: only an empty cell is NULL (a student really named "NA" keeps the name),
    names as they are in the source."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: str for c in TEXT_COLUMNS})
    for column in PERSON_TEXT:
        frame[column] = restore(frame[column])
    return frame
