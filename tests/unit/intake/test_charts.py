"""The dashboard's bar labels wrap at words and stay left of the bars: a
long field name is neither cut nor drawn over its bar."""

from __future__ import annotations

import re

import pytest

from services.intake.ops import charts

LONG = "Corporate social responsibility"


@pytest.fixture(autouse=True)
def english_page(app):
    with app.test_request_context("/?lang=en"):
        yield


def label_lines(svg: str) -> list[list[str]]:
    return [
        re.findall(r"<tspan[^>]*>([^<]*)</tspan>", text)
        for text in re.findall(
            r"<text[^>]*>((?:<tspan[^>]*>[^<]*</tspan>)+)</text>", svg
        )
    ]


def test_a_long_label_wraps_whole_words_into_lines_that_fit_left_of_the_bars():
    for svg in (
        charts.bars("Waitlist", [(LONG, 3), ("Audit", 1)]),
        charts.paired("Supply", [(LONG, 3, 4), ("Audit", 1, 2)], ("a", "b")),
    ):
        labels = label_lines(str(svg))
        assert [" ".join(lines) for lines in labels] == [LONG, "Audit"]
        assert all(len(line) <= charts.LABEL_CHARS for ls in labels for line in ls)
        bars_x = re.findall(
            r'<rect x="(\d+)" y="\d+" width="\d+" height="1[16]"', str(svg)
        )
        assert bars_x and all(int(x) >= charts.LABEL_W for x in bars_x)


def test_rows_below_a_wrapped_label_move_down_by_its_extra_lines():
    svg = str(charts.bars("Waitlist", [(LONG, 3), ("Audit", 1)]))
    first, second = (int(y) for y in re.findall(r'<text x="8" y="(\d+)"', svg)[1:3])
    assert second - first == 24 + charts.LINE * (len(charts.label_lines(LONG)) - 1)


def test_a_label_escapes_as_a_whole_and_is_never_cut_inside_an_entity():
    svg = str(charts.bars("t", [("R&D & Co — " + "x" * 80, 1)]))
    assert "&amp;" in svg and not re.search(r"&am(?!p;)|&a(?!mp;)", svg)
    assert label_lines(svg)[0][-1].endswith("…")


def test_figures_are_written_the_readers_way(app):
    with app.test_request_context("/?lang=fr"):
        svg = str(charts.bars("Délais", [("p50", 3.3), ("p95", 1200)], unit=" s"))
    assert ">3,3 s<" in svg and ">1\u202f200 s<" in svg
