"""The sender's ``seq.json`` (the next ``seq`` per device, kept beside the spool)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.sender import SeqFile


def test_seq_numbering_survives_a_restart(tmp_path: Path) -> None:
    seqs = SeqFile(tmp_path / "seq.json")
    assert [seqs.take("a"), seqs.take("a"), seqs.take("b")] == [0, 1, 0]
    seqs.save()
    again = SeqFile(tmp_path / "seq.json")
    assert (again.take("a"), again.take("b")) == (2, 1)


@pytest.mark.parametrize("content", [b"[1, 2]", b'"x"', b"7", b'{"a": [1]}', b'{"a": "x"}', b"{", b"\xff"])
def test_a_damaged_seq_file_restarts_the_numbering_with_a_warning(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, a file of the wrong shape (a list, a string...) stopped the gateway at start with
    an AttributeError; seq only lets ingest see gaps, so it restarts at 0 instead."""
    (tmp_path / "seq.json").write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="gateway.sender"):
        seqs = SeqFile(tmp_path / "seq.json")
    assert seqs.take("a") == 0
    assert "seq.json is damaged" in caplog.text
