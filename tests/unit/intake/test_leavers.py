"""The addresses HR gives: pasted, or a CSV from their system."""

from flask import Flask

from services.intake.ops import params


def leavers(text):
    with Flask(__name__).test_request_context():
        return params.leavers(text)


def test_every_cell_that_is_an_address_is_taken_once_in_order():
    csv = (
        '"Employee id";"Name";"Email";"Left on"\n'
        '"001";"Ana Lima";"Ana.Lima@Example.com";"2026-11-30"\n'
        '"002";"Bo";"bo@example.com";"2026-11-30"\n'
        '"003";"Ana again";"ana.lima@example.com";"2026-12-01"\n'
    )
    assert leavers(csv) == ["ana.lima@example.com", "bo@example.com"]


def test_what_is_not_an_address_is_passed_over():
    assert leavers("hello\n@example.com\nnot-an-address\nx@y") == []
    assert leavers("a@example.com, b@example.com;c@example.com") == [
        "a@example.com", "b@example.com", "c@example.com",
    ]  # fmt: skip


def test_a_quote_inside_an_address_keeps_it_whole():
    assert leavers("o'brien@example.com\n'brien@example.com'") == [
        "o'brien@example.com", "brien@example.com",
    ]  # fmt: skip
