"""Image references as Docker reads them: grammar, registry host, tag."""

import pytest

from containers.services.images import (
    InvalidReference,
    split_reference,
    validate_reference,
)
from containers.services.registries import explicit_host, registry_host

VALID = [
    "busybox",
    "busybox:1.36",
    "library/busybox:latest",
    "127.0.0.1:5000/team/app:v2.1",
    "registry.example.com/a_b/c-d__e:tag",
    "localhost/app@sha256:" + "a" * 64,
]
INVALID = [
    "",
    "Busybox",
    "busybox:",
    "a//b",
    "app:bad tag",
    "-app",
    "app:-x",
    "a" * 256,
]


@pytest.mark.parametrize("reference", VALID)
def test_valid_reference_is_kept(reference):
    assert validate_reference(f" {reference} ") == reference


@pytest.mark.parametrize("reference", INVALID)
def test_invalid_reference_is_rejected(reference):
    with pytest.raises(InvalidReference):
        validate_reference(reference)


def test_digest_rejected_where_tag_needed():
    with pytest.raises(InvalidReference, match="not a digest"):
        validate_reference("app@sha256:" + "b" * 64, allow_digest=False)


@pytest.mark.parametrize(
    ("reference", "host"),
    [
        ("busybox", None),
        ("team/app:1", None),
        ("localhost/app", "localhost"),
        ("127.0.0.1:5000/app:1", "127.0.0.1:5000"),
        ("Registry.Example.com/app", "registry.example.com"),
    ],
)
def test_explicit_host_follows_docker(reference, host):
    assert explicit_host(reference) == host
    assert registry_host(reference) == (host or "docker.io")


def test_split_reference_keeps_port():
    assert split_reference("127.0.0.1:5000/app") == ("127.0.0.1:5000/app", "latest")
    assert split_reference("127.0.0.1:5000/app:2") == ("127.0.0.1:5000/app", "2")
