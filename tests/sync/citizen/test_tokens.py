"""Ticket page tokens and short codes: unguessable, tied to the office key, typed forgivingly,
and readable at the centre only through hashes and the code's seal."""

from __future__ import annotations

import os
import stat
import uuid

import pytest

from sync.citizen.tokens import (
    CODE_CHARS,
    OfficeKey,
    format_code,
    normalise_code,
    page_fields,
    secret_hash,
    unseal_token,
    valid_token_shape,
)


def test_a_token_is_120_bits_of_base32_made_only_with_the_office_key(tmp_path):
    key = OfficeKey.load_or_create(tmp_path / "k")
    ticket_id = str(uuid.uuid4())
    token = key.token(ticket_id)
    assert valid_token_shape(token) and len(token) * 5 >= 80
    assert key.token(ticket_id) == token  # derived, so the hub needs to store nothing
    assert OfficeKey(os.urandom(32)).token(ticket_id) != token  # another office, another token
    assert len({key.token(str(uuid.uuid4())) for _ in range(2000)}) == 2000


def test_the_key_file_is_made_once_private_and_refused_when_damaged(tmp_path):
    path = tmp_path / "queue" / "citizen-page.key"
    first = OfficeKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert OfficeKey.load_or_create(path).token("x") == first.token("x")
    path.write_bytes(b"short")
    with pytest.raises(ValueError, match="expected a 32-byte key"):
        OfficeKey.load_or_create(path)


def test_the_short_code_is_typed_forgivingly():
    code = OfficeKey(b"k" * 32).code("ticket")
    assert len(code) == CODE_CHARS and format_code(code)[5] == "-"
    assert normalise_code(format_code(code).lower()) == code
    assert normalise_code("  oIl0L-abcde ") == "01101ABCDE"  # O→0, I/L→1, case-blind
    assert normalise_code("too-short") is None and normalise_code("UUUUU-UUUUU") is None  # no U in Crockford


def test_the_centre_finds_the_token_from_the_code_only_through_the_seal():
    key = OfficeKey(b"k" * 32)
    token, code = key.token("t-1"), key.code("t-1")
    fields = page_fields(token, code)
    assert fields["token_hash"] == secret_hash(token) and fields["code_hash"] == secret_hash(code)
    assert token not in str(fields) and code not in str(fields)
    assert unseal_token(fields["token_seal"], code) == token
    assert unseal_token(fields["token_seal"], key.code("t-2")) != token
    assert unseal_token("zz", code) is None
