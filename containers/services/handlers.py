"""Imports every module that registers job handlers, so workers know all kinds."""

from . import (
    compose_jobs,  # noqa: F401
    container_bulk,  # noqa: F401
    container_create,  # noqa: F401
    images,  # noqa: F401
    images_build,  # noqa: F401
    images_remove,  # noqa: F401
    images_transfer,  # noqa: F401
    publish,  # noqa: F401
    system,  # noqa: F401
)
