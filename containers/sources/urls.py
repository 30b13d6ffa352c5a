"""Checking a Git URL or branch a user typed, before Git sees it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

from .errors import SourceError

# --------------------------------------------------------------------------- URLs

_SCHEME_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
# Git's "<transport>::<address>" remote-helper syntax (ext::, fd::, anything::).
_REMOTE_HELPER = re.compile(r"^[A-Za-z0-9+.-]*::")
# scp-like "[user@]host:path": a colon before any slash, and no "://".
_SCP_LIKE = re.compile(
    r"^(?:(?P<user>[^@/:]+)@)?(?P<host>\[[^\]/]+\]|[^@/:\[\]]+):(?P<path>.*)$"
)
# Percent-encoded control characters (newline, carriage return, NUL, ...).
_ENCODED_CONTROL = re.compile(r"%(?:[01][0-9a-fA-F]|7[fF])")
_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s'\"]*)@"
)
_HOST_CHARS = re.compile(r"^(?:\[?[0-9A-Fa-f:.]+\]?|[A-Za-z0-9._~-]+)$")


def mask_credentials(text: str) -> str:
    """Hide passwords and tokens embedded in URLs anywhere in ``text``.

    ``https://user:secret@host/x`` becomes ``https://user:***@host/x``;
    ``https://token@host/x`` becomes ``https://***@host/x`` for http(s), where a
    lone user name is usually an access token. ``ssh://git@host`` is left alone.
    """

    def repl(match: re.Match[str]) -> str:
        scheme, userinfo = match.group("scheme"), match.group("userinfo")
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            return f"{scheme}{user}:***@"
        if scheme.lower().startswith("http") and userinfo:
            return f"{scheme}***@"
        return match.group(0)

    return _USERINFO.sub(repl, text)


def _strip_credentials(url: str) -> str:
    """The URL without any ``user:password@`` part (kept for ssh user names)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or "@" not in parts.netloc:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=netloc))


def _allowed_text(allow_http: bool, local: bool) -> str:
    schemes = "https://" + (" or http://" if allow_http else "")
    text = f"use an {schemes} URL, ssh://host/path or user@host:path"
    return text + (", or a local repository in an allowed folder" if local else "")


def _is_inside(path: str, roots: Sequence[str | os.PathLike[str]]) -> bool:
    real = os.path.realpath(path)
    for root in roots:
        if not str(root).strip():
            continue
        real_root = os.path.realpath(root)
        if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
            return True
    return False


def validate_git_url(
    url: str,
    allowed_local_roots: Sequence[str | os.PathLike[str]] = (),
    *,
    allow_http: bool = True,
) -> str:
    """Check a Git URL a user typed; return the URL to hand to ``git clone``.

    Accepted: ``https://``, ``http://`` (when ``allow_http``), ``ssh://`` and
    scp-like ``user@host:path``. Local repositories (``file://`` URLs or plain
    paths) only when they resolve inside one of ``allowed_local_roots``; they are
    returned as ``file://`` URLs of the resolved path. Everything else (remote
    helpers like ``ext::``, ``git://``, option injection, whitespace or control
    characters) raises :class:`SourceError`.
    """
    if not isinstance(url, str) or not url.strip():
        raise SourceError("Enter the URL of a Git repository.")
    shown = mask_credentials(url)
    allowed = _allowed_text(
        allow_http, any(str(root).strip() for root in allowed_local_roots)
    )

    def reject(reason: str) -> SourceError:
        return SourceError(f"Git URL {shown!r} is not allowed: {reason}; {allowed}.")

    if url.startswith("-"):
        raise reject("it starts with '-', which Git would read as an option")
    scheme_match = _SCHEME_URL.match(url)
    if scheme_match is None and _REMOTE_HELPER.match(url):
        raise reject(
            "Git remote helpers ('transport::address', such as ext::) are not allowed"
        )
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise reject("it contains spaces, line breaks or control characters")
    if _ENCODED_CONTROL.search(url):
        raise reject("it contains encoded control characters")

    if scheme_match is not None:
        scheme = scheme_match.group("scheme").lower()
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise reject("file:// URLs must point to this machine")
            return _validate_local(url, parts.path, allowed_local_roots, reject)
        if scheme not in ("https", "http", "ssh") or (
            scheme == "http" and not allow_http
        ):
            raise reject(f"the {scheme}:// protocol is not supported")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise reject(f"it is not a valid URL ({exc})") from None
        host = parts.hostname or ""
        if host.startswith("-") or (parts.username or "").startswith("-"):
            raise reject("its host or user name starts with '-'")
        if not host or not _HOST_CHARS.match(host):
            raise reject("it has no valid host name")
        if not parts.path.strip("/"):
            raise reject("it has no repository path")
        return url

    scp = _SCP_LIKE.match(url)
    if scp is not None and "/" not in url.split(":", 1)[0]:
        host, user, path = scp.group("host"), scp.group("user") or "", scp.group("path")
        if host.startswith("-") or user.startswith("-"):
            raise reject("its host or user name starts with '-'")
        if not _HOST_CHARS.match(host):
            raise reject("it has no valid host name")
        if not path.strip("/"):
            raise reject("it has no repository path")
        return url

    # Anything else is a local path.
    return _validate_local(url, url, allowed_local_roots, reject)


def _validate_local(
    url: str,
    path: str,
    roots: Sequence[str | os.PathLike[str]],
    reject: Callable[[str], SourceError],
) -> str:
    if not any(str(root).strip() for root in roots):
        raise reject("local repositories are not enabled on this Pier")
    if not path or not os.path.isabs(path):
        raise reject("local repositories must be given as an absolute path")
    if "%" in path:
        raise reject("local paths must not contain '%'")
    if not _is_inside(path, roots):
        raise reject("the path is outside the folders allowed for local repositories")
    real = os.path.realpath(path)
    if not os.path.isdir(real):
        raise SourceError(f"Local repository {url!r} does not exist.")
    return "file://" + real


_BRANCH_BAD = re.compile(
    r"(^[-/.])|(\.\.)|(@\{)|([\x00-\x20\x7f~^:?*\[\\])|(//)|([/.]$)|(\.lock$)|(/\.)"
)


def validate_branch(branch: str) -> str:
    """Check a branch (or tag) name the way ``git check-ref-format --branch`` would."""
    if not branch or len(branch) > 255 or branch == "@" or _BRANCH_BAD.search(branch):
        raise SourceError(
            f"Branch name {branch!r} is not valid: use letters, digits, '-', '_', '.' "
            "and '/' (not starting with '-')."
        )
    return branch


# --------------------------------------------------------------------------- clone
