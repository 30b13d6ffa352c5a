"""A registry with token authentication and the token server it trusts.

`TokenServer` implements the token endpoint of the Docker Registry v2 token
flow on 127.0.0.1: it checks HTTP basic credentials against its users and
issues an RS256 JWT signed with an RSA key made at start. The signing
certificate travels in the token's `x5c` header, and the registry trusts it
through its `rootcertbundle`. Each token's `access` claim grants the requested
actions on every requested scope whose resource type the user may use, and
`omit_token` makes it return a response without a token.

`running_token_registry` starts both, with Debian's `docker-registry` set to
`auth: token`.
"""

import base64
import datetime
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.registry import CONFIG_START, TestRegistry, serve_registry
from tests.stack import free_tcp_port

SERVICE = "pier-test-registry"
ISSUER = "pier-test-token-issuer"
ALL_TYPES = frozenset({"registry", "repository"})
CONFIG = (
    CONFIG_START
    + """\
auth:
  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {certificate}
catalog:
  maxentries: {page_size}
"""
)


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signing_pair() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Make an RSA key and a self-signed certificate for it, valid for a day."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def parse_scope(scope: str) -> dict | None:
    """Split `type:name:actions`. The name may contain a colon before a port."""
    resource_type, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not resource_type or not name:
        return None
    return {
        "type": resource_type,
        "name": name,
        "actions": [action for action in actions.split(",") if action],
    }


@dataclass
class TokenRequest:
    """What the token server received: the user (if any) and the scopes."""

    username: str
    scopes: list[str]
    granted: bool


@dataclass
class TokenServer:
    """The token endpoint. `users` maps a user name to its password and types."""

    users: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    expires_in: int = 300
    omit_token: bool = False
    requests: list[TokenRequest] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key, self.certificate = _signing_pair()
        self.port = free_tcp_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def add_user(
        self, username: str, password: str, types: frozenset[str] = ALL_TYPES
    ) -> None:
        """Let `username` log in, with access only to resources of `types`."""
        self.users[username] = (password, types)

    def token_for(self, username: str, scopes: list[str]) -> str:
        """Sign a JWT that grants `username` what it may have of `scopes`."""
        types = self.users[username][1]
        access = [
            entry
            for entry in map(parse_scope, scopes)
            if entry is not None and entry["type"] in types
        ]
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [
                base64.b64encode(
                    self.certificate.public_bytes(serialization.Encoding.DER)
                ).decode()
            ],
        }
        claims = {
            "iss": ISSUER,
            "sub": username,
            "aud": SERVICE,
            "exp": now + self.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing_input = ".".join(
            _base64url(json.dumps(part).encode()) for part in (header, claims)
        )
        signature = self.key.sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signing_input}.{_base64url(signature)}"

    def check(self, authorization: str) -> str | None:
        """Return the user that HTTP basic `authorization` names, if it is right."""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except ValueError:
            return None
        username, _, password = decoded.partition(":")
        stored = self.users.get(username)
        if stored is None or not secrets.compare_digest(stored[0], password):
            return None
        return username

    def scopes_requested(self) -> list[str]:
        return [scope for request in self.requests for scope in request.scopes]

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.respond(self)

            def log_message(self, format: str, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the port, so that requests to the realm are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        query = parse_qs(url.query)
        scopes = [part for value in query.get("scope", []) for part in value.split()]
        username = self.check(handler.headers.get("Authorization", ""))
        self.requests.append(TokenRequest(username or "", scopes, username is not None))
        if url.path != "/token":
            self._send(handler, 404, {"details": "not found"})
        elif query.get("service") != [SERVICE]:
            self._send(handler, 400, {"details": "unknown service"})
        elif username is None:
            self._send(handler, 401, {"details": "incorrect username or password"})
        elif self.omit_token:
            self._send(handler, 200, {"expires_in": self.expires_in})
        else:
            token = self.token_for(username, scopes)
            self.issued.append(token)
            issued_at = datetime.datetime.now(datetime.UTC).isoformat()
            body = {
                "token": token,
                "access_token": token,
                "expires_in": self.expires_in,
                "issued_at": issued_at,
            }
            self._send(handler, 200, body)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


@dataclass
class TokenRegistry:
    """A running registry with token authentication and its token server."""

    registry: TestRegistry
    tokens: TokenServer

    @property
    def url(self) -> str:
        return self.registry.url

    @property
    def username(self) -> str:
        return self.registry.username

    @property
    def password(self) -> str:
        return self.registry.password


def running_token_registry(
    folder: Path, page_size: int = 1000
) -> Iterator[TokenRegistry]:
    """Yield a token server with user `pier` and a registry that trusts it.

    The registry lists at most `page_size` repositories per catalog page, and
    rejects a request for more.
    """
    password = f"pw-{uuid.uuid4().hex[:10]}"
    tokens = TokenServer()
    tokens.add_user("pier", password)
    tokens.start()
    certificate = folder / "token-issuer.pem"
    certificate.write_bytes(tokens.certificate_pem())
    port = free_tcp_port()
    config = folder / "config.yml"
    config.write_text(
        CONFIG.format(
            storage=folder / "storage",
            port=port,
            secret=uuid.uuid4().hex,
            realm=tokens.realm,
            service=SERVICE,
            issuer=ISSUER,
            certificate=certificate,
            page_size=page_size,
        )
    )
    try:
        process, log_path = serve_registry(folder, config, port)
    except RuntimeError:
        tokens.stop()
        raise
    registry = TestRegistry(f"127.0.0.1:{port}", "pier", password, process, log_path)
    try:
        yield TokenRegistry(registry, tokens)
    finally:
        registry.stop()
        tokens.stop()


def push_busybox(docker_api, registry: TokenRegistry, repository: str, tag: str) -> str:
    """Push busybox:latest as repository:tag, logging in through the engine.

    The local tag is removed afterwards, and busybox itself stays.
    """
    remote = f"{registry.url}/{repository}"
    docker_api.tag("busybox:latest", remote, tag)
    try:
        output = list(
            docker_api.push(
                remote,
                tag,
                auth_config={
                    "username": registry.username,
                    "password": registry.password,
                },
                stream=True,
                decode=True,
            )
        )
    finally:
        docker_api.remove_image(f"{remote}:{tag}")
    errors = [chunk["error"] for chunk in output if "error" in chunk]
    if errors:
        raise RuntimeError(f"Pushing {remote}:{tag} failed: {errors}")
    return f"{remote}:{tag}"
