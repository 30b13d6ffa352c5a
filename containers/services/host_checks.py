"""Test connection: try a host's engine before it is saved, and explain failures.

`describe_connection_error` turns the chain of SDK, requests, ssl, socket and
SSH errors behind a failed connection into one sentence that names what failed
and what to check. `docker_client` uses it for every connection, so the
watcher's offline reasons read the same as the Test connection result.
"""

import errno
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.db.models import ProtectedError
from docker.errors import APIError

from ..docker_client import DockerError, docker_errors, forget_client, fresh_client
from ..models import App, ComposeProject, Container, DockerHost
from ..ssh_transport import SSHConnectError, fingerprint
from .hosts import delete_host

logger = logging.getLogger(__name__)

TEST_TIMEOUT = 10
CLIENT_CERT_ALERTS = ("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_REQUIRED")


class HostInUse(Exception):
    """The host cannot be removed; the message names what uses it."""


@dataclass
class ConnectionResult:
    """The outcome of a connection test: the engine's versions or the reason."""

    ok: bool
    message: str
    engine_version: str = ""
    api_version: str = ""
    host_key: str = ""


def try_connection(host: DockerHost, timeout: int = TEST_TIMEOUT) -> ConnectionResult:
    """Call `version()` on the host's engine with a short timeout.

    The host may be unsaved. Never raises for connection problems: the result
    carries the reason instead.
    """
    try:
        client = fresh_client(host, timeout=timeout)
        try:
            with docker_errors(host):
                version = client.api.version()
        finally:
            client.close()
    except DockerError as error:
        logger.info(
            "Connection test of host %s (%s) failed: %s", host.pk, host.url, error
        )
        return ConnectionResult(False, str(error), host_key=_host_key(host))
    except (requests.RequestException, OSError) as error:
        reason = describe_connection_error(error, host)
        logger.info(
            "Connection test of host %s (%s) failed: %s", host.pk, host.url, reason
        )
        return ConnectionResult(False, reason, host_key=_host_key(host))
    engine = version.get("Version", "")
    return ConnectionResult(
        True,
        f"Connected: Docker Engine {engine} (API {version.get('ApiVersion', '')}).",
        engine_version=engine,
        api_version=version.get("ApiVersion", ""),
        host_key=_host_key(host),
    )


def _host_key(host: DockerHost) -> str:
    """Return the fingerprint of the SSH host key recorded or just seen, or ""."""
    return fingerprint(host.ssh_host_key) if host.ssh_host_key else ""


def _causes(error: BaseException) -> Iterator[BaseException]:
    """Yield the error and every error it wraps, nearest first."""
    queue = [error]
    seen: set[int] = set()
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
        ]
        linked.extend(current.args)
        queue.extend(item for item in linked if isinstance(item, BaseException))


def _address(host: DockerHost) -> str:
    parts = urlsplit(host.url)
    if parts.scheme == "unix":
        return parts.path
    return parts.netloc.rpartition("@")[2]


def _describe_ssl(error: ssl.SSLError, address: str) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"The TLS certificate of {address} is not trusted: "
            f"{error.verify_message}. Check that the CA certificate is the one "
            "that signed the engine's certificate and that the address matches it."
        )
    reason = error.reason or ""
    if any(alert in reason for alert in CLIENT_CERT_ALERTS):
        return (
            f"The engine at {address} rejected Pier's client certificate "
            f"({reason}). Use a client certificate signed by the CA the engine "
            "trusts (dockerd --tlscacert)."
        )
    if "WRONG_VERSION_NUMBER" in reason:
        return (
            f"{address} does not speak TLS: check the port, and that the engine "
            "runs with --tlsverify."
        )
    if "KEY_VALUES_MISMATCH" in reason:
        return "The client key does not belong to the client certificate."
    return f"The TLS handshake with {address} failed: {reason or error}."


def _describe_os_error(error: OSError, address: str) -> str | None:
    if isinstance(error, ConnectionRefusedError):
        return (
            f"Connection refused by {address}: nothing listens on that port, "
            "or a firewall rejects the connection."
        )
    if isinstance(error, socket.gaierror):
        return f"The host name in {address} could not be resolved: {error.strerror}."
    if isinstance(error, TimeoutError):
        return (
            f"Connecting to {address} timed out: the host is down, or a firewall "
            "drops the traffic."
        )
    if error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"No route to {address}: the host is down or not on this network."
    if isinstance(error, FileNotFoundError):
        return f"No Docker socket at {address}."
    if isinstance(error, PermissionError):
        return f"Pier may not open {address}: check the socket's permissions."
    return None


def describe_connection_error(error: BaseException, host: DockerHost) -> str:
    """Return one sentence saying why connecting to the host's engine failed."""
    address = _address(host)
    causes = list(_causes(error))
    for cause in causes:
        if isinstance(cause, SSHConnectError):
            return str(cause)
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            return _describe_ssl(cause, address)
    for cause in causes:
        message = (
            _describe_os_error(cause, address) if isinstance(cause, OSError) else None
        )
        if message:
            return message
    # urllib3 2 makes NewConnectionError a subclass of ConnectTimeoutError, so
    # timeouts are named only after the socket errors above found nothing.
    if any(isinstance(cause, requests.Timeout) for cause in causes):
        return _describe_os_error(TimeoutError(), address) or str(error)
    for cause in causes:
        if isinstance(cause, APIError) and "HTTPS server" in str(cause.explanation):
            return (
                f"The engine at {address} requires TLS: add its CA certificate, "
                "a client certificate and the client key."
            )
    return str(error)


def removal_blockers(host: DockerHost) -> list[str]:
    """Return why the host cannot be removed: the apps and compose projects on it."""
    reasons = []
    apps = list(App.objects.filter(host=host).values_list("name", flat=True))
    if apps:
        reasons.append(f"apps {', '.join(sorted(apps))}")
    # Projects that Pier deploys, and any other project whose containers run there.
    projects = set(
        ComposeProject.objects.filter(host=host).values_list("name", flat=True)
    )
    projects.update(
        Container.objects.filter(host=host)
        .exclude(compose_project="")
        .values_list("compose_project", flat=True)
    )
    if projects:
        reasons.append(f"compose projects {', '.join(sorted(projects))}")
    return reasons


def remove_host(host: DockerHost) -> None:
    """Delete the host and its mirror rows; its jobs stay with no host.

    Raises HostInUse when apps, compose projects or other records use it.
    """
    reasons = removal_blockers(host)
    if reasons:
        raise HostInUse(
            f"Host {host.name} is in use by {' and '.join(reasons)}. "
            "Remove or move them first."
        )
    host_id = host.pk
    forget_client(host)
    try:
        delete_host(host)
    except ProtectedError as error:
        names = sorted(
            {f"{item._meta.verbose_name} {item}" for item in error.protected_objects}
        )
        raise HostInUse(
            f"Host {host.name} is still used by {', '.join(names)}."
        ) from error
    logger.info("Removed Docker host %s (%s, %s)", host_id, host.name, host.url)
