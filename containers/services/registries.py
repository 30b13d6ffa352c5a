"""Registries: stored credentials, the engine's login check and Docker Hub search.

Passwords are stored encrypted (`Registry.password`) and leave Pier only in the
`X-Registry-Auth` header of an engine call, or in the basic authorization of a
catalog request or a token request (`registry_catalog`, `registry_tokens`).
They are never logged and never rendered into a page.
"""

import logging
from dataclasses import dataclass

import requests
from django.utils import timezone

from ..docker_client import DockerError, docker_errors, fresh_client
from ..models import DockerHost, Registry

logger = logging.getLogger(__name__)

DOCKER_HUB = "docker.io"
DOCKER_HUB_NAMES = {"docker.io", "index.docker.io", "registry-1.docker.io"}
DOCKER_HUB_LOGIN = "https://index.docker.io/v1/"
LOGIN_TIMEOUT = 20
HUB_SEARCH_TIMEOUT = 10
HUB_SEARCH_LIMIT = 25


class RegistryError(Exception):
    """A registry request failed; the message is fit for the page."""


@dataclass
class LoginCheck:
    ok: bool
    message: str


def explicit_host(reference: str) -> str | None:
    """Return the registry host written in a reference, None when it has none.

    Docker reads the first path component as a registry host only when it
    contains a dot or a colon, or is `localhost`.
    """
    name = reference.partition("@")[0]
    first, separator, _ = name.partition("/")
    if separator and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return None


def registry_host(reference: str) -> str:
    """Return the registry host of an image reference, docker.io when it has none."""
    return explicit_host(reference) or DOCKER_HUB


def find_registry(host: str) -> Registry | None:
    """Return the stored registry whose URL is this host[:port], if any."""
    names = DOCKER_HUB_NAMES if host in DOCKER_HUB_NAMES else {host}
    for registry in Registry.objects.all():
        if registry.url.strip().lower() in names:
            return registry
    return None


def auth_config(registry: Registry | None) -> dict | None:
    """Return the engine's `auth_config` for a registry, None without a user."""
    if registry is None or not registry.username:
        return None
    return {
        "username": registry.username,
        "password": registry.password or "",
        "serveraddress": login_address(registry),
    }


def login_address(registry: Registry) -> str:
    if registry.url.strip().lower() in DOCKER_HUB_NAMES:
        return DOCKER_HUB_LOGIN
    return registry.url.strip()


def login_failed_message(registry: Registry | None, host: str, detail: str) -> str:
    """Explain a rejected login, naming the registry and what to fix."""
    if registry is None:
        return (
            f"Registry login failed for {host}: {detail}. Add {host} on the "
            "Registries page with a user name and password."
        )
    return (
        f"Registry login failed for {registry.name} ({registry.url}): {detail}. "
        "Check the user name and password on the Registries page."
    )


def is_auth_error(detail: str) -> bool:
    text = detail.lower()
    markers = ("unauthorized", "authentication required", "401", "denied")
    return any(marker in text for marker in markers)


def check_login(registry: Registry, host: DockerHost) -> LoginCheck:
    """Log in to the registry through a host's engine and store the outcome.

    A fresh client is used and closed, so the engine's response is never a
    cached login and the credentials do not stay in a shared client.
    """
    try:
        client = fresh_client(host, timeout=LOGIN_TIMEOUT)
        try:
            with docker_errors(host):
                answer = client.api.login(
                    registry.username,
                    registry.password or "",
                    reauth=True,
                    registry=login_address(registry),
                )
        finally:
            client.close()
    except DockerError as error:
        logger.info(
            "Login to registry %s through host %s failed: %s",
            registry.pk,
            host.pk,
            error,
        )
        result = LoginCheck(False, f"Login failed: {error}")
    else:
        status = answer.get("Status") or "Login Succeeded"
        result = LoginCheck(True, f"{status} (through host {host.name}).")
    registry.last_check = timezone.now()
    registry.last_check_ok = result.ok
    registry.last_check_message = result.message
    registry.save(update_fields=["last_check", "last_check_ok", "last_check_message"])
    return result


def search_docker_hub(host: DockerHost, term: str) -> list[dict]:
    """Search Docker Hub through a host's engine, waiting HUB_SEARCH_TIMEOUT s.

    A term that starts with a registry host searches that registry's v1 search
    API instead, as `docker search` does. Raises RegistryError when the engine
    cannot reach the index or does not respond in time.
    """
    try:
        client = fresh_client(host, timeout=HUB_SEARCH_TIMEOUT)
        try:
            return _search_through(client, host, term)
        finally:
            client.close()
    except DockerError as error:
        logger.info("Docker Hub search through host %s failed: %s", host.pk, error)
        raise RegistryError(
            f"Docker Hub search through host {host.name} failed: {error}"
        ) from error


def _search_through(client, host: DockerHost, term: str) -> list[dict]:
    with docker_errors(host):
        try:
            return client.api.search(term, limit=HUB_SEARCH_LIMIT)
        except requests.Timeout as error:
            logger.info("Docker Hub search through host %s timed out", host.pk)
            raise RegistryError(
                f"Docker Hub search through host {host.name} timed out after "
                f"{HUB_SEARCH_TIMEOUT} seconds. The engine may have no route to "
                "Docker Hub: pull by name, or search a registry instead."
            ) from error
