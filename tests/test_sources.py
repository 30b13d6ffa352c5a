"""Tests for containers.sources: Git URL checks, clones, archives, Dockerfile lookup.

No database and no Django needed:
``pytest tests/test_sources.py -p no:django`` runs them.
Git repositories are real, served by ``git http-backend`` (tests/gitserver.py).
"""

from __future__ import annotations

import io
import os
import socket
import stat
import subprocess
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from containers.sources import (
    SourceError,
    clone_git,
    extract_archive,
    find_dockerfile,
    mask_credentials,
    validate_branch,
    validate_git_url,
)
from tests.gitserver import (
    EXAMPLES_DIR,
    GitServer,
    add_commit,
    free_port,
    git,
    make_repo_from_files,
)

pytest_plugins = ["tests.fixtures_git"]


# --------------------------------------------------------------------------- URLs

GOOD_URLS = [
    "https://github.com/org/repo.git",
    "https://github.com/org/repo",
    "http://127.0.0.1:8080/repo.git",
    "https://user:token@git.example.com/team/app.git",
    "https://[::1]:8443/repo.git",
    "ssh://git@github.com/org/repo.git",
    "ssh://git@git.example.com:2222/org/repo.git",
    "git@github.com:org/repo.git",
    "deploy@10.0.0.5:srv/git/app.git",
]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_good_urls_are_accepted_unchanged(url):
    assert validate_git_url(url, ()) == url


BAD_URLS = [
    # (url, words the message must contain)
    ("ext::sh -c touch% /tmp/pwned", "not allowed"),
    ("ext::sh%20-c%20id", "remote helper"),
    ("fd::17", "remote helper"),
    ("foo::https://github.com/org/repo", "remote helper"),
    ("git://github.com/org/repo.git", "git:// protocol"),
    ("ftp://example.com/repo.git", "ftp:// protocol"),
    ("file:///etc", "local repositories are not enabled"),
    ("/srv/git/repo.git", "local repositories are not enabled"),
    ("./repo", "local repositories are not enabled"),
    ("-uhttps://github.com/org/repo", "starts with '-'"),
    ("--upload-pack=touch /tmp/pwned", "starts with '-'"),
    ("-oProxyCommand=evil:repo", "starts with '-'"),
    ("ssh://-oProxyCommand=evil/repo.git", "starts with '-'"),
    ("ssh://-x@host/repo.git", "starts with '-'"),
    ("https://github.com/org/repo.git\n", "line breaks"),
    ("https://github.com/org/re po.git", "spaces"),
    ("https://github.com/org/repo\t.git", "spaces"),
    ("https://github.com/org/repo.git%0a", "encoded control"),
    ("https://github.com/org/repo.git%0D%0Ax", "encoded control"),
    ("https:///org/repo.git", "no valid host"),
    ("https://github.com", "no repository path"),
    ("https://github.com:99999/org/repo.git", "not a valid URL"),
    ("git@github.com:", "no repository path"),
    ("", "Enter the URL"),
]


@pytest.mark.parametrize(("url", "reason"), BAD_URLS)
def test_bad_urls_are_rejected_with_a_clear_message(url, reason):
    with pytest.raises(SourceError) as info:
        validate_git_url(url, ())
    message = str(info.value)
    assert reason in message
    if url:
        assert repr(url) in message or repr(mask_credentials(url)) in message
        assert "https://" in message  # says what is allowed


def test_http_can_be_switched_off():
    assert validate_git_url("http://lan-git/app.git", (), allow_http=True)
    with pytest.raises(SourceError, match="http:// protocol is not supported"):
        validate_git_url("http://lan-git/app.git", (), allow_http=False)


def test_rejection_message_masks_credentials():
    with pytest.raises(SourceError) as info:
        validate_git_url("https://alice:hunter2@example.com/re po.git", ())
    assert "hunter2" not in str(info.value)
    assert "alice:***@example.com" in str(info.value)


def test_mask_credentials():
    assert mask_credentials("https://u:p%40ss@h/x") == "https://u:***@h/x"
    assert mask_credentials("see 'http://ghp_token@h/x'") == "see 'http://***@h/x'"
    assert mask_credentials("ssh://git@h/x") == "ssh://git@h/x"
    assert mask_credentials("git@h:x") == "git@h:x"


@pytest.fixture
def local_roots(tmp_path):
    allowed = tmp_path / "allowed"
    outside = tmp_path / "outside"
    sibling = tmp_path / "allowed-evil"
    for folder in (allowed / "repo.git", outside / "repo.git", sibling / "repo.git"):
        folder.mkdir(parents=True)
    (allowed / "escape").symlink_to(outside)
    return allowed, outside, sibling


def test_local_paths_inside_allowed_roots(local_roots):
    allowed, _, _ = local_roots
    real = os.path.realpath(allowed / "repo.git")
    assert (
        validate_git_url(str(allowed / "repo.git"), [str(allowed)]) == f"file://{real}"
    )
    assert (
        validate_git_url(f"file://{allowed}/repo.git", [str(allowed)])
        == f"file://{real}"
    )


@pytest.mark.parametrize(
    "make_url",
    [
        lambda a, o, s: str(o / "repo.git"),
        lambda a, o, s: f"file://{o}/repo.git",
        lambda a, o, s: f"{a}/../outside/repo.git",
        lambda a, o, s: str(a / "escape" / "repo.git"),  # symlink out of the root
        lambda a, o, s: str(s / "repo.git"),  # prefix of the root's name
        lambda a, o, s: f"file://{a}/%2e%2e/outside/repo.git",
        lambda a, o, s: f"file://otherhost{a}/repo.git",
        lambda a, o, s: "repo.git",  # relative
    ],
)
def test_local_paths_outside_allowed_roots(local_roots, make_url):
    allowed, outside, sibling = local_roots
    with pytest.raises(SourceError, match="not allowed"):
        validate_git_url(make_url(allowed, outside, sibling), [str(allowed)])


@pytest.mark.parametrize(
    "branch", ["main", "release/1.2", "feature_x-y", "v1.0.0", "dependabot/npm/a-1.2"]
)
def test_good_branch_names(branch):
    assert validate_branch(branch) == branch


@pytest.mark.parametrize(
    "branch",
    [
        "",
        "-b",
        "--upload-pack=x",
        "a..b",
        "a b",
        "a\nb",
        "a~1",
        "a^",
        "a:b",
        "x.lock",
        "a/",
        "/a",
        "a//b",
        "@{-1}",
        ".hidden",
        "a/.b",
        "a\\b",
        "a*",
    ],
)
def test_bad_branch_names(branch):
    with pytest.raises(SourceError, match="Branch name"):
        validate_branch(branch)


# --------------------------------------------------------------------------- clones


@pytest.mark.parametrize("example", ["php-hello", "python-flask", "node-express"])
def test_clone_example_over_http(publish_repo, git_server, tmp_path, example):
    url = publish_repo(example)
    assert url.startswith("http://127.0.0.1:")
    lines: list[str] = []
    result = clone_git(url, "main", tmp_path / "src", log=lines.append)

    src = tmp_path / "src"
    assert result.path == src
    assert find_dockerfile(src) == src / "Dockerfile"
    for path in (EXAMPLES_DIR / example).iterdir():
        assert (src / path.name).read_bytes() == path.read_bytes()
    head = git("rev-parse", "refs/heads/main", cwd=git_server.repo_path(example))
    assert result.commit == head
    assert git("rev-list", "--count", "HEAD", cwd=src) == "1"  # shallow
    assert lines[0] == f"Cloning {url} (branch main)"
    assert any(line.startswith("Cloning into") for line in lines)
    assert any("Receiving objects: 100%" in line for line in lines)
    assert lines[-1].startswith("Checked out main at commit ")
    assert not (src / ".git" / "hooks").exists() or not any(
        (src / ".git" / "hooks").iterdir()
    )


def test_clone_logs_on_the_calling_thread_and_log_errors_stop_git(
    publish_repo, tmp_path
):
    url = publish_repo("php-hello")
    threads = set()
    clone_git(
        url, "main", tmp_path / "a", log=lambda line: threads.add(threading.get_ident())
    )
    assert threads == {threading.get_ident()}

    def broken_log(line):
        if line.startswith("Cloning into"):
            raise RuntimeError("log store is down")

    with pytest.raises(RuntimeError, match="log store is down"):
        clone_git(url, "main", tmp_path / "b", log=broken_log)
    assert not (tmp_path / "b").exists()


def test_clone_picks_the_branch(git_server, publish_repo, tmp_path):
    publish_repo("branches", files={"Dockerfile": "FROM busybox\n", "v": "main\n"})
    sha = add_commit(
        git_server.repo_path("branches"), {"v": "dev\n"}, branch="dev", message="dev"
    )
    result = clone_git(git_server.url_for("branches"), "dev", tmp_path / "dev")
    assert result.commit == sha
    assert (tmp_path / "dev" / "v").read_text() == "dev\n"
    assert git("branch", "--show-current", cwd=tmp_path / "dev") == "dev"


def test_missing_branch(publish_repo, tmp_path):
    url = publish_repo("php-hello")
    dest = tmp_path / "src"
    with pytest.raises(SourceError) as info:
        clone_git(url, "no-such-branch", dest)
    message = str(info.value)
    assert "Remote branch no-such-branch not found" in message
    assert url in message
    assert not dest.exists()


def test_missing_repository(git_server, tmp_path):
    url = git_server.url_for("does-not-exist")
    with pytest.raises(SourceError) as info:
        clone_git(url, "main", tmp_path / "src")
    assert "not found" in str(info.value)
    assert "does-not-exist.git" in str(info.value)


def test_unreachable_repository(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/app.git"
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        clone_git(url, "main", tmp_path / "src", timeout=30)
    assert time.monotonic() - started < 20
    message = str(info.value)
    assert f"Could not clone {url}" in message
    assert "Failed to connect" in message or "Couldn't connect" in message
    assert not (tmp_path / "src").exists()


def test_clone_times_out_and_kills_git(tmp_path):
    # A server that accepts connections and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/app.git"
        started = time.monotonic()
        with pytest.raises(SourceError, match="took longer than 2 seconds"):
            clone_git(url, "main", tmp_path / "src", timeout=2)
        assert time.monotonic() - started < 10
    assert not (tmp_path / "src").exists()


def test_clone_into_existing_empty_folder_and_refuse_non_empty(publish_repo, tmp_path):
    url = publish_repo("php-hello")
    empty = tmp_path / "empty"
    empty.mkdir()
    clone_git(url, "main", empty)
    assert (empty / "index.php").exists()
    with pytest.raises(SourceError, match="not empty"):
        clone_git(url, "main", empty)


def test_clone_rejects_bad_url_and_branch_before_running_git(tmp_path):
    with pytest.raises(SourceError, match="remote helper"):
        clone_git("ext::sh%20-c%20id", "main", tmp_path / "a")
    with pytest.raises(SourceError, match="Branch name"):
        clone_git("https://example.com/r.git", "--upload-pack=id", tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_clone_ignores_user_git_config(publish_repo, tmp_path, monkeypatch):
    url = publish_repo("php-hello")
    home = tmp_path / "home"
    home.mkdir()
    # If Git read this, every clone from our server would go to a dead port.
    (home / ".gitconfig").write_text(
        f'[url "http://127.0.0.1:{free_port()}/"]\n'
        f"\tinsteadOf = {url.rsplit('/', 1)[0]}/\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    clone_git(url, "main", tmp_path / "src")
    assert (tmp_path / "src" / "Dockerfile").exists()


def test_clone_with_credentials_never_shows_them(tmp_path):
    secret = "s3cr3t-pass"
    root = tmp_path / "repos"
    with GitServer(root, auth=("alice", secret)) as server:
        url = server.publish_files("private", {"Dockerfile": "FROM busybox\n"})
        assert url == server.url_for("private")
        good = server.url_for("private", with_auth=True)
        lines: list[str] = []
        clone_git(good, "main", tmp_path / "ok", log=lines.append)
        assert (tmp_path / "ok" / "Dockerfile").exists()
        assert all(secret not in line for line in lines)
        assert "alice:***@" in lines[0]
        # The clone's origin must not keep the password (it ends up in the context).
        assert secret not in (tmp_path / "ok" / ".git" / "config").read_text()
        assert git("remote", "get-url", "origin", cwd=tmp_path / "ok") == url

        bad = good.replace(secret, "wrong-" + secret)
        lines.clear()
        with pytest.raises(SourceError) as info:
            clone_git(bad, "main", tmp_path / "bad", log=lines.append)
        assert secret not in str(info.value)
        assert all(secret not in line for line in lines)
        assert "alice:***@" in str(info.value)
        assert "Authentication failed" in str(info.value) or "401" in str(info.value)

        # Without credentials Git must fail at once instead of prompting.
        with pytest.raises(
            SourceError, match="could not read Username|terminal prompts"
        ):
            clone_git(url, "main", tmp_path / "anon", timeout=20)


def test_clone_over_https(git_https_server, tmp_path):
    url = git_https_server.publish_example("python-flask")
    assert url.startswith("https://127.0.0.1:")
    clone_git(url, "main", tmp_path / "ok", env=git_https_server.client_env())
    assert (tmp_path / "ok" / "app.py").exists()
    # Without trusting the test CA, the certificate is refused.
    with pytest.raises(SourceError, match="(?i)certificate|issuer"):
        clone_git(
            url, "main", tmp_path / "untrusted", env={"GIT_SSL_CAINFO": os.devnull}
        )


def test_clone_local_repository_only_inside_allowed_roots(tmp_path):
    roots = tmp_path / "local"
    repo = make_repo_from_files(roots, "app", {"Dockerfile": "FROM busybox\n"})
    assert repo == roots / "app.git"
    result = clone_git(str(repo), "main", tmp_path / "src", allowed_local_roots=[roots])
    assert (result.path / "Dockerfile").exists()
    assert git("rev-list", "--count", "HEAD", cwd=tmp_path / "src") == "1"
    with pytest.raises(SourceError, match="local repositories are not enabled"):
        clone_git(str(repo), "main", tmp_path / "src2")
    with pytest.raises(SourceError, match="outside the folders allowed"):
        clone_git(
            str(repo), "main", tmp_path / "src3", allowed_local_roots=[tmp_path / "x"]
        )


# --------------------------------------------------------------------------- archives


def _tar_bytes(entries, mode="w:gz") -> bytes:
    """entries: list of TarInfo-builder tuples (name, type, data_or_linkname, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, kind, payload, perms in entries:
            info = tarfile.TarInfo(name)
            info.mode = perms
            info.type = kind
            if kind == tarfile.REGTYPE:
                data = payload if isinstance(payload, bytes) else payload.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                    info.linkname = payload
                tar.addfile(info)
    return buf.getvalue()


def _zip_bytes(entries) -> bytes:
    """entries: list of (name, content, unix_mode or None)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content, mode in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.create_system = 3
                info.external_attr = mode << 16
            zf.writestr(info, content)
    return buf.getvalue()


F, D, SYM, HARD = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE

APP_TREE = [
    ("app/", D, None, 0o755),
    ("app/Dockerfile", F, "FROM busybox\nCOPY . /app\n", 0o644),
    ("app/run.sh", F, "#!/bin/sh\necho hi\n", 0o755),
    ("app/src/main.txt", F, "hello\n", 0o644),
    ("app/link", SYM, "src/main.txt", 0o777),
    ("app/hard", HARD, "app/src/main.txt", 0o644),
]


class NonSeekable(io.RawIOBase):
    """A pipe-like stream: read() only, like a request body."""

    def __init__(self, data: bytes):
        self._buf = io.BytesIO(data)

    def readable(self):
        return True

    def seekable(self):
        return False

    def readinto(self, b):
        data = self._buf.read(len(b))
        b[: len(data)] = data
        return len(data)


@pytest.mark.parametrize(
    ("filename", "mode"),
    [
        ("app.tar.gz", "w:gz"),
        ("app.tgz", "w:gz"),
        ("app.tar", "w"),
        ("app.tar.xz", "w:xz"),
    ],
)
def test_good_tar_archive_with_single_top_folder(tmp_path, filename, mode):
    archive = tmp_path / filename
    archive.write_bytes(_tar_bytes(APP_TREE, mode))
    context = extract_archive(archive, filename, tmp_path / "build")
    assert context == tmp_path / "build" / "app"
    assert find_dockerfile(context) == context / "Dockerfile"
    assert (context / "src" / "main.txt").read_text() == "hello\n"
    assert os.readlink(context / "link") == "src/main.txt"
    assert (context / "hard").read_text() == "hello\n"
    assert os.stat(context / "run.sh").st_mode & 0o777 == 0o755
    assert os.stat(context / "Dockerfile").st_mode & 0o777 == 0o644


def test_tar_from_a_non_seekable_stream_and_dot_slash_names(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "Dockerfile").write_text("FROM busybox\n")
    (src / "sub" / "a.txt").write_text("a\n")
    archive = tmp_path / "ctx.tgz"
    subprocess.run(["tar", "-C", src, "-czf", archive, "."], check=True)
    stream = io.BufferedReader(NonSeekable(archive.read_bytes()))
    context = extract_archive(stream, "ctx.tgz", tmp_path / "build")
    # "./Dockerfile" and "./sub/": more than one top-level entry, so dest itself.
    assert context == tmp_path / "build"
    assert (context / "Dockerfile").read_text() == "FROM busybox\n"
    assert (context / "sub" / "a.txt").read_text() == "a\n"


def test_good_zip_archive(tmp_path):
    data = _zip_bytes(
        [
            ("Dockerfile", "FROM busybox\n", 0o100644),
            ("bin/start", "#!/bin/sh\n", 0o100755),
            ("docs/", "", 0o40755),
            ("readme.txt", "made on Windows", None),
            ("current", "bin/start", 0o120777),
        ]
    )
    context = extract_archive(io.BytesIO(data), "upload.zip", tmp_path / "build")
    assert context == tmp_path / "build"
    assert (context / "Dockerfile").read_text() == "FROM busybox\n"
    assert os.stat(context / "bin" / "start").st_mode & 0o777 == 0o755
    assert (context / "docs").is_dir()
    assert (context / "readme.txt").read_text() == "made on Windows"
    assert os.readlink(context / "current") == "bin/start"


def test_zip_with_single_top_folder_from_a_non_seekable_stream(tmp_path):
    data = _zip_bytes(
        [
            ("myapp-main/Dockerfile", "FROM busybox\n", 0o100644),
            ("myapp-main/app.py", "print('hi')\n", 0o100644),
            ("__MACOSX/myapp-main/._app.py", "junk", 0o100644),
        ]
    )
    stream = io.BufferedReader(NonSeekable(data))
    context = extract_archive(stream, "myapp-main.ZIP", tmp_path / "build")
    assert context == tmp_path / "build" / "myapp-main"
    assert find_dockerfile(context).name == "Dockerfile"
    assert not (tmp_path / "build" / "__MACOSX").exists()


MALICIOUS_TARS = [
    # (entries, bad entry name, words in the message)
    ([("../evil.txt", F, "x", 0o644)], "../evil.txt", "'..'"),
    ([("app/../../evil.txt", F, "x", 0o644)], "app/../../evil.txt", "'..'"),
    ([("/tmp/evil.txt", F, "x", 0o644)], "/tmp/evil.txt", "absolute path"),
    ([("app/link", SYM, "../../outside", 0o777)], "app/link", "symbolic link"),
    ([("link", SYM, "/etc/passwd", 0o777)], "link", "symbolic link"),
    ([("hard", HARD, "../outside/secret.txt", 0o644)], "hard", "hard link"),
    ([("hard", HARD, "/etc/passwd", 0o644)], "hard", "hard link"),
    # Write through a symlink, even one that points inside.
    (
        [("dir", D, None, 0o755), ("ln", SYM, "dir", 0o777), ("ln/x", F, "x", 0o644)],
        "ln/x",
        "through the symbolic link",
    ),
    # Chained links: lexically inside, really outside.
    (
        [
            ("x/", D, None, 0o755),
            ("x/y", SYM, "..", 0o777),
            ("p", SYM, "x/y/..", 0o777),
        ],
        "p",
        "resolves outside",
    ),
    ([("dev/null", tarfile.CHRTYPE, None, 0o666)], "dev/null", "device file"),
    ([("dev/sda", tarfile.BLKTYPE, None, 0o660)], "dev/sda", "device file"),
    ([("pipe", tarfile.FIFOTYPE, None, 0o644)], "pipe", "named pipe"),
]


@pytest.mark.parametrize(("entries", "bad", "reason"), MALICIOUS_TARS)
def test_malicious_tar_entries_are_rejected(tmp_path, entries, bad, reason):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret")
    build = tmp_path / "work" / "build"
    good = [("Dockerfile", F, "FROM busybox\n", 0o644)]
    with pytest.raises(SourceError) as info:
        extract_archive(io.BytesIO(_tar_bytes(good + entries)), "evil.tar.gz", build)
    message = str(info.value)
    assert f"entry {bad!r}" in message
    assert reason in message
    assert "evil.tar.gz" in message
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "work" / "evil.txt").exists()
    assert not Path("/tmp/evil.txt").exists()
    assert not build.exists()  # cleaned up


MALICIOUS_ZIPS = [
    ([("../evil.txt", "x", 0o100644)], "../evil.txt", "'..'"),
    ([("/tmp/evil.txt", "x", 0o100644)], "/tmp/evil.txt", "absolute path"),
    ([("..\\evil.txt", "x", None)], "..\\evil.txt", "'..'"),
    ([("C:/evil.txt", "x", None)], "C:/evil.txt", "absolute path"),
    ([("link", "../../outside", 0o120777)], "link", "symbolic link"),
    ([("link", "/etc", 0o120777)], "link", "symbolic link"),
    ([("dev", "", 0o020666)], "dev", "device file"),
]


@pytest.mark.parametrize(("entries", "bad", "reason"), MALICIOUS_ZIPS)
def test_malicious_zip_entries_are_rejected(tmp_path, entries, bad, reason):
    build = tmp_path / "work" / "build"
    build.mkdir(parents=True)  # an existing empty folder is emptied again on error
    data = _zip_bytes([("Dockerfile", "FROM busybox\n", 0o100644), *entries])
    with pytest.raises(SourceError) as info:
        extract_archive(io.BytesIO(data), "evil.zip", build)
    assert f"entry {bad!r}" in str(info.value)
    assert reason in str(info.value)
    assert not (tmp_path / "work" / "evil.txt").exists()
    assert build.is_dir() and not any(build.iterdir())


def test_archive_size_limits(tmp_path):
    big = [("Dockerfile", F, "FROM busybox\n", 0o644), ("blob", F, b"\0" * 5000, 0o644)]
    data = _tar_bytes(big)
    with pytest.raises(SourceError, match="unpacks to more than .* entry 'blob'"):
        extract_archive(io.BytesIO(data), "a.tgz", tmp_path / "a", max_bytes=4000)
    zdata = _zip_bytes([("blob", b"\0" * 5000, 0o100644)])
    with pytest.raises(SourceError, match="unpacks to more than .* entry 'blob'"):
        extract_archive(io.BytesIO(zdata), "a.zip", tmp_path / "b", max_bytes=4000)
    # Archive file itself too big (before unpacking anything).
    archive = tmp_path / "c.tgz"
    archive.write_bytes(data)
    with pytest.raises(SourceError, match="larger than the limit"):
        extract_archive(archive, "c.tgz", tmp_path / "c", max_archive_bytes=100)
    with pytest.raises(SourceError, match="larger than the limit"):
        extract_archive(
            io.BufferedReader(NonSeekable(zdata)),
            "c.zip",
            tmp_path / "d",
            max_archive_bytes=100,
        )
    many = [(f"f{i}", F, "x", 0o644) for i in range(20)]
    with pytest.raises(SourceError, match="more than 10 entries .*'f10'"):
        extract_archive(
            io.BytesIO(_tar_bytes(many)), "m.tar.gz", tmp_path / "e", max_members=10
        )


def test_zip_bomb_is_stopped_while_streaming(tmp_path):
    data = _zip_bytes([("bomb", b"\0" * (20 * 1024 * 1024), 0o100644)])
    assert len(data) < 100_000
    with pytest.raises(SourceError, match="unpacks to more than 1.0 MiB"):
        extract_archive(
            io.BytesIO(data), "bomb.zip", tmp_path / "b", max_bytes=1024 * 1024
        )
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("app.rar", b"Rar!", "Unsupported archive 'app.rar'"),
        ("app.tar.gz", b"not a tar", "not a valid tar archive"),
        ("app.zip", b"not a zip", "not a valid zip file"),
        ("app.tar.gz", _tar_bytes(APP_TREE)[:200], "app.tar.gz"),
    ],
)
def test_broken_or_unsupported_archives(tmp_path, filename, data, reason):
    with pytest.raises(SourceError, match=reason.replace(".", r"\.")):
        extract_archive(io.BytesIO(data), filename, tmp_path / "x")


def test_extract_refuses_non_empty_destination(tmp_path):
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "old").write_text("x")
    with pytest.raises(SourceError, match="not empty"):
        extract_archive(io.BytesIO(_tar_bytes(APP_TREE)), "a.tgz", tmp_path / "build")
    assert (tmp_path / "build" / "old").exists()


# --------------------------------------------------------------------------- Dockerfile


def test_find_dockerfile(tmp_path):
    with pytest.raises(SourceError) as info:
        find_dockerfile(tmp_path)
    assert str(info.value) == "No Dockerfile found at the top of the source"

    (tmp_path / "Dockerfile").mkdir()  # a folder is not a Dockerfile
    with pytest.raises(SourceError, match="No Dockerfile found"):
        find_dockerfile(tmp_path)
    (tmp_path / "Dockerfile").rmdir()

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").write_text("FROM busybox\n")
    with pytest.raises(SourceError, match="No Dockerfile found"):
        find_dockerfile(tmp_path)  # only the top counts

    (tmp_path / "dockerfile").write_text("FROM busybox\n")
    assert find_dockerfile(tmp_path) == tmp_path / "dockerfile"


def test_find_dockerfile_rejects_links_out_of_the_context(tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (tmp_path / "secret").write_text("FROM busybox\n")
    (context / "Dockerfile").symlink_to(tmp_path / "secret")
    with pytest.raises(SourceError, match="outside the source"):
        find_dockerfile(context)
    (context / "Dockerfile").unlink()
    (context / "real").write_text("FROM busybox\n")
    (context / "Dockerfile").symlink_to("real")
    assert find_dockerfile(context) == context / "Dockerfile"
    assert stat.S_ISLNK(os.lstat(find_dockerfile(context)).st_mode)
