"""Unpacking uploaded archives so that no entry lands outside the build folder."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import IO, BinaryIO

from .errors import SourceError
from .folders import clean_dest, prepare_dest

DEFAULT_MAX_ARCHIVE_BYTES = 512 * 1024 * 1024  # total size of the extracted files
DEFAULT_MAX_ARCHIVE_MEMBERS = 20_000
ARCHIVE_SUFFIXES = (
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.bz2",
    ".tbz2",
    ".tar.xz",
    ".txz",
    ".zip",
)

_COPY_CHUNK = 64 * 1024


class _LimitedReader(io.RawIOBase):
    """Wrap a binary stream; raise SourceError after more than ``limit`` bytes."""

    def __init__(self, raw: BinaryIO, limit: int, filename: str):
        self._raw, self._limit, self._filename, self.count = raw, limit, filename, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        self.count += n
        if self.count > self._limit:
            raise SourceError(
                f"Archive {self._filename!r} is larger than the limit of "
                f"{_human(self._limit)}."
            )
        buffer[:n] = data
        return n


def _human(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def _archive_kind(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith(ARCHIVE_SUFFIXES):
        return "tar"
    raise SourceError(
        f"Unsupported archive {filename!r}: upload a .tar.gz, .tgz, .tar or .zip file."
    )


class _Extractor:
    """Writes archive entries under ``dest`` with every path checked first."""

    def __init__(self, dest: Path, filename: str, max_bytes: int, max_members: int):
        self.dest = dest
        self.real_dest = os.path.realpath(dest)
        self.filename = filename
        self.max_bytes = max_bytes
        self.max_members = max_members
        self.members = 0
        self.total = 0
        self.symlinks: list[tuple[str, Path]] = []

    # -- checks
    def bad(self, name: str, reason: str) -> SourceError:
        return SourceError(
            f"Archive {self.filename!r} was rejected: entry {name!r} {reason}."
        )

    def count_member(self, name: str) -> None:
        self.members += 1
        if self.members > self.max_members:
            raise SourceError(
                f"Archive {self.filename!r} has more than {self.max_members} entries "
                f"(stopped at {name!r})."
            )

    def clean_name(self, name: str) -> tuple[str, ...] | None:
        """Archive path -> safe relative parts; None for the root entry itself."""
        if "\x00" in name:
            raise self.bad(name, "has a NUL character in its name")
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise self.bad(name, "has an absolute path")
        parts = [p for p in re.split(r"[/\\]", name) if p not in ("", ".")]
        if ".." in parts:
            raise self.bad(
                name, "has a '..' path component that leaves the build folder"
            )
        if not parts:
            return None
        return tuple(parts)

    def link_target_ok(self, parts: tuple[str, ...], target: str) -> bool:
        """Lexical check: does a link at ``parts`` to ``target`` stay inside?"""
        if not target or "\x00" in target or target.startswith(("/", "\\")):
            return False
        if re.match(r"^[A-Za-z]:", target):
            return False
        depth = len(parts) - 1  # the folder holding the link
        for piece in re.split(r"[/\\]", target):
            if piece in ("", "."):
                continue
            if piece == "..":
                depth -= 1
                if depth < 0:
                    return False
            else:
                depth += 1
        return True

    def parent_dir(self, name: str, parts: tuple[str, ...]) -> Path:
        """Create the folders for an entry; refuse to go through symlinks or files."""
        current = self.dest
        for piece in parts[:-1]:
            current = current / piece
            try:
                st = os.lstat(current)
            except FileNotFoundError:
                os.mkdir(current, 0o755)
                continue
            if stat.S_ISLNK(st.st_mode):
                raise self.bad(
                    name, f"would be written through the symbolic link {piece!r}"
                )
            if not stat.S_ISDIR(st.st_mode):
                raise self.bad(name, f"is inside {piece!r}, which is not a folder")
        return current

    def free_slot(self, name: str, path: Path, want_dir: bool = False) -> bool:
        """Make room for an entry at ``path``; True if a folder is already there."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return False
        if stat.S_ISDIR(st.st_mode):
            if want_dir:
                return True
            raise self.bad(name, "replaces a folder with a file")
        if want_dir:
            raise self.bad(name, "replaces a file with a folder")
        os.unlink(path)  # later duplicates win, as with tar; never write through a link
        return False

    # -- writers
    def add_dir(self, name: str, parts: tuple[str, ...]) -> None:
        parent = self.parent_dir(name, parts)
        path = parent / parts[-1]
        if not self.free_slot(name, path, want_dir=True):
            os.mkdir(path, 0o755)

    def add_file(
        self,
        name: str,
        parts: tuple[str, ...],
        src: IO[bytes],
        mode: int,
        size_hint: int | None = None,
    ) -> None:
        if size_hint is not None and self.total + size_hint > self.max_bytes:
            raise self.too_big(name)
        parent = self.parent_dir(name, parts)
        path = parent / parts[-1]
        self.free_slot(name, path)
        perms = 0o755 if mode & 0o111 else 0o644
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, perms)
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = src.read(_COPY_CHUNK)
                if not chunk:
                    break
                self.total += len(chunk)
                if self.total > self.max_bytes:
                    raise self.too_big(name)
                out.write(chunk)
        os.chmod(path, perms)

    def add_symlink(self, name: str, parts: tuple[str, ...], target: str) -> None:
        if not self.link_target_ok(parts, target):
            raise self.bad(
                name, f"is a symbolic link to {target!r}, outside the build folder"
            )
        parent = self.parent_dir(name, parts)
        path = parent / parts[-1]
        self.free_slot(name, path)
        os.symlink(target, path)
        self.symlinks.append((name, path))

    def add_hardlink(self, name: str, parts: tuple[str, ...], target: str) -> None:
        target_parts = None
        try:
            target_parts = self.clean_name(target)
        except SourceError:
            target_parts = None
        if not target_parts:
            raise self.bad(
                name, f"is a hard link to {target!r}, outside the build folder"
            )
        # Copy the already-extracted file instead of linking to it.
        src = self.dest.joinpath(*target_parts)
        real_src = os.path.realpath(src)
        if not self.inside(real_src):
            raise self.bad(
                name, f"is a hard link to {target!r}, outside the build folder"
            )
        try:
            st = os.lstat(src)
        except FileNotFoundError:
            raise self.bad(
                name, f"is a hard link to {target!r}, which is not in the archive"
            ) from None
        if not stat.S_ISREG(st.st_mode):
            raise self.bad(
                name, f"is a hard link to {target!r}, which is not a regular file"
            )
        with open(src, "rb") as fh:
            self.add_file(name, parts, fh, st.st_mode, st.st_size)

    def too_big(self, name: str) -> SourceError:
        return SourceError(
            f"Archive {self.filename!r} unpacks to more than {_human(self.max_bytes)} "
            f"(stopped at entry {name!r})."
        )

    def inside(self, real: str) -> bool:
        return real == self.real_dest or real.startswith(
            self.real_dest.rstrip(os.sep) + os.sep
        )

    def check_symlinks(self) -> None:
        """After extraction: every symlink must really resolve inside dest."""
        for name, path in self.symlinks:
            if not self.inside(os.path.realpath(path)):
                raise self.bad(
                    name,
                    f"is a symbolic link to {os.readlink(path)!r}, "
                    "which resolves outside the build folder",
                )


def _extract_tar(fileobj: BinaryIO, ex: _Extractor) -> None:
    try:
        with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
            for member in tar:
                name = member.name
                ex.count_member(name)
                parts = ex.clean_name(name)
                if parts is None:
                    if member.isdir():
                        continue
                    raise ex.bad(name, "has an empty name")
                if parts[0] == "__MACOSX":
                    continue
                if member.isdir():
                    ex.add_dir(name, parts)
                elif member.isreg():
                    src = tar.extractfile(member)
                    assert src is not None
                    ex.add_file(name, parts, src, member.mode, member.size)
                elif member.issym():
                    ex.add_symlink(name, parts, member.linkname)
                elif member.islnk():
                    ex.add_hardlink(name, parts, member.linkname)
                elif member.ischr() or member.isblk():
                    raise ex.bad(name, "is a device file")
                elif member.isfifo():
                    raise ex.bad(name, "is a named pipe")
                else:
                    raise ex.bad(name, "is not a regular file, folder or link")
    except tarfile.TarError as exc:
        raise SourceError(
            f"Archive {ex.filename!r} is not a valid tar archive: {exc}."
        ) from None
    except EOFError:
        raise SourceError(f"Archive {ex.filename!r} is truncated.") from None


def _extract_zip(fileobj: BinaryIO, ex: _Extractor) -> None:
    try:
        with zipfile.ZipFile(fileobj) as zf:
            for info in zf.infolist():
                name = info.filename
                ex.count_member(name)
                parts = ex.clean_name(name)
                if parts is None:
                    if info.is_dir():
                        continue
                    raise ex.bad(name, "has an empty name")
                if parts[0] == "__MACOSX":
                    continue
                if info.flag_bits & 0x1:
                    raise ex.bad(name, "is encrypted")
                mode = info.external_attr >> 16 if info.create_system == 3 else 0
                ftype = stat.S_IFMT(mode)
                if info.is_dir() or ftype == stat.S_IFDIR:
                    ex.add_dir(name, parts)
                elif ftype == stat.S_IFLNK:
                    if info.file_size > 4096:
                        raise ex.bad(name, "is a symbolic link with an overlong target")
                    with zf.open(info) as src:
                        target = src.read(4097).decode("utf-8", "replace")
                    ex.add_symlink(name, parts, target)
                elif ftype in (0, stat.S_IFREG):
                    with zf.open(info) as src:
                        ex.add_file(name, parts, src, mode, info.file_size)
                elif ftype in (stat.S_IFCHR, stat.S_IFBLK):
                    raise ex.bad(name, "is a device file")
                else:
                    raise ex.bad(name, "is not a regular file, folder or link")
    except zipfile.BadZipFile as exc:
        raise SourceError(
            f"Archive {ex.filename!r} is not a valid zip file: {exc}."
        ) from None
    except NotImplementedError as exc:  # unsupported compression method
        raise SourceError(
            f"Archive {ex.filename!r} uses an unsupported format: {exc}."
        ) from None


def extract_archive(
    path_or_fileobj: str | os.PathLike[str] | BinaryIO,
    filename: str | None,
    dest: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
    max_members: int = DEFAULT_MAX_ARCHIVE_MEMBERS,
    max_archive_bytes: int | None = None,
) -> Path:
    """Unpack an uploaded archive into the fresh folder ``dest``; return the context.

    ``filename`` (the uploaded file's name) picks the format: ``.tar.gz``,
    ``.tgz``, ``.tar`` (also ``.tar.bz2``/``.tar.xz``) or ``.zip``. Tar archives
    are read as a stream; zip files need a seekable file (a non-seekable stream is
    spooled to a temporary file first). Nothing is read whole into memory.

    Rejected with :class:`SourceError` naming the entry: absolute paths, ``..``
    components, symlinks or hard links that leave ``dest``, writes through
    symlinks, device files and pipes, encrypted zip entries, more than
    ``max_members`` entries, more than ``max_bytes`` of extracted data, or an
    archive file over ``max_archive_bytes`` (default: ``max_bytes``). On failure
    ``dest`` is emptied again.

    If everything sits in a single top-level folder, that folder is the build
    context; otherwise ``dest`` is.
    """
    if isinstance(path_or_fileobj, (str, os.PathLike)):
        filename = filename or os.path.basename(os.fspath(path_or_fileobj))
    filename = os.path.basename(filename or "")
    kind = _archive_kind(filename)
    archive_limit = max_archive_bytes if max_archive_bytes is not None else max_bytes
    dest = Path(dest)
    existed = prepare_dest(dest)
    dest.mkdir(exist_ok=True)
    ex = _Extractor(dest, filename, max_bytes, max_members)

    try:
        if isinstance(path_or_fileobj, (str, os.PathLike)):
            path = os.fspath(path_or_fileobj)
            if os.path.getsize(path) > archive_limit:
                raise SourceError(
                    f"Archive {filename!r} is larger than the limit of "
                    f"{_human(archive_limit)}."
                )
            with open(path, "rb") as fh:
                _extract_from(fh, kind, ex, archive_limit)
        else:
            _extract_from(path_or_fileobj, kind, ex, archive_limit)
        ex.check_symlinks()
    except SourceError:
        clean_dest(dest, existed)
        raise
    except OSError as exc:
        clean_dest(dest, existed)
        raise SourceError(
            f"Archive {filename!r} could not be unpacked: {exc.strerror or exc}."
        ) from None
    except BaseException:
        clean_dest(dest, existed)
        raise

    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return dest


def _extract_from(fileobj: BinaryIO, kind: str, ex: _Extractor, limit: int) -> None:
    if kind == "tar":
        limited = io.BufferedReader(
            _LimitedReader(fileobj, limit, ex.filename), _COPY_CHUNK
        )
        _extract_tar(limited, ex)  # type: ignore[arg-type]
        return
    seekable = getattr(fileobj, "seekable", lambda: False)()
    if seekable:
        start = fileobj.tell()
        size = fileobj.seek(0, os.SEEK_END) - start
        fileobj.seek(start)
        if size > limit:
            raise SourceError(
                f"Archive {ex.filename!r} is larger than the limit of {_human(limit)}."
            )
        _extract_zip(fileobj, ex)
        return
    # Zip needs random access: spool the stream to disk (bounded), then read it.
    with tempfile.TemporaryFile() as spool:
        limited = _LimitedReader(fileobj, limit, ex.filename)
        shutil.copyfileobj(io.BufferedReader(limited, _COPY_CHUNK), spool, _COPY_CHUNK)
        spool.seek(0)
        _extract_zip(spool, ex)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Dockerfile


def find_dockerfile(context: str | os.PathLike[str]) -> Path:
    """Return the ``Dockerfile`` (or ``dockerfile``) at the top of ``context``.

    A Dockerfile that is a symbolic link pointing outside the context, or that is
    not a regular file, does not count.
    """
    context = Path(context)
    real_context = os.path.realpath(context)
    for name in ("Dockerfile", "dockerfile"):
        candidate = context / name
        if (
            not candidate.is_file()
        ):  # follows links; missing, folders and dangling links fail
            continue
        real = os.path.realpath(candidate)
        if real.startswith(real_context.rstrip(os.sep) + os.sep):
            return candidate
        raise SourceError(
            f"The {name} at the top of the source is a link to a file outside "
            "the source."
        )
    raise SourceError("No Dockerfile found at the top of the source")
