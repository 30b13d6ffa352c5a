"""Fetch an app's source into a fresh build folder, safely.

Pure Python: no Django imports. Callers pass settings in as parameters
(for example ``allowed_local_roots=settings.PIER_LOCAL_SOURCE_ROOTS``).

* :func:`validate_git_url` checks a Git URL a user typed before Git sees it.
* :func:`clone_git` makes a shallow clone of one branch with a locked-down Git.
* :func:`extract_archive` unpacks an uploaded ``.tar.gz``/``.tgz``/``.tar``/
  ``.zip`` without letting any entry land outside the build folder.
* :func:`find_dockerfile` finds the Dockerfile at the top of a build context.

Every failure raises :class:`SourceError` whose message is safe to show to the
user (credentials embedded in URLs are masked).
"""

from .archives import (
    ARCHIVE_SUFFIXES,
    DEFAULT_MAX_ARCHIVE_BYTES,
    DEFAULT_MAX_ARCHIVE_MEMBERS,
    extract_archive,
    find_dockerfile,
)
from .errors import SourceError
from .git import CloneResult, clone_git, head_commit
from .urls import mask_credentials, validate_branch, validate_git_url

__all__ = [
    "ARCHIVE_SUFFIXES",
    "DEFAULT_MAX_ARCHIVE_BYTES",
    "DEFAULT_MAX_ARCHIVE_MEMBERS",
    "CloneResult",
    "SourceError",
    "clone_git",
    "head_commit",
    "extract_archive",
    "find_dockerfile",
    "mask_credentials",
    "validate_branch",
    "validate_git_url",
]
