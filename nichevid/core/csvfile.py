"""CSV downloads that spreadsheets open safely."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from litestar import Response

# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def safe_cell(value: Any) -> str:
    """``value`` as a CSV cell no spreadsheet runs as a formula (numbers stay numbers)."""
    text = str(value)
    if text.startswith(_FORMULA) and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_response(rows: list[list[Any]], filename: str) -> Response[str]:
    """``rows`` as a CSV download named ``filename``, every cell made formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
