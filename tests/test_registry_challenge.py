"""Parsing the Bearer challenge of a registry with token authentication."""

from containers.services.registry_tokens import Challenge, parse_challenge


def test_challenge_with_all_parameters():
    header = (
        'Bearer realm="https://auth.example.com/token",'
        'service="registry.example.com",scope="registry:catalog:*"'
    )

    assert parse_challenge(header) == Challenge(
        realm="https://auth.example.com/token",
        service="registry.example.com",
        scope="registry:catalog:*",
    )


def test_challenge_scope_with_comma():
    header = (
        'Bearer realm="https://auth.example.com/token", '
        'scope="repository:a/b:pull,push",error="insufficient_scope"'
    )

    challenge = parse_challenge(header)

    assert challenge is not None
    assert challenge.scope == "repository:a/b:pull,push"
    assert challenge.error == "insufficient_scope"
    assert challenge.service == ""


def test_challenge_escapes_and_bare_values():
    header = r'bearer Realm="https://auth.example.com/t\"x", service=registry'

    challenge = parse_challenge(header)

    assert challenge is not None
    assert challenge.realm == 'https://auth.example.com/t"x'
    assert challenge.service == "registry"


def test_basic_challenge_is_not_bearer():
    assert parse_challenge('Basic realm="pier-test"') is None


def test_challenge_without_realm():
    assert parse_challenge('Bearer service="registry.example.com"') is None
