"""Docker over SSH with a stored private key and a pinned host key.

The SDK's paramiko adapter reads ~/.ssh/config, the system known_hosts and the
SSH agent of the user running Pier. This adapter uses only what the DockerHost
row stores: its private key, and the server's host key recorded on the first
connection (trust on first use). A server offering another key is rejected.

Each HTTP connection is an SSH channel running `docker system dial-stdio` on
the remote side, so the remote user needs the `docker` CLI and access to the
engine. The channel is wrapped so that the SDK can close a blocking stream
(events, logs) from another thread, as it does for TCP sockets.
"""

import base64
import io
import logging
from pathlib import Path
from urllib.parse import urlsplit

import docker
import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from docker.transport.sshconn import (
    SSHConnection,
    SSHConnectionPool,
    SSHHTTPAdapter,
)

from .models import DockerHost

logger = logging.getLogger(__name__)

DIAL_COMMAND = "docker system dial-stdio"
KEEPALIVE_SECONDS = 15
KEY_CLASSES = (
    (ed25519.Ed25519PrivateKey, paramiko.Ed25519Key),
    (ec.EllipticCurvePrivateKey, paramiko.ECDSAKey),
    (rsa.RSAPrivateKey, paramiko.RSAKey),
)


class SSHConnectError(ConnectionError):
    """An SSH connection to a Docker host failed; the message is fit for the page."""


class HostKeyMismatch(paramiko.SSHException):
    """The SSH server offered a host key other than the one recorded."""


def parse_target(url: str) -> tuple[str, str, int]:
    """Split ssh://USER@HOST[:PORT] into (user, host, port); raise ValueError."""
    parts = urlsplit(url)
    if parts.scheme != "ssh" or not parts.hostname:
        raise ValueError(f"{url} is not an ssh://USER@HOST[:PORT] address.")
    if not parts.username:
        raise ValueError(f"{url} names no user: write ssh://USER@HOST[:PORT].")
    if parts.path not in ("", "/") or parts.query or parts.password:
        raise ValueError(f"{url} may contain only a user, a host and a port.")
    return parts.username, parts.hostname, parts.port or 22


def load_private_key(text: str) -> paramiko.PKey:
    """Parse an unencrypted Ed25519, ECDSA or RSA private key; raise ValueError."""
    data = text.strip().encode() + b"\n"
    try:
        try:
            parsed = serialization.load_ssh_private_key(data, password=None)
        except ValueError:
            parsed = serialization.load_pem_private_key(data, password=None)
    except TypeError as error:
        raise ValueError(
            "The private key is protected by a passphrase. Pier needs a key "
            "without one: remove it with ssh-keygen -p."
        ) from error
    except (ValueError, paramiko.SSHException) as error:
        raise ValueError(
            "The private key is not a valid OpenSSH or PEM private key."
        ) from error
    for crypto_class, key_class in KEY_CLASSES:
        if isinstance(parsed, crypto_class):
            return key_class.from_private_key(io.StringIO(data.decode()))
    raise ValueError("Use an Ed25519, ECDSA or RSA private key.")


def key_line(key: paramiko.PKey) -> str:
    """Return a public key as a known_hosts entry: "TYPE BASE64"."""
    return f"{key.get_name()} {key.get_base64()}"


def fingerprint(line: str) -> str:
    """Return the SHA256 fingerprint of a "TYPE BASE64" key, as ssh-keygen -l does."""
    kind, _, data = line.partition(" ")
    key = paramiko.PKey.from_type_string(kind, base64.b64decode(data))
    return key.fingerprint


class PinnedHostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Accepts the key recorded for the host; records one when none is yet."""

    def __init__(self, host: DockerHost):
        self.host = host

    def missing_host_key(self, client, hostname: str, key: paramiko.PKey) -> None:
        offered = key_line(key)
        recorded = self.host.ssh_host_key
        if not recorded:
            self._record(offered)
            return
        if recorded != offered:
            raise HostKeyMismatch(
                f"The SSH host key of {hostname} changed: Pier recorded "
                f"{fingerprint(recorded)}, the server offered {key.fingerprint}. "
                "If the server was reinstalled, clear the recorded key on the "
                "host's edit page; otherwise someone may be intercepting."
            )

    def _record(self, offered: str) -> None:
        self.host.ssh_host_key = offered
        if self.host.pk is None:
            return
        recorded = DockerHost.objects.filter(pk=self.host.pk, ssh_host_key="").update(
            ssh_host_key=offered
        )
        if recorded:
            logger.info(
                "Recorded SSH host key %s for host %s",
                fingerprint(offered),
                self.host.pk,
            )


def connection_parameters(
    url: str, key: paramiko.PKey | None, timeout: int
) -> tuple[str, dict]:
    """Return the target "USER@HOST:PORT" and paramiko's `connect` arguments.

    Only ``key`` is offered: no agent, no key files of the user running Pier.
    Raises SSHConnectError when the address is not ssh://USER@HOST[:PORT].
    """
    try:
        user, hostname, port = parse_target(url)
    except ValueError as error:
        raise SSHConnectError(str(error)) from error
    parameters = {
        "hostname": hostname,
        "port": port,
        "username": user,
        "pkey": key,
        "allow_agent": False,
        "look_for_keys": False,
        "timeout": timeout,
        "banner_timeout": timeout,
        "auth_timeout": timeout,
        "channel_timeout": timeout,
    }
    return f"{user}@{hostname}:{port}", parameters


def connect_pinned(client: paramiko.SSHClient, parameters: dict, target: str) -> None:
    """Connect ``client`` and start keepalives, or close it again on failure.

    The client's missing host key policy must be a PinnedHostKeyPolicy. Raises
    SSHConnectError for authentication, host key and protocol failures, and
    OSError when the server cannot be reached.
    """
    try:
        client.connect(**parameters)
    except paramiko.AuthenticationException as error:
        client.close()
        raise SSHConnectError(
            f"SSH authentication failed for {target}: the server did "
            "not accept the private key."
        ) from error
    except HostKeyMismatch as error:
        client.close()
        raise SSHConnectError(str(error)) from error
    except paramiko.ssh_exception.NoValidConnectionsError as error:
        client.close()
        raise next(iter(error.errors.values())) from error
    except paramiko.SSHException as error:
        client.close()
        raise SSHConnectError(f"SSH connection to {target} failed: {error}") from error
    except OSError:
        client.close()
        raise
    client.get_transport().set_keepalive(KEEPALIVE_SECONDS)


def open_pinned_client(host: DockerHost, timeout: int) -> paramiko.SSHClient:
    """Open an SSH connection to the host with its stored key and host key.

    The key is parsed in memory and never written to a file. Raises
    SSHConnectError and OSError as `connect_pinned` does.
    """
    key = None
    if host.ssh_key:
        try:
            key = load_private_key(host.ssh_key)
        except ValueError as error:
            raise SSHConnectError(str(error)) from error
    target, parameters = connection_parameters(host.url, key, timeout)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(PinnedHostKeyPolicy(host))
    connect_pinned(client, parameters, target)
    return client


class _ChannelReader(io.RawIOBase):
    """The read side of a channel; `sock` lets the SDK's streams close it."""

    def __init__(self, sock: "ChannelSocket"):
        super().__init__()
        self.sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.sock.recv(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class ChannelSocket:
    """A paramiko channel with the socket methods http.client and urllib3 call."""

    def __init__(self, channel: paramiko.Channel, target: str):
        self.channel = channel
        self.target = target
        self.received = 0

    def sendall(self, data: bytes) -> None:
        self.channel.sendall(data)

    def send(self, data: bytes) -> int:
        return self.channel.send(data)

    def recv(self, size: int) -> bytes:
        data = self.channel.recv(size)
        if not data and not self.received and self.channel.recv_stderr_ready():
            # The remote command ended before sending a response: show why.
            # NOTE: no test covers this path, because the test sshd always
            # runs a working docker CLI.
            output = self.channel.recv_stderr(4096).decode("utf-8", "replace")
            raise SSHConnectError(
                f"`{DIAL_COMMAND}` failed on {self.target}: {output.strip()}. "
                "The SSH user needs the docker CLI and access to the engine."
            )
        self.received += len(data)
        return data

    def settimeout(self, value: float | None) -> None:
        self.channel.settimeout(value)

    def gettimeout(self) -> float | None:
        return self.channel.gettimeout()

    def fileno(self) -> int:
        return self.channel.fileno()

    def shutdown(self, how: int) -> None:
        self.channel.close()

    def close(self) -> None:
        self.channel.close()

    def makefile(self, mode: str = "rb", *args, **kwargs) -> io.BufferedReader:
        reader = io.BufferedReader(_ChannelReader(self))
        # The SDK finds the raw channel of attach and exec sockets here.
        reader.channel = self.channel
        return reader


def open_dial_channel(
    transport: paramiko.Transport, timeout: float | None, target: str
) -> paramiko.Channel:
    """Open a channel that runs `docker system dial-stdio` on the remote side.

    The channel's data is a raw connection to the remote engine's API. Raises
    SSHConnectError when the channel cannot be opened.
    """
    try:
        channel = transport.open_session(timeout=timeout)
        channel.settimeout(timeout)
        channel.exec_command(DIAL_COMMAND)
    except (paramiko.SSHException, OSError) as error:
        raise SSHConnectError(
            f"Opening an SSH channel to {target} failed: {error}"
        ) from error
    return channel


class _DialConnection(SSHConnection):
    def connect(self) -> None:
        channel = open_dial_channel(self.ssh_transport, self.timeout, self.ssh_host)
        self.sock = ChannelSocket(channel, self.ssh_host)


class _DialConnectionPool(SSHConnectionPool):
    def _new_conn(self) -> _DialConnection:
        return _DialConnection(self.ssh_transport, self.timeout, self.ssh_host)


class PinnedSSHAdapter(SSHHTTPAdapter):
    """The SDK's SSH adapter, limited to the host's stored key and host key."""

    def __init__(self, host: DockerHost, timeout: int, key: paramiko.PKey | None):
        self.host = host
        self.private_key = key
        self.connect_timeout = timeout
        super().__init__(host.url, timeout=timeout)

    def _create_paramiko_client(self, base_url: str) -> None:
        self.target, self.ssh_params = connection_parameters(
            base_url, self.private_key, self.connect_timeout
        )
        self.ssh_client = paramiko.SSHClient()
        self.ssh_client.set_missing_host_key_policy(PinnedHostKeyPolicy(self.host))

    def _connect(self) -> None:
        connect_pinned(self.ssh_client, self.ssh_params, self.target)

    def get_connection(self, url, proxies=None) -> _DialConnectionPool:
        with self.pools.lock:
            transport = self.ssh_client.get_transport()
            if transport is None or not transport.is_active():
                self.pools.clear()
                self._connect()
            pool = self.pools.get(url)
            if pool is None:
                pool = _DialConnectionPool(
                    ssh_client=self.ssh_client,
                    timeout=self.timeout,
                    maxsize=self.max_pool_size,
                    host=self.ssh_host,
                )
                self.pools[url] = pool
        return pool


def _mount(api: docker.APIClient, adapter: PinnedSSHAdapter) -> docker.APIClient:
    # The client was made with `use_ssh_client`, so the SDK opened no paramiko
    # connection of its own; its adapter is replaced before any request.
    api.mount("http+docker://ssh", adapter)
    return api


def ssh_client(
    host: DockerHost, timeout: int, key_file: str | None
) -> docker.DockerClient:
    """Connect to the host's engine over SSH and negotiate the API version.

    Raises SSHConnectError (a ConnectionError) for authentication, host key and
    SSH failures, OSError when the server cannot be reached, and the SDK's
    errors when the engine does not respond through the channel.
    """
    key = None
    if key_file:
        try:
            key = load_private_key(Path(key_file).read_text())
        except ValueError as error:
            raise SSHConnectError(str(error)) from error
    adapter = PinnedSSHAdapter(host, timeout, key)
    try:
        options = {"base_url": host.url, "timeout": timeout, "use_ssh_client": True}
        minimum = docker.constants.MINIMUM_DOCKER_API_VERSION
        probe = _mount(docker.APIClient(version=minimum, **options), adapter)
        version = probe.version(api_version=False)["ApiVersion"]
        client = docker.DockerClient(version=version, **options)
        _mount(client.api, adapter)
    except BaseException:
        adapter.close()
        raise
    return client
