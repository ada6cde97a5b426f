"""CSV exports as spreadsheets read them: no cell becomes a formula, whether
the file is split on commas or, as a French Excel does, on semicolons."""

from __future__ import annotations

import csv
import io

import pytest

from services.intake.ops import exports

HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    'x;=HYPERLINK("http://evil.example")',
    "a,+cmd|' /C calc'!A0",
    "note;  @SUM(1+1)*cmd",
    "line\n-2+3",
    "tab\t=1+1",
    'x;"=1+1;',  # a quote between the separator and the formula
    "x;\"=cmd|' /C calc'!A0;",
    'line\n"-2+3',
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_no_cell_starts_a_formula_whatever_the_separator(delimiter):
    rows = [[exports.cell(text)] for text in HOSTILE]
    text = exports.csv_text(("status_reason",), rows)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE)
    for row in reader:
        for cell in row:
            cell = cell.strip().strip('"').lstrip()
            assert cell[:1] not in ("=", "+", "-", "@"), (delimiter, cell)


def test_ordinary_text_and_values_are_left_as_they_are():
    assert exports.cell("no host in this field") == "no host in this field"
    assert exports.cell(3) == 3 and exports.cell(None) == ""
    assert exports.cell("x;=1") == "x;'=1"
