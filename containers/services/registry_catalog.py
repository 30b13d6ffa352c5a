"""Catalog search: the repositories of a registry and their tags, over its HTTP API.

Requests log in with HTTP basic auth, or with a bearer token when the registry
responds 401 with a Bearer challenge (`registry_tokens`). The catalog needs the
scope `registry:catalog:*` and a tag list `repository:NAME:pull`. Registries
that offer no catalog to the account (Docker Hub offers it to no one) can still
be searched by a repository's full name.
"""

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

from ..models import Registry
from . import registry_tokens
from .registries import DOCKER_HUB_NAMES, RegistryError, login_failed_message

logger = logging.getLogger(__name__)

CATALOG_TIMEOUT = (3.05, 10)
CATALOG_PAGE = 100
CATALOG_MAX_PAGES = 10
MAX_TAG_LOOKUPS = 30
CATALOG_SCOPE = "registry:catalog:*"
# Docker Hub serves the v2 API from this host, not from docker.io.
DOCKER_HUB_API = "https://registry-1.docker.io"
# A repository name as the distribution specification defines it.
REPOSITORY_NAME = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)


class TokenRejected(RegistryError):
    """The registry responded 401 or 403 to a request with a fresh token."""

    def __init__(self, registry: Registry, scope: str):
        self.scope = scope
        super().__init__(rejected_token_message(registry, scope))


@dataclass
class CatalogResult:
    """Repositories of a registry whose name contains the search term.

    `by_name` is set when the registry offers no catalog to the account and
    the term was looked up as a repository's full name.
    """

    repositories: list[tuple[str, list[str]]] = field(default_factory=list)
    more: int = 0
    truncated: bool = False
    by_name: bool = False


def base_url(registry: Registry) -> str:
    # NOTE: the Docker Hub paths (this host, `library/` names) have no test,
    # because the tests cannot reach Docker Hub.
    if registry.url.strip().lower() in DOCKER_HUB_NAMES:
        return DOCKER_HUB_API
    scheme = "http" if registry.insecure else "https"
    return f"{scheme}://{registry.url.strip()}"


def repository_scope(name: str) -> str:
    return f"repository:{name}:pull"


def rejected_token_message(registry: Registry, scope: str) -> str:
    if scope == CATALOG_SCOPE:
        return (
            f"Registry {registry.name} rejected Pier's token for its catalog: this "
            "account may not list the repositories, and some registries, Docker "
            "Hub among them, offer the catalog to no account. Search by a "
            "repository's full name, such as team/app, to list its tags."
        )
    name = scope.split(":")[1] if scope.count(":") >= 2 else scope
    return (
        f"Registry {registry.name} rejected Pier's token for repository {name}: "
        "the repository does not exist, or this account may not pull it."
    )


def _send(registry: Registry, url: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    basic = (registry.username, registry.password or "") if registry.username else None
    try:
        return requests.get(
            url,
            headers=headers,
            auth=None if token else basic,
            timeout=CATALOG_TIMEOUT,
        )
    except requests.RequestException as error:
        logger.info(
            "Catalog request to registry %s failed: %s",
            registry.pk,
            error.__class__.__name__,
        )
        raise RegistryError(
            f"Registry {registry.name} at {base_url(registry)} is not reachable: "
            f"{error.__class__.__name__}."
        ) from error


def _get(registry: Registry, url: str, scope: str) -> requests.Response:
    """GET a URL of the registry's API with basic auth or a token for `scope`.

    A cached token is sent first when there is one. On a Bearer challenge a new
    token is requested and the request repeated once. Returns any response but
    a 401. Raises RegistryError when the login fails and TokenRejected when the
    registry rejects the new token.
    """
    token = registry_tokens.cached_token(registry, scope)
    response = _send(registry, url, token)
    if response.status_code != 401:
        return response

    header = response.headers.get("WWW-Authenticate", "")
    challenge = registry_tokens.parse_challenge(header)
    if challenge is None:
        raise RegistryError(
            login_failed_message(registry, registry.url, "HTTP 401 Unauthorized")
        )
    if token is not None:
        registry_tokens.forget_token(registry, scope)

    token = registry_tokens.request_token(registry, challenge, scope)
    response = _send(registry, url, token)
    if response.status_code in (401, 403):
        registry_tokens.forget_token(registry, scope)
        logger.info(
            "Registry %s rejected a new token for scope %s: HTTP %s",
            registry.pk,
            scope,
            response.status_code,
        )
        raise TokenRejected(registry, scope)
    return response


def _body(registry: Registry, url: str, response: requests.Response) -> dict:
    """Return the JSON object of a 200 response, or raise RegistryError."""
    path = url.removeprefix(base_url(registry))
    if response.status_code != 200:
        raise RegistryError(
            f"Registry {registry.name} returned HTTP {response.status_code} for {path}."
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RegistryError(
            f"Registry {registry.name} returned a response for {path} that is not "
            "a JSON object. Check that the registry host is right."
        )
    return body


def _is_page_size_error(response: requests.Response) -> bool:
    if response.status_code != 400:
        return False
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return False
    return any(
        isinstance(error, dict) and error.get("code") == "PAGINATION_NUMBER_INVALID"
        for error in errors
    )


def _first_catalog_page(registry: Registry) -> tuple[str, requests.Response]:
    url = f"{base_url(registry)}/v2/_catalog?n={CATALOG_PAGE}"
    response = _get(registry, url, CATALOG_SCOPE)
    if _is_page_size_error(response):
        # distribution 2.8 rejects an n above its `catalog.maxentries`. Without
        # n, it uses that maximum as the page size.
        url = f"{base_url(registry)}/v2/_catalog"
        response = _get(registry, url, CATALOG_SCOPE)
    return url, response


def _next_page(registry: Registry, response: requests.Response) -> str | None:
    """Return the absolute URL of the `Link: <...>; rel="next"` page, if any.

    A link to another host is rejected, because the request would carry the
    registry's credentials or token there.
    """
    following = response.links.get("next", {}).get("url")
    if not following:
        return None
    url = urljoin(base_url(registry) + "/", following)
    if urlsplit(url)[:2] != urlsplit(base_url(registry))[:2]:
        logger.warning("Registry %s linked its catalog to another host", registry.pk)
        raise RegistryError(
            f"Registry {registry.name} linked the next page of its catalog to "
            f"another host ({urlsplit(url).netloc}); Pier did not follow it."
        )
    return url


def _repositories(registry: Registry) -> tuple[list[str], bool]:
    names: list[str] = []
    url, response = _first_catalog_page(registry)
    for page in range(1, CATALOG_MAX_PAGES + 1):
        names.extend(_body(registry, url, response).get("repositories") or [])
        following = _next_page(registry, response)
        if following is None:
            return names, False
        if page == CATALOG_MAX_PAGES:
            break
        url = following
        response = _get(registry, url, CATALOG_SCOPE)
    return names, True


def _tags(registry: Registry, name: str) -> list[str]:
    url = f"{base_url(registry)}/v2/{name}/tags/list"
    response = _get(registry, url, repository_scope(name))
    return sorted(_body(registry, url, response).get("tags") or [])


def _search_by_name(
    registry: Registry, term: str, refused: TokenRejected
) -> CatalogResult:
    """List the tags of the repository named `term`, for a registry without catalog.

    Docker Hub's official images live under `library/`, as `docker pull` reads
    a name without a slash there. Raises `refused` when `term` is not a valid
    repository name.
    """
    name = term
    if registry.url.strip().lower() in DOCKER_HUB_NAMES and "/" not in name:
        name = f"library/{name}"
    if not REPOSITORY_NAME.match(name):
        raise refused
    url = f"{base_url(registry)}/v2/{name}/tags/list"
    response = _get(registry, url, repository_scope(name))
    if response.status_code == 404:
        raise RegistryError(
            f"Registry {registry.name} offers no catalog to this account, and it "
            f"has no repository named {name}. Search by a repository's full name."
        )
    tags = sorted(_body(registry, url, response).get("tags") or [])
    return CatalogResult(repositories=[(name, tags)], by_name=True)


def search_catalog(registry: Registry, term: str) -> CatalogResult:
    """List the repositories whose name contains `term`, with their tags.

    Reads at most CATALOG_MAX_PAGES pages of the catalog and the tags of the
    first MAX_TAG_LOOKUPS matches. When the registry rejects the token for its
    catalog, looks `term` up as a repository's full name instead. Raises
    RegistryError with a message fit for the page.
    """
    term = term.strip().lower()
    try:
        names, truncated = _repositories(registry)
    except TokenRejected as error:
        if error.scope != CATALOG_SCOPE:
            raise
        return _search_by_name(registry, term, error)
    matches = sorted(name for name in names if term in name.lower())
    result = CatalogResult(
        truncated=truncated, more=max(0, len(matches) - MAX_TAG_LOOKUPS)
    )
    for name in matches[:MAX_TAG_LOOKUPS]:
        result.repositories.append((name, _tags(registry, name)))
    return result
