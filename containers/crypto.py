"""Encryption at rest for secrets: registry passwords, TLS and SSH keys, app variables.

The key comes from PIER_ENCRYPTION_KEY, or is derived from SECRET_KEY when that is
unset; changing either makes stored secrets unreadable.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


def _fernet() -> Fernet:
    secret = settings.PIER_ENCRYPTION_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(f"pier-secrets:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError(
            "Stored secret cannot be decrypted: the encryption key changed"
        ) from error


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted and read back as plain text."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
