"""The one implementation of secrets, hashing, bearer parsing and Retry-After rounding."""

from __future__ import annotations

import pytest

from sync.api.security import (
    bearer_token,
    hash_password,
    new_secret,
    password_needs_rehash,
    retry_after,
    same_secret,
    secret_hash,
    verify_password,
)


def test_secrets_are_long_random_and_stored_as_sha256():
    a, b = new_secret(), new_secret()
    assert a != b and len(a) == 43
    assert secret_hash(a) == secret_hash(a) != secret_hash(b) and len(secret_hash(a)) == 64
    assert same_secret(a, a) and not same_secret(b, a) and not same_secret(None, a)


def test_passwords_are_argon2_hashes_that_verify_only_the_right_password():
    stored = hash_password("mat-khau-rat-dai")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "mat-khau-rat-dai") and not verify_password(stored, "mat-khau-sai")
    assert not verify_password("not a hash", "x") and not password_needs_rehash(stored)


@pytest.mark.parametrize("header, token", [
    ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("BEARER abc", "abc"),
    (None, None), ("", None), ("Bearer", None), ("Bearer   ", None), ("Basic abc", None), ("abc", None),
])
def test_bearer_parsing(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize("wait, seconds", [(0.0001, 1), (0.5, 1), (1.0, 1), (1.01, 2), (59.2, 60)])
def test_retry_after_rounds_up_to_whole_seconds_at_least_one(wait, seconds):
    assert retry_after(wait) == seconds
