"""Catalog search and login against a registry with token authentication.

The registry is Debian's docker-registry with `auth: token`, trusting a token
server that runs in this process on 127.0.0.1 (tests/token_registry.py).
"""

import logging
import time
import uuid

import pytest
from django.urls import reverse

from containers.models import DockerHost, Profile, Registry
from containers.services import registries, registry_catalog, registry_tokens
from containers.services.registries import RegistryError
from tests.conftest import unique
from tests.registry import close_database_connection  # noqa: F401
from tests.token_registry import ALL_TYPES, push_busybox, running_token_registry

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Three repositories on catalog pages of two, so a search follows a Link.
PAGE_SIZE = 2
WRONG_PASSWORD = "wrong-password"
READ_ONLY = frozenset({"repository"})


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory):
    yield from running_token_registry(
        tmp_path_factory.mktemp("token-registry"), page_size=PAGE_SIZE
    )


@pytest.fixture(scope="module")
def pushed(token_registry, docker_api) -> dict[str, list[str]]:
    """Repositories pushed to the registry, with their tags."""
    prefix = unique("pier-token")
    repositories = {
        f"{prefix}/alpha": ["1", "2"],
        f"{prefix}/beta": ["1"],
        f"{prefix}/gamma": ["1"],
    }
    for repository, tags in repositories.items():
        for tag in tags:
            push_busybox(docker_api, token_registry, repository, tag)
    return repositories


@pytest.fixture
def tokens(token_registry):
    """The token server, with its request log cleared and settings restored."""
    server = token_registry.tokens
    server.requests.clear()
    yield server
    server.expires_in = 300
    server.omit_token = False


def stored(
    token_registry,
    *,
    types: frozenset[str] = ALL_TYPES,
    wrong_password: bool = False,
) -> Registry:
    """Save the registry in Pier with a user of its own on the token server.

    Each test logs in as another user, so no test uses a token that an earlier
    test left in the cache.
    """
    username = unique("user")
    password = f"pw-{uuid.uuid4().hex[:12]}"
    token_registry.tokens.add_user(username, password, types)
    return Registry.objects.create(
        name=unique("registry"),
        url=token_registry.url,
        username=username,
        password=WRONG_PASSWORD if wrong_password else password,
        insecure=True,
    )


def prefix_of(pushed: dict[str, list[str]]) -> str:
    return next(iter(pushed)).split("/")[0]


def test_search_lists_all_pages(token_registry, pushed, tokens):
    registry = stored(token_registry)

    result = registry_catalog.search_catalog(registry, prefix_of(pushed))

    assert result.repositories == sorted(pushed.items())
    assert not result.truncated
    assert not result.by_name
    requested = tokens.scopes_requested()
    assert "registry:catalog:*" in requested
    for repository in pushed:
        assert f"repository:{repository}:pull" in requested


def test_catalog_token_is_cached(token_registry, pushed, tokens):
    registry = stored(token_registry)

    registry_catalog.search_catalog(registry, prefix_of(pushed))
    registry_catalog.search_catalog(registry, prefix_of(pushed))

    assert tokens.scopes_requested().count("registry:catalog:*") == 1


def test_token_renewed_before_expiry(token_registry, pushed, tokens):
    tokens.expires_in = registry_tokens.TOKEN_EXPIRY_MARGIN + 2
    registry = stored(token_registry)

    registry_catalog.search_catalog(registry, prefix_of(pushed))
    registry_catalog.search_catalog(registry, prefix_of(pushed))
    cached_requests = tokens.scopes_requested().count("registry:catalog:*")
    time.sleep(2.5)
    result = registry_catalog.search_catalog(registry, prefix_of(pushed))

    assert cached_requests == 1
    assert tokens.scopes_requested().count("registry:catalog:*") == 2
    assert len(result.repositories) == len(pushed)


def test_changed_password_needs_new_token(token_registry, pushed, tokens):
    registry = stored(token_registry)
    registry_catalog.search_catalog(registry, prefix_of(pushed))

    registry.password = WRONG_PASSWORD
    registry.save(update_fields=["password"])

    with pytest.raises(RegistryError, match="rejected the user name and password"):
        registry_catalog.search_catalog(registry, prefix_of(pushed))


def test_wrong_password_message(token_registry, pushed, tokens, caplog):
    registry = stored(token_registry, wrong_password=True)

    with caplog.at_level(logging.DEBUG):
        with pytest.raises(RegistryError) as raised:
            registry_catalog.search_catalog(registry, prefix_of(pushed))

    message = str(raised.value)
    assert f"token service of registry {registry.name}" in message
    assert tokens.realm in message
    assert "rejected the user name and password (HTTP 401)" in message
    assert WRONG_PASSWORD not in message
    assert WRONG_PASSWORD not in caplog.text
    assert tokens.requests[-1].granted is False


@pytest.fixture
def second_registry(tmp_path):
    yield from running_token_registry(tmp_path)


def test_token_server_down_message(second_registry):
    second_registry.tokens.stop()
    registry = stored(second_registry)

    with pytest.raises(RegistryError) as raised:
        registry_catalog.search_catalog(registry, "")

    message = str(raised.value)
    assert f"token service of registry {registry.name}" in message
    assert second_registry.tokens.realm in message
    assert "is not reachable: ConnectionError" in message
    assert registry.password not in message


def test_response_without_token_message(token_registry, pushed, tokens):
    tokens.omit_token = True
    registry = stored(token_registry)

    with pytest.raises(RegistryError, match="returned no token"):
        registry_catalog.search_catalog(registry, prefix_of(pushed))


def test_catalog_refused_suggests_name(token_registry, pushed, tokens):
    registry = stored(token_registry, types=READ_ONLY)

    with pytest.raises(RegistryError) as raised:
        registry_catalog.search_catalog(registry, "")

    message = str(raised.value)
    assert f"Registry {registry.name} rejected Pier's token for its catalog" in message
    assert "Search by a repository's full name" in message


def test_catalog_refused_finds_full_name(token_registry, pushed, tokens):
    registry = stored(token_registry, types=READ_ONLY)
    name = next(iter(pushed))

    result = registry_catalog.search_catalog(registry, name)

    assert result.by_name
    assert result.repositories == [(name, pushed[name])]


def test_catalog_refused_unknown_name(token_registry, pushed, tokens):
    registry = stored(token_registry, types=READ_ONLY)
    name = f"{prefix_of(pushed)}/missing"

    with pytest.raises(RegistryError) as raised:
        registry_catalog.search_catalog(registry, name)

    assert f"has no repository named {name}" in str(raised.value)


def test_plain_http_realm_for_https_registry(token_registry):
    registry = stored(token_registry)
    registry.insecure = False
    challenge = registry_tokens.Challenge(realm=token_registry.tokens.realm)

    with pytest.raises(RegistryError, match="which is not HTTPS"):
        registry_tokens.request_token(registry, challenge, "registry:catalog:*")


@pytest.fixture
def operator_client(client, users):
    client.force_login(users.make(role=Profile.OPERATOR))
    return client


@pytest.fixture
def engine_host() -> DockerHost:
    return DockerHost.objects.create(
        name=unique("host"), url="unix:///var/run/docker.sock"
    )


def test_search_page_shows_repositories(
    operator_client, engine_host, token_registry, pushed, tokens, caplog
):
    registry = stored(token_registry)
    query = {"source": f"registry-{registry.pk}", "term": prefix_of(pushed)}

    with caplog.at_level(logging.DEBUG):
        response = operator_client.get(
            reverse("image-search"), {**query, "host": engine_host.pk}
        )

    page = response.content.decode()
    assert response.status_code == 200
    for repository in pushed:
        assert f"{token_registry.url}/{repository}" in page
    assert tokens.issued
    for token in tokens.issued:
        assert token not in page
        assert token not in caplog.text
    assert registry.password not in page
    assert registry.password not in caplog.text


def test_search_page_wrong_password(operator_client, engine_host, token_registry):
    registry = stored(token_registry, wrong_password=True)
    query = {"source": f"registry-{registry.pk}", "term": "", "host": engine_host.pk}

    response = operator_client.get(reverse("image-search"), query)

    page = response.content.decode()
    assert "rejected the user name and password" in page
    assert WRONG_PASSWORD not in page


def test_login_check_succeeds(token_registry, engine_host):
    registry = stored(token_registry)

    result = registries.check_login(registry, engine_host)

    assert result.ok, result.message
    assert "Login Succeeded" in result.message
    registry.refresh_from_db()
    assert registry.last_check_ok is True


def test_login_check_wrong_password(token_registry, engine_host, caplog):
    registry = stored(token_registry, wrong_password=True)

    with caplog.at_level(logging.DEBUG):
        result = registries.check_login(registry, engine_host)

    assert not result.ok
    assert "Login failed" in result.message
    assert "incorrect username or password" in result.message
    assert WRONG_PASSWORD not in result.message
    assert WRONG_PASSWORD not in caplog.text
