"""Unguessable personal-link tokens. No Django import.

A token is 32 random bytes (256 bits) from ``secrets``, URL-safe base64. Only its
SHA-256 hex digest is stored, so a copy of the database does not hand out
working links. SHA-256 without a salt is enough here: the input is random and
high-entropy, so there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> tuple[str, str]:
    """Return ``(token, token_hash)``; give the token to the person, store the hash."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
