"""Byte offsets (ast, tracebacks, code positions) become character columns in one place."""

from __future__ import annotations

from dagent_gen.diagnostics import character_column


def test_columns_count_characters_not_bytes() -> None:
    line = 'é = Agent("ü", model=1)'
    assert character_column(line, 0) == 1
    assert character_column(line, len("é = ".encode())) == 5
    assert character_column(line, line.encode().index(b"model")) == line.index("model") + 1


def test_an_offset_inside_a_character_or_past_the_end_is_clamped() -> None:
    assert character_column("é", 1) == 1  # half of the two-byte "é"
    assert character_column("ab", 99) == 3
