"""The build folder a source is fetched into: made fresh, removed on failure."""

import shutil
from pathlib import Path

from .errors import SourceError


def prepare_dest(dest: Path) -> bool:
    """Make sure ``dest`` is a fresh folder; return True if it already existed."""
    if dest.is_symlink():
        raise SourceError(f"Build folder {dest} must not be a symbolic link.")
    if dest.exists():
        if not dest.is_dir() or any(dest.iterdir()):
            raise SourceError(f"Build folder {dest} is not empty.")
        return True
    dest.parent.mkdir(parents=True, exist_ok=True)
    return False


def clean_dest(dest: Path, existed: bool) -> None:
    if not dest.exists() and not dest.is_symlink():
        return
    if not existed:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
