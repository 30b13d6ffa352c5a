"""Bearer tokens for a registry's HTTP API (the Docker Registry v2 token flow).

A registry with token authentication responds 401 with a challenge such as
`WWW-Authenticate: Bearer realm="https://auth.example.com/token",
service="registry.example.com",scope="registry:catalog:*"`. The client then
requests a token from the realm, with the service and scope as query
parameters and the stored user name and password as HTTP basic auth (none for
a registry without a user). It repeats its request with
`Authorization: Bearer <token>`.

Tokens are cached in this process per registry and scope until
TOKEN_EXPIRY_MARGIN seconds before their `expires_in`. The cache key is a hash
of the registry's host, scheme, user name and password, so changing any of them makes
Pier request a new token. Tokens and passwords are never logged and never put
into a message.
"""

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from ..models import Registry
from .registries import RegistryError

logger = logging.getLogger(__name__)

TOKEN_TIMEOUT = (3.05, 10)
# The token specification's lifetime for a response without `expires_in`.
DEFAULT_TOKEN_LIFETIME = 60
TOKEN_EXPIRY_MARGIN = 10
MAX_CACHED_TOKENS = 1000

CHALLENGE_PARAMETER = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class Challenge:
    """The parameters of a `WWW-Authenticate: Bearer` header."""

    realm: str
    service: str = ""
    scope: str = ""
    error: str = ""


@dataclass
class _CachedToken:
    token: str
    expires_at: float


_cache: dict[tuple[str, str], _CachedToken] = {}
_cache_lock = threading.Lock()


def parse_challenge(header: str) -> Challenge | None:
    """Parse a Bearer challenge, or return None for another scheme or no realm.

    Quoted values may contain commas (`scope="repository:a:pull,push"`) and
    backslash escapes.
    """
    scheme, _, parameters = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    values: dict[str, str] = {}
    for match in CHALLENGE_PARAMETER.finditer(parameters):
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        values[match.group(1).lower()] = value
    if not values.get("realm"):
        return None
    return Challenge(
        realm=values["realm"],
        service=values.get("service", ""),
        scope=values.get("scope", ""),
        error=values.get("error", ""),
    )


def realm_address(realm: str) -> str:
    """Return the realm without its query, for messages and logs."""
    parts = urlsplit(realm)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _credentials_key(registry: Registry) -> str:
    parts = (registry.url, str(registry.insecure), registry.username)
    text = "\0".join((*parts, registry.password or ""))
    return hashlib.sha256(text.encode()).hexdigest()


def cached_token(registry: Registry, scope: str) -> str | None:
    """Return an unexpired token issued for this registry, credentials and scope."""
    with _cache_lock:
        entry = _cache.get((_credentials_key(registry), scope))
    if entry is None or entry.expires_at <= time.monotonic():
        return None
    return entry.token


def forget_token(registry: Registry, scope: str) -> None:
    with _cache_lock:
        _cache.pop((_credentials_key(registry), scope), None)


def _store(registry: Registry, scope: str, token: str, lifetime: int) -> None:
    keep_for = lifetime - TOKEN_EXPIRY_MARGIN
    if keep_for <= 0:
        return
    now = time.monotonic()
    entry = _CachedToken(token, now + keep_for)
    with _cache_lock:
        for key in [key for key, old in _cache.items() if old.expires_at <= now]:
            del _cache[key]
        while len(_cache) >= MAX_CACHED_TOKENS:
            del _cache[next(iter(_cache))]
        _cache[(_credentials_key(registry), scope)] = entry


def request_token(registry: Registry, challenge: Challenge, scope: str) -> str:
    """Request a token for `scope` from the challenge's realm, and cache it.

    The token is requested for the scope the challenge names, or for `scope`
    when it names none, and cached under `scope`. Raises RegistryError when the
    token service is not reachable, rejects the credentials or returns no token.
    """
    _check_realm(registry, challenge.realm)
    requested_scope = challenge.scope or scope
    parameters = {"service": challenge.service} if challenge.service else {}
    if requested_scope:
        parameters["scope"] = requested_scope
    auth = (registry.username, registry.password or "") if registry.username else None
    address = realm_address(challenge.realm)
    try:
        response = requests.get(
            challenge.realm, params=parameters, auth=auth, timeout=TOKEN_TIMEOUT
        )
    except requests.RequestException as error:
        logger.info(
            "Token request for registry %s to %s failed: %s",
            registry.pk,
            address,
            error.__class__.__name__,
        )
        raise RegistryError(
            f"The token service of registry {registry.name} at {address} is not "
            f"reachable: {error.__class__.__name__}. Check that it is running and "
            "that Pier's server can reach it."
        ) from error
    token, lifetime = _read_token(registry, address, response)
    _store(registry, scope, token, lifetime)
    logger.debug(
        "Token for registry %s and scope %s received", registry.pk, requested_scope
    )
    return token


def _check_realm(registry: Registry, realm: str) -> None:
    """Reject a realm that would carry the password in plain text or elsewhere.

    A registry reached over HTTPS may only send Pier to an HTTPS token service,
    and a realm must be an http or https URL.
    """
    scheme = urlsplit(realm).scheme.lower()
    if scheme == "https" or (scheme == "http" and registry.insecure):
        return
    logger.warning(
        "Registry %s named a token service with scheme %r, so none was requested",
        registry.pk,
        scheme,
    )
    raise RegistryError(
        f"Registry {registry.name} sends Pier to the token service "
        f"{realm_address(realm)}, which is not HTTPS. Pier sends the password of "
        "a registry that uses HTTPS only over HTTPS."
    )


def _read_token(
    registry: Registry, address: str, response: requests.Response
) -> tuple[str, int]:
    """Return the token and its lifetime in seconds from a token response."""
    if response.status_code in (401, 403):
        logger.info(
            "Token service %s rejected the credentials of registry %s: HTTP %s",
            address,
            registry.pk,
            response.status_code,
        )
        raise RegistryError(
            f"The token service of registry {registry.name} at {address} rejected "
            f"the user name and password (HTTP {response.status_code}). Check them "
            "on the Registries page."
        )
    if response.status_code != 200:
        logger.info(
            "Token service %s returned HTTP %s for registry %s",
            address,
            response.status_code,
            registry.pk,
        )
        raise RegistryError(
            f"The token service of registry {registry.name} at {address} returned "
            f"HTTP {response.status_code} instead of a token."
        )
    body = _json_object(response)
    token = body.get("token") or body.get("access_token")
    if not isinstance(token, str) or not token:
        logger.info(
            "Token service %s returned no token for registry %s", address, registry.pk
        )
        raise RegistryError(
            f"The token service of registry {registry.name} at {address} returned "
            "no token. Check that the registry's token service is configured for "
            "this registry."
        )
    lifetime = body.get("expires_in")
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_LIFETIME
    return token, lifetime


def _json_object(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
