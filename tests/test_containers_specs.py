"""Pure checks of the container form's values, port formatting and inspect sections."""

import pytest

from containers.services import container_specs as specs
from containers.services.container_inspect import sections
from containers.services.container_list import format_ports


@pytest.mark.parametrize(
    "reference",
    [
        "busybox",
        "busybox:latest",
        "library/debian:bookworm",
        "127.0.0.1:5000/team/app:1.2-rc",
        "registry.example.org/a/b/c",
        "busybox@sha256:" + "a" * 64,
    ],
)
def test_image_reference_valid(reference):
    assert specs.check_image_reference(f" {reference} ") == reference


@pytest.mark.parametrize(
    "reference",
    ["", "Busybox", "busybox:", "bad image", "busybox:tag with space", "-lead", "a//b"],
)
def test_image_reference_invalid(reference):
    with pytest.raises(specs.InvalidSpec):
        specs.check_image_reference(reference)


def test_image_reference_too_long():
    with pytest.raises(specs.InvalidSpec, match="longer than 255"):
        specs.check_image_reference("a" * 256)


@pytest.mark.parametrize("name", ["web", "/web-1", "a.b_c-d"])
def test_object_name_valid(name):
    assert specs.check_object_name(name) == name.lstrip("/")


@pytest.mark.parametrize("name", ["a", "-web", "web/1", "wéb", ""])
def test_object_name_invalid(name):
    with pytest.raises(specs.InvalidSpec):
        specs.check_object_name(name)


def test_split_command_quotes():
    assert specs.split_command("sh -c 'echo hi; sleep 1'") == [
        "sh",
        "-c",
        "echo hi; sleep 1",
    ]


def test_split_command_unclosed_quote():
    with pytest.raises(specs.InvalidSpec, match="command is invalid"):
        specs.split_command("echo 'hi")


@pytest.mark.parametrize(
    ("text", "expected"), [("80", (80, 80)), ("8000-8005", (8000, 8005))]
)
def test_port_range_valid(text, expected):
    assert specs.parse_port_range(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("0", "out of range"), ("70000", "out of range"), ("9-5", "below the start")],
)
def test_port_range_invalid(text, message):
    with pytest.raises(specs.InvalidSpec, match=message):
        specs.parse_port_range(text)


def test_port_range_not_a_number():
    with pytest.raises(specs.InvalidSpec, match="not a port"):
        specs.parse_port_range("http")


def test_port_mapping_ranges_pair_up():
    mapping = specs.port_mapping("127.0.0.1", "8000-8002", "9000-9002", "tcp")
    assert mapping.pairs() == [(8000, 9000), (8001, 9001), (8002, 9002)]


def test_port_mapping_without_host_port():
    mapping = specs.port_mapping("", "", "80", "udp")
    assert mapping.pairs() == [(None, 80)]


def test_port_mapping_lengths_differ():
    with pytest.raises(specs.InvalidSpec, match="different lengths"):
        specs.port_mapping("", "8000-8005", "80", "tcp")


def test_port_mapping_bad_host_ip():
    with pytest.raises(specs.InvalidSpec, match="not an IP address"):
        specs.port_mapping("localhost", "80", "80", "tcp")


def test_port_mapping_bad_protocol():
    with pytest.raises(specs.InvalidSpec, match="Protocol"):
        specs.port_mapping("", "80", "80", "icmp")


def test_port_mapping_range_too_long():
    with pytest.raises(specs.InvalidSpec, match="at most 100"):
        specs.port_mapping("", "", "1000-1200", "tcp")


def test_docker_ports_bindings():
    mappings = [
        specs.port_mapping("127.0.0.1", "8080", "80", "tcp"),
        specs.port_mapping("127.0.0.1", "8081", "80", "tcp"),
        specs.port_mapping("", "", "53", "udp"),
    ]
    exposed, bindings = specs.docker_ports(mappings)
    assert exposed == [(80, "tcp"), (53, "udp")]
    assert bindings["80/tcp"] == [
        {"HostIp": "127.0.0.1", "HostPort": "8080"},
        {"HostIp": "127.0.0.1", "HostPort": "8081"},
    ]
    assert bindings["53/udp"] == [{"HostIp": "", "HostPort": ""}]


def test_volume_named():
    mount = specs.volume_mount("data", "/data", False)
    assert mount.is_bind is False
    assert mount.binding() == "data:/data:rw"


def test_volume_bind_read_only():
    mount = specs.volume_mount("/srv/site", "/site", True)
    assert mount.is_bind is True
    assert mount.binding() == "/srv/site:/site:ro"


def test_volume_relative_target():
    with pytest.raises(specs.InvalidSpec, match="must be absolute"):
        specs.volume_mount("data", "data", False)


def test_volume_bad_name():
    with pytest.raises(specs.InvalidSpec, match="volume name"):
        specs.volume_mount("./data", "/data", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", None), ("512m", 512 * 1024**2), ("1g", 1024**3), ("1.5G", 1536 * 1024**2)],
)
def test_memory_valid(text, expected):
    assert specs.parse_memory(text) == expected


@pytest.mark.parametrize(("text", "message"), [("lots", "not a size"), ("1m", "6m")])
def test_memory_invalid(text, message):
    with pytest.raises(specs.InvalidSpec, match=message):
        specs.parse_memory(text)


def test_cpus_valid():
    assert specs.parse_cpus("0.5") == 500_000_000


@pytest.mark.parametrize("text", ["0", "nan", "two", "-1"])
def test_cpus_invalid(text):
    with pytest.raises(specs.InvalidSpec):
        specs.parse_cpus(text)


def entry(private, public=None, ip="", protocol="tcp"):
    return {"ip": ip, "private": private, "public": public, "type": protocol}


def test_format_ports_joins_ranges():
    ports = [entry(8000 + n, 9000 + n, "0.0.0.0") for n in range(3)]
    assert format_ports(ports) == ["0.0.0.0:9000-9002->8000-8002/tcp"]


def test_format_ports_unpublished():
    assert format_ports([entry(80), entry(443)]) == ["80/tcp", "443/tcp"]


def test_format_ports_separates_protocols_and_addresses():
    ports = [
        entry(53, 5353, "127.0.0.1", "udp"),
        entry(80, 8080, "127.0.0.1"),
        entry(80, 8080, "::"),
    ]
    assert format_ports(ports) == [
        "127.0.0.1:8080->80/tcp",
        "127.0.0.1:5353->53/udp",
        "[::]:8080->80/tcp",
    ]


INSPECT = {
    "Config": {
        "Image": "busybox:latest",
        "Cmd": ["sleep", "60"],
        "Env": ["A=1", "PATH=/bin"],
        "Labels": {"pier.team": "3"},
        "Tty": True,
    },
    "HostConfig": {
        "Memory": 64 * 1024**2,
        "NanoCpus": 500_000_000,
        "NetworkMode": "bridge",
        "RestartPolicy": {"Name": "always"},
    },
    "State": {"Status": "running", "Pid": 42, "ExitCode": 0},
    "NetworkSettings": {
        "Networks": {"bridge": {"IPAddress": "172.17.0.2"}},
        "Ports": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]},
    },
    "Mounts": [{"Type": "volume", "Name": "data", "Destination": "/data"}],
}


def test_inspect_sections_titles():
    titles = [section.title for section in sections(INSPECT)]
    assert titles == [
        "Configuration",
        "Runtime state",
        "Network",
        "Mounts",
        "Environment",
    ]


def test_inspect_config_facts():
    facts = dict(sections(INSPECT)[0].facts)
    assert facts["Command"] == "sleep 60"
    assert facts["Memory limit"] == "64 MiB"
    assert facts["CPU limit"] == "0.5 CPUs"
    assert facts["Restart policy"] == "always"


def test_inspect_network_ports():
    facts = dict(sections(INSPECT)[2].facts)
    assert facts["Published ports"] == "127.0.0.1:8080 → 80/tcp"


def test_inspect_environment_rows():
    assert sections(INSPECT)[4].rows == [["A", "1"], ["PATH", "/bin"]]
