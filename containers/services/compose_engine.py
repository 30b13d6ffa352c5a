"""Let a compose process reach a host's engine with the host's stored credentials.

`engine_access(host)` is a context manager. Inside it, `access.bind(spec)`
points a compose command at the host, and on leaving it everything written for
the command is removed, also when the command failed or was cancelled.

- Unix sockets and plain TCP: compose gets the host's URL.
- TCP with TLS: the CA, certificate and key go into a private temporary folder
  (mode 0700, files 0600), and compose gets `DOCKER_TLS_VERIFY=1` and
  `DOCKER_CERT_PATH`, so it verifies the engine's certificate and name.
- SSH: compose gets a unix socket in such a folder, and `SSHSocketForward`
  relays each connection through Pier's own SSH transport.

Compose's own `ssh://` support was not chosen for SSH. It runs the local
`ssh` program, which reads the user's ssh config, agent and known_hosts. An
OpenSSH wrapper with an explicit config, identity file and known_hosts could
pin those. But it needs the private key written to disk and an OpenSSH client
on Pier's machine. Its known_hosts would also have to follow the recorded key,
and a first connection would record the host key outside Pier's own code. The
forward keeps the key in memory and checks the host key with the same
`PinnedHostKeyPolicy` as every other connection to the host. A changed host
key therefore fails the action before compose starts.
"""

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from ..compose import ComposeProject as ComposeSpec
from ..docker_client import HostUnavailable, client_for, docker_errors
from ..models import DockerHost
from ..ssh_forward import SSHSocketForward
from ..ssh_transport import SSHConnectError
from .host_checks import describe_connection_error

logger = logging.getLogger(__name__)

# Folders are named pier-compose-<pid>-<random>, so that a later process can
# remove those that a killed process left behind.
FOLDER_PREFIX = "pier-compose-"
_FOLDER_NAME = re.compile(rf"^{FOLDER_PREFIX}(\d+)-")
SOCKET_NAME = "docker.sock"
TLS_FILES = (("ca.pem", "tls_ca"), ("cert.pem", "tls_cert"), ("key.pem", "tls_key"))


@dataclasses.dataclass(frozen=True)
class EngineAccess:
    """The Docker connection settings that a compose process gets."""

    docker_host: str
    cert_path: str | None = None

    def bind(self, spec: ComposeSpec) -> ComposeSpec:
        """Return a copy of ``spec`` that runs against this engine."""
        return dataclasses.replace(
            spec,
            docker_host=self.docker_host,
            tls_verify=self.cert_path is not None,
            cert_path=self.cert_path,
        )


def uses_tls(host: DockerHost) -> bool:
    return host.url.startswith("tcp://") and bool(host.tls_ca or host.tls_cert)


@contextlib.contextmanager
def engine_access(host: DockerHost) -> Iterator[EngineAccess]:
    """Check that the host's engine responds, then give compose a way to it.

    Raises HostUnavailable, with a message fit for the page, when the engine
    does not respond or the TLS or SSH connection fails.
    """
    check_reachable(host)
    if not (host.url.startswith("ssh://") or uses_tls(host)):
        yield EngineAccess(host.url)
        return
    folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
    try:
        if uses_tls(host):
            write_tls_files(host, folder)
            yield EngineAccess(host.url, str(folder))
        else:
            with _forward(host, folder / SOCKET_NAME) as forward:
                yield EngineAccess(forward.url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_reachable(host: DockerHost) -> None:
    """Ping the host's engine through Pier's own client, or raise HostUnavailable."""
    with docker_errors(host):
        client_for(host).ping()


def write_tls_files(host: DockerHost, folder: Path) -> None:
    """Write the host's CA, certificate and key that are set, each with mode 0600."""
    for name, attribute in TLS_FILES:
        content = getattr(host, attribute)
        if not content:
            continue
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        with open(os.open(folder / name, flags, 0o600), "w") as handle:
            handle.write(content)


@contextlib.contextmanager
def _forward(host: DockerHost, path: Path) -> Iterator[SSHSocketForward]:
    forward = SSHSocketForward(host, path, settings.PIER_DOCKER_TIMEOUT)
    try:
        forward.start()
    except (SSHConnectError, OSError) as error:
        reason = describe_connection_error(error, host)
        logger.warning("SSH forward to host %s failed: %s", host.pk, reason)
        raise HostUnavailable(
            f"Docker host {host.name} ({host.url}) is not reachable: {reason}"
        ) from error
    try:
        yield forward
    finally:
        forward.close()


def remove_leftover_folders() -> list[Path]:
    """Remove the folders of processes that no longer run; return those removed.

    A process killed with SIGKILL cannot remove its own folder, and a TLS
    folder contains the client key.
    """
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        match = _FOLDER_NAME.match(path.name)
        if match is None or process_exists(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        logger.info("Removed %s compose folders of stopped processes", len(removed))
    return removed


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
