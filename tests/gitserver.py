"""Serve real Git repositories over HTTP(S) for tests, with ``git http-backend``.

A small threaded ``http.server`` runs git's own CGI program (smart HTTP, protocol
v0/v1/v2, clone/fetch and optionally push) for every bare repository under a
root folder, on 127.0.0.1 and a free port::

    root = tmp_path / "repos"
    make_repo_from_folder("examples/php-hello", root, "php-hello")
    with GitServer(root) as server:
        url = server.url_for("php-hello")  # http://127.0.0.1:PORT/php-hello.git
        subprocess.run(["git", "clone", url, "dest"], check=True)

HTTPS: ``GitServer(root, tls=True)`` makes a throwaway CA and a certificate for
127.0.0.1/localhost with ``cryptography``; clients trust it through
``server.client_env()`` (``GIT_SSL_CAINFO``) or ``server.ca_file``.

Basic auth: ``GitServer(root, auth=("user", "secret"))`` answers 401 without it;
``server.url_for(name, with_auth=True)`` puts the credentials in the URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

__all__ = [
    "GIT_BACKEND",
    "GitServer",
    "add_commit",
    "git",
    "git_env",
    "make_repo_from_files",
    "make_repo_from_folder",
    "repo_dir_name",
]

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def _find_backend() -> str:
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return os.path.join(exec_path, "git-http-backend")


GIT_BACKEND = _find_backend()

_IGNORED = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", "node_modules")


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for test-side git commands: no user/system config, fixed author."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") or k in ("GIT_SSL_CAINFO",)
    }
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Pier Tests",
        GIT_AUTHOR_EMAIL="tests@pier.invalid",
        GIT_COMMITTER_NAME="Pier Tests",
        GIT_COMMITTER_EMAIL="tests@pier.invalid",
        LC_ALL="C",
    )
    if extra:
        env.update(extra)
    return env


def git(*args: str, cwd: str | os.PathLike[str] | None = None) -> str:
    """Run a git command for test setup; raise with git's output on failure."""
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(), capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"git {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout}{proc.stderr}"
        )
    return proc.stdout.strip()


def repo_dir_name(name: str) -> str:
    """Repository names map to ``<name>.git`` folders under the server root."""
    name = name.strip("/")
    return name if name.endswith(".git") else f"{name}.git"


def _commit_tree(worktree: Path, bare: Path, branch: str, message: str) -> None:
    git("init", "-q", "-b", branch, str(worktree))
    git("add", "-A", cwd=worktree)
    git("commit", "-q", "--allow-empty", "-m", message, cwd=worktree)
    git("push", "-q", str(bare), f"HEAD:refs/heads/{branch}", cwd=worktree)


def _init_bare(root_dir: str | os.PathLike[str], name: str, branch: str) -> Path:
    bare = Path(root_dir) / repo_dir_name(name)
    if bare.exists():
        raise FileExistsError(f"repository {bare} already exists")
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "--bare", "-b", branch, str(bare))
    git("config", "http.uploadpack", "true", cwd=bare)
    git("config", "http.receivepack", "true", cwd=bare)  # allow pushes in tests
    return bare


def make_repo_from_folder(
    src_folder: str | os.PathLike[str],
    root_dir: str | os.PathLike[str],
    name: str,
    branch: str = "main",
    message: str | None = None,
) -> Path:
    """Create bare repo ``<root_dir>/<name>.git`` with one commit of ``src_folder``.

    ``.git``, ``__pycache__`` and ``node_modules`` are left out. The repository
    allows upload-pack and receive-pack over HTTP and has ``update-server-info``
    run (so dumb HTTP works too). Returns the bare repository's path.
    """
    src_folder = Path(src_folder)
    if not src_folder.is_dir():
        raise FileNotFoundError(f"{src_folder} is not a folder")
    bare = _init_bare(root_dir, name, branch)
    with tempfile.TemporaryDirectory(prefix="pier-repo-") as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(src_folder, work, symlinks=True, ignore=_IGNORED)
        _commit_tree(work, bare, branch, message or f"Import {src_folder.name}")
    git("symbolic-ref", "HEAD", f"refs/heads/{branch}", cwd=bare)
    git("update-server-info", cwd=bare)
    return bare


def make_repo_from_files(
    root_dir: str | os.PathLike[str],
    name: str,
    files: Mapping[str, str | bytes],
    branch: str = "main",
    message: str = "Initial commit",
) -> Path:
    """Like :func:`make_repo_from_folder`, from a ``{relative path: content}`` dict."""
    with tempfile.TemporaryDirectory(prefix="pier-files-") as tmp:
        _write_files(Path(tmp), files)
        return make_repo_from_folder(
            tmp, root_dir, name, branch=branch, message=message
        )


def add_commit(
    bare_repo: str | os.PathLike[str],
    files: Mapping[str, str | bytes],
    branch: str = "main",
    message: str = "Update",
) -> str:
    """Commit ``files`` on ``branch`` (made if missing); return the new SHA."""
    bare_repo = Path(bare_repo)
    with tempfile.TemporaryDirectory(prefix="pier-commit-") as tmp:
        work = Path(tmp) / "work"
        git("clone", "-q", "--no-checkout", str(bare_repo), str(work))
        has_branch = bool(git("ls-remote", "--heads", "origin", branch, cwd=work))
        if has_branch:
            git("checkout", "-q", branch, cwd=work)
        else:
            git("checkout", "-q", "--orphan", branch, cwd=work)
            git("rm", "-rq", "--cached", "--ignore-unmatch", ".", cwd=work)
        _write_files(work, files)
        git("add", "-A", cwd=work)
        git("commit", "-q", "--allow-empty", "-m", message, cwd=work)
        git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
        sha = git("rev-parse", "HEAD", cwd=work)
    git("update-server-info", cwd=bare_repo)
    return sha


def _write_files(base: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


# --------------------------------------------------------------------------- TLS


def make_self_signed_cert(folder: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
    """Write a test CA and a server certificate for 127.0.0.1 / localhost.

    Returns ``(ca_file, cert_file, key_file)``.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    validity = (now - dt.timedelta(days=1), now + dt.timedelta(days=30))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pier test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    ca_file, cert_file, key_file = (
        folder / "ca.pem",
        folder / "cert.pem",
        folder / "key.pem",
    )
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


# --------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes

    def do_GET(self) -> None:  # noqa: N802
        self._run_backend()

    def do_POST(self) -> None:  # noqa: N802
        self._run_backend()

    def do_HEAD(self) -> None:  # noqa: N802
        self._run_backend()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # requests are recorded in GitServer.requests instead

    def _authorized(self) -> bool:
        expected = self.server.git_server.auth
        if expected is None:
            return True
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except Exception:
            return False
        return (user, password) == expected

    def _run_backend(self) -> None:
        owner = self.server.git_server
        split = urlsplit(self.path)
        if not self._authorized():
            owner._record(self.command, self.path, 401)
            self.send_response(HTTPStatus.UNAUTHORIZED)
            self.send_header("WWW-Authenticate", 'Basic realm="Pier test git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return

        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(owner.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.0",
            "SERVER_SOFTWARE": "pier-test-gitserver",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": unquote(split.path),
            "QUERY_STRING": split.query,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
        }
        if owner.auth is not None:
            env["REMOTE_USER"] = owner.auth[0]
        for header, var in (
            ("Git-Protocol", "HTTP_GIT_PROTOCOL"),
            ("Content-Encoding", "HTTP_CONTENT_ENCODING"),
            ("Accept", "HTTP_ACCEPT"),
        ):
            value = self.headers.get(header)
            if value:
                env[var] = value
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length = self.headers.get("Content-Length")
        if length is not None and not chunked:
            env["CONTENT_LENGTH"] = length

        proc = subprocess.Popen(
            [GIT_BACKEND],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        feeder = threading.Thread(
            target=self._feed_body, args=(proc, chunked, length), daemon=True
        )
        feeder.start()
        errors: list[bytes] = []
        drain = threading.Thread(
            target=lambda: errors.append(proc.stderr.read()), daemon=True
        )
        drain.start()
        status = 500
        try:
            status = self._relay_response(proc)
        finally:
            proc.stdout.close()
            proc.wait()
            feeder.join(5)
            drain.join(5)
            stderr = b"".join(errors).decode("utf-8", "replace").strip()
            owner._record(self.command, self.path, status, stderr)

    def _feed_body(self, proc: subprocess.Popen[bytes], chunked: bool, length) -> None:
        stdin = proc.stdin
        try:
            if chunked:
                while True:
                    size_line = self.rfile.readline()
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        # trailers until an empty line
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    stdin.write(self.rfile.read(size))
                    self.rfile.readline()  # CRLF after each chunk
            elif length:
                remaining = int(length)
                while remaining > 0:
                    data = self.rfile.read(min(65536, remaining))
                    if not data:
                        break
                    stdin.write(data)
                    remaining -= len(data)
        except (BrokenPipeError, ValueError, OSError):
            pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _relay_response(self, proc: subprocess.Popen[bytes]) -> int:
        """Turn the CGI output into an HTTP response, streaming the body."""
        stdout = proc.stdout
        status, reason = 200, "OK"
        headers: list[tuple[str, str]] = []
        while True:
            line = stdout.readline()
            if not line or line in (b"\r\n", b"\n"):
                break
            key, _, value = line.decode("latin-1").rstrip("\r\n").partition(":")
            value = value.strip()
            if key.lower() == "status":
                code, _, reason = value.partition(" ")
                status = int(code)
            else:
                headers.append((key, value))
        self.send_response(status, reason or None)
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            while True:
                chunk = stdout.read1(65536)
                if not chunk:
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
        return status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    git_server: GitServer

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        # Send TLS close_notify before closing, or GnuTLS clients complain that
        # "the TLS connection was non-properly terminated".
        if isinstance(request, ssl.SSLSocket):
            try:
                request.unwrap()
            except (OSError, ValueError):
                pass
        super().shutdown_request(request)


class GitServer:
    """Serve every bare repository under ``root_dir`` over smart HTTP(S).

    Use as a context manager or call :meth:`start` / :meth:`stop`. ``port=0``
    picks a free port. ``requests`` lists ``(method, path, status)`` for each
    request served (``errors`` holds http-backend's stderr lines).
    """

    def __init__(
        self,
        root_dir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        auth: tuple[str, str] | None = None,
        cert_dir: str | os.PathLike[str] | None = None,
    ):
        self.root = Path(root_dir).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port
        self.tls = tls
        self.auth = auth
        self._cert_dir = Path(cert_dir) if cert_dir else None
        self.ca_file: Path | None = None
        self.requests: list[tuple[str, str, int]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> GitServer:
        if self._httpd is not None:
            return self
        httpd = _Server((self.host, self.port), _Handler)
        httpd.git_server = self
        if self.tls:
            cert_dir = self._cert_dir or Path(tempfile.mkdtemp(prefix="pier-git-tls-"))
            self.ca_file, cert_file, key_file = make_self_signed_cert(cert_dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_file, key_file)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, name=f"git-server-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> GitServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses
    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("GitServer is not started")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def url_for(self, repo_name: str, *, with_auth: bool = False) -> str:
        """Clone URL of ``<root>/<repo_name>.git``; ``with_auth`` adds user:password."""
        base = self.base_url
        if with_auth:
            if self.auth is None:
                raise ValueError("this GitServer has no auth configured")
            user, password = (quote(part, safe="") for part in self.auth)
            scheme, rest = base.split("://", 1)
            base = f"{scheme}://{user}:{password}@{rest}"
        return f"{base}/{repo_dir_name(repo_name)}"

    def client_env(self) -> dict[str, str]:
        """Environment variables a git client needs to talk to this server."""
        return {"GIT_SSL_CAINFO": str(self.ca_file)} if self.ca_file else {}

    def repo_path(self, repo_name: str) -> Path:
        return self.root / repo_dir_name(repo_name)

    # -- publishing helpers
    def publish_folder(
        self, src_folder: str | os.PathLike[str], name: str, branch: str = "main"
    ) -> str:
        """Publish a folder as repository ``name`` (once) and return its URL."""
        if not self.repo_path(name).exists():
            make_repo_from_folder(src_folder, self.root, name, branch=branch)
        return self.url_for(name)

    def publish_example(self, example_name: str, branch: str = "main") -> str:
        """Publish ``examples/<example_name>`` of this project; return its URL."""
        src = EXAMPLES_DIR / example_name
        if not src.is_dir():
            raise FileNotFoundError(
                f"no example named {example_name!r} in {EXAMPLES_DIR}"
            )
        return self.publish_folder(src, example_name, branch=branch)

    def publish_files(
        self, name: str, files: Mapping[str, str | bytes], branch: str = "main"
    ) -> str:
        """Publish a ``{path: content}`` dict as repository ``name``; return its URL."""
        if not self.repo_path(name).exists():
            make_repo_from_files(self.root, name, files, branch=branch)
        return self.url_for(name)

    def _record(self, method: str, path: str, status: int, stderr: str = "") -> None:
        with self._lock:
            self.requests.append((method, path, status))
            if stderr:
                self.errors.extend(stderr.splitlines())


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for 'unreachable server' tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def example_names() -> Iterable[str]:
    return sorted(p.name for p in EXAMPLES_DIR.iterdir() if (p / "Dockerfile").exists())
