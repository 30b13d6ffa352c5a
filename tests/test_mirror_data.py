"""Converting Docker API list entries into mirror rows."""

from datetime import UTC, datetime

from containers.services.mirror_data import (
    container_fields,
    image_fields,
    network_fields,
    timestamp,
    volume_fields,
)

CONTAINER_ENTRY = {
    "Id": "abc",
    "Names": ["/web-1"],
    "Image": "nginx:1.25",
    "ImageID": "sha256:123",
    "Command": "nginx -g 'daemon off;'",
    "Created": 1733328000,
    "State": "running",
    "Status": "Up 2 minutes",
    "Ports": [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 443, "Type": "tcp"},
    ],
    "Labels": {
        "com.docker.compose.project": "shop",
        "com.docker.compose.service": "web",
    },
    "NetworkSettings": {"Networks": {"shop_default": {}, "bridge": {}}},
    "Mounts": [{"Type": "volume", "Name": "data", "Destination": "/data", "RW": True}],
}


def test_container_fields_read_names_and_ports():
    fields = container_fields(CONTAINER_ENTRY)

    assert fields["name"] == "web-1"
    assert fields["state"] == "running"
    assert fields["ports"][0] == {
        "ip": "0.0.0.0",
        "private": 80,
        "public": 8080,
        "type": "tcp",
    }
    assert fields["ports"][1]["public"] is None
    assert fields["networks"] == ["bridge", "shop_default"]
    assert fields["mounts"][0]["name"] == "data"


def test_container_fields_read_compose_labels():
    fields = container_fields(CONTAINER_ENTRY)

    assert fields["compose_project"] == "shop"
    assert fields["compose_service"] == "web"


def test_container_fields_tolerate_missing_keys():
    fields = container_fields({"Id": "x"})

    assert fields["name"] == ""
    assert fields["ports"] == []
    assert fields["labels"] == {}


def test_image_fields_drop_untagged_names():
    fields = image_fields(
        {"RepoTags": ["<none>:<none>"], "RepoDigests": ["<none>@<none>"], "Size": 5}
    )

    assert fields["tags"] == []
    assert fields["digests"] == []
    assert fields["size"] == 5


def test_network_fields_read_subnets():
    fields = network_fields(
        {
            "Name": "n",
            "Driver": "bridge",
            "IPAM": {"Config": [{"Subnet": "10.9.0.0/24"}]},
        }
    )

    assert fields["subnets"] == ["10.9.0.0/24"]
    assert fields["internal"] is False


def test_volume_fields_read_created():
    fields = volume_fields({"Driver": "local", "CreatedAt": "2026-12-04T10:00:00Z"})

    assert fields["created"] == datetime(2026, 12, 4, 10, tzinfo=UTC)


def test_timestamp_reads_nanoseconds_and_zones():
    assert timestamp("2026-12-04T10:00:00.123456789Z").microsecond == 123456
    assert timestamp("2026-12-04T10:00:00.5+01:00").hour == 10
    assert timestamp("0001-01-01T00:00:00Z") is None
    assert timestamp(0) is None
