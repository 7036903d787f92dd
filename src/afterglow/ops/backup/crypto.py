"""Backup encryption: AES-256-GCM in chunks, with a key file.

The key file holds 32 random bytes, base64 (``afterglow backup --new-key FILE`` writes
one, mode 0600). Keep a copy away from the backups: without it they cannot be read.

Format: ``AGBK1`` + a 7-byte random prefix, then chunks of ``length (4 bytes) +
AES-GCM(ciphertext + tag)``. Chunk *i*'s nonce is the prefix, *i* (4 bytes) and a last-
chunk flag (1 byte), and the header is authenticated with every chunk (the STREAM
construction), so a reordered, dropped or truncated chunk fails to decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
import struct
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"AGBK1"
PREFIX_BYTES = 7
CHUNK = 1024 * 1024


class BackupKeyError(ValueError):
    """The key file is unusable, or the backup does not decrypt with it."""


def key_new(path: Path) -> None:
    if path.exists():
        raise BackupKeyError(f"{path} exists already: a key is never overwritten")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")


def key_load(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise BackupKeyError(f"cannot read the key file {path} ({exc.strerror})") from None
    try:
        key = base64.urlsafe_b64decode(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BackupKeyError(f"{path} is not a backup key (32 bytes, base64)")
    return key


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def encrypt(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    aead = AESGCM(key)
    prefix = secrets.token_bytes(PREFIX_BYTES)
    header = MAGIC + prefix
    target.write(header)
    index = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        sealed = aead.encrypt(_nonce(prefix, index, last), chunk, header)
        target.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        chunk, index = following, index + 1


def decrypt(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    aead = AESGCM(key)
    header = source.read(len(MAGIC) + PREFIX_BYTES)
    if not header.startswith(MAGIC) or len(header) != len(MAGIC) + PREFIX_BYTES:
        raise BackupKeyError("not an encrypted Afterglow backup")
    prefix = header[len(MAGIC) :]
    index = 0
    while True:
        size = source.read(4)
        if len(size) != 4:
            raise BackupKeyError("the encrypted backup is truncated")
        sealed = source.read(struct.unpack(">I", size)[0])
        last = source.peek(1)[:1] == b"" if hasattr(source, "peek") else None
        if last is None:
            raise BackupKeyError("internal: decrypt needs a buffered file")
        try:
            target.write(aead.decrypt(_nonce(prefix, index, last), sealed, header))
        except InvalidTag:
            raise BackupKeyError(
                "the backup does not decrypt with this key (wrong key, or the file was changed)"
            ) from None
        if last:
            return
        index += 1
