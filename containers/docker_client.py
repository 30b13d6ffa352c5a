"""The one module that talks to the Docker SDK: connections per host and errors.

Every other module gets its client from `client_for(host)` and catches only
`DockerError` and its subclass `HostUnavailable`, which carry a message a person
can read.
"""

import atexit
import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator

import docker
import requests
from django.conf import settings
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from .models import DockerHost

logger = logging.getLogger(__name__)

_clients: dict[tuple[int, str], docker.DockerClient] = {}
_lock = threading.Lock()


class DockerError(Exception):
    """A Docker call failed; the message is fit to show in the page."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class HostUnavailable(DockerError):
    """The Docker engine of a host did not respond."""


class ObjectNotFound(DockerError):
    """The container, image, network or volume does not exist on the host."""


class _TLSConfig(docker.tls.TLSConfig):
    """TLS settings that ignore REQUESTS_CA_BUNDLE, proxies and .netrc.

    With `trust_env`, requests replaces the host's own CA with the bundle named
    in REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, and the engine's certificate fails.
    """

    def configure_client(self, client) -> None:
        super().configure_client(client)
        client.trust_env = False


# One private folder per distinct CA, certificate and key, so the watcher's
# pings every few seconds do not leave a new folder behind each time.
_tls_folders: dict[str, str] = {}


def _tls_config(host: DockerHost) -> docker.tls.TLSConfig | None:
    if not (host.tls_ca or host.tls_cert):
        return None
    files = {"ca.pem": host.tls_ca, "cert.pem": host.tls_cert, "key.pem": host.tls_key}
    digest = hashlib.sha256("\0".join(files.values()).encode()).hexdigest()
    with _lock:
        folder = _tls_folders.get(digest)
        if folder is None or not os.path.isdir(folder):
            folder = tempfile.mkdtemp(prefix="pier-tls-")
            for name, content in files.items():
                path = os.path.join(folder, name)
                with open(
                    os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w"
                ) as handle:
                    handle.write(content)
            atexit.register(shutil.rmtree, folder, True)
            _tls_folders[digest] = folder
    client_cert = None
    if host.tls_cert:
        client_cert = (
            os.path.join(folder, "cert.pem"),
            os.path.join(folder, "key.pem"),
        )
    # Without a CA of its own the engine's certificate must chain to a public CA.
    return _TLSConfig(
        client_cert=client_cert,
        ca_cert=os.path.join(folder, "ca.pem") if host.tls_ca else None,
        verify=True,
    )


def _ssh_key_file(host: DockerHost) -> str:
    folder = tempfile.mkdtemp(prefix=f"pier-ssh-{host.pk}-")
    path = os.path.join(folder, "id_key")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        handle.write(host.ssh_key.strip() + "\n")
    return path


def _connect(host: DockerHost, timeout: int) -> docker.DockerClient:
    """Connect and negotiate the API version; raise DockerException with a reason.

    The reason names what failed (certificate, refused, timed out, SSH
    authentication) in words fit for the page.
    """
    # Imported here because host_checks imports this module.
    from .services.host_checks import describe_connection_error

    url = host.url
    try:
        if url.startswith("ssh://"):
            return _connect_ssh(host, timeout)
        if url.startswith("tcp://") and (host.tls_ca or host.tls_cert):
            url = "https://" + url.removeprefix("tcp://")
        return docker.DockerClient(
            base_url=url, version="auto", timeout=timeout, tls=_tls_config(host)
        )
    except (DockerException, requests.RequestException, OSError) as error:
        raise DockerException(describe_connection_error(error, host)) from error


def _connect_ssh(host: DockerHost, timeout: int) -> docker.DockerClient:
    from .ssh_transport import ssh_client

    if not host.ssh_key:
        return ssh_client(host, timeout, None)
    # The key is read once while connecting; the file does not outlive that.
    key_file = _ssh_key_file(host)
    try:
        return ssh_client(host, timeout, key_file)
    finally:
        shutil.rmtree(os.path.dirname(key_file), ignore_errors=True)


def connection_fingerprint(host: DockerHost) -> str:
    """Return a digest of everything a connection to the host depends on.

    Cached clients are keyed by it, so editing a host's certificates or key
    takes effect without restarting Pier's processes.
    """
    material = "\0".join(
        [host.url, host.tls_ca, host.tls_cert, host.tls_key, host.ssh_key]
    )
    return hashlib.sha256(material.encode()).hexdigest()


def client_for(host: DockerHost, timeout: int | None = None) -> docker.DockerClient:
    """Return a cached client for the host, connecting on first use.

    Raises HostUnavailable when the engine does not respond.
    """
    timeout = timeout or settings.PIER_DOCKER_TIMEOUT
    key = (host.pk, f"{connection_fingerprint(host)}|{timeout}")
    with _lock:
        client = _clients.get(key)
    if client is not None:
        return client
    try:
        client = _connect(host, timeout)
    except (DockerException, requests.RequestException, OSError) as error:
        raise HostUnavailable(
            f"Docker host {host.name} ({host.url}) is not reachable: {error}"
        ) from error
    with _lock:
        _clients[key] = client
    return client


def forget_client(host: DockerHost) -> None:
    """Drop cached clients of a host, so the next call reconnects."""
    with _lock:
        for key in [key for key in _clients if key[0] == host.pk]:
            client = _clients.pop(key)
            with contextlib.suppress(Exception):
                client.close()


def fresh_client(host: DockerHost, timeout: int | None = None) -> docker.DockerClient:
    """Return a new, uncached client: for streams that a caller closes itself."""
    try:
        return _connect(host, timeout or settings.PIER_DOCKER_TIMEOUT)
    except (DockerException, requests.RequestException, OSError) as error:
        raise HostUnavailable(
            f"Docker host {host.name} ({host.url}) is not reachable: {error}"
        ) from error


def explain(error: Exception) -> str:
    """Return the engine's own explanation of a failed call."""
    if isinstance(error, APIError):
        return str(error.explanation or error)
    return str(error)


@contextlib.contextmanager
def docker_errors(host: DockerHost) -> Iterator[None]:
    """Turn SDK and connection errors inside the block into Pier's own."""
    try:
        yield
    except (NotFound, ImageNotFound) as error:
        raise ObjectNotFound(explain(error), status=404) from error
    except APIError as error:
        raise DockerError(explain(error), status=error.status_code) from error
    except (requests.ConnectionError, requests.Timeout, ConnectionError) as error:
        forget_client(host)
        raise HostUnavailable(
            f"Docker host {host.name} stopped responding: {error}"
        ) from error
    except DockerException as error:
        raise DockerError(str(error)) from error
