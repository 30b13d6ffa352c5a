"""Imports every module that registers job handlers, so workers know all kinds."""

from . import publish  # noqa: F401
