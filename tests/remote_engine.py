"""A second Docker engine for tests, in a network namespace of its own.

The engine listens on the namespace's address over TCP with TLS (certificates
made here with `cryptography`) and on a private unix socket. An sshd in the same
namespace lets a generated key log in as root; `SetEnv DOCKER_HOST` makes the
remote `docker system dial-stdio` reach the namespace's engine. The engine gets
its own data root, exec root, pid file, engine ID, cgroup parent and a private
/run, so it never meets the machine's own engine. Inside `ip netns exec` /sys is
fresh, so the cgroup v1 hierarchies are mounted again before dockerd starts.
"""

import datetime
import ipaddress
import json
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_PORT = 2376
SSH_PORT = 2222
START_TIMEOUT = 30.0

MOUNT_SCRIPT = """\
set -e
mount -t tmpfs pier-run /run
mkdir -p /run/sshd
mount -t tmpfs pier-cgroup /sys/fs/cgroup
{cgroup_mounts}
"""

SSHD_CONFIG = """\
ListenAddress {address}
Port {port}
HostKey {folder}/ssh_host_ed25519_key
PidFile {folder}/sshd.pid
AuthorizedKeysFile {folder}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
SetEnv DOCKER_HOST=unix://{folder}/docker.sock
"""


def _cgroup_mounts() -> str:
    """Return shell lines that mount the machine's cgroup hierarchies again."""
    lines = []
    for entry in Path("/proc/self/mounts").read_text().splitlines():
        mount_point, kind, options = entry.split()[1:4]
        if kind not in ("cgroup", "cgroup2") or mount_point == "/sys/fs/cgroup":
            continue
        if not mount_point.startswith("/sys/fs/cgroup/"):
            continue
        kept = [
            option
            for option in options.split(",")
            if option not in ("rw", "ro", "relatime", "nosuid", "nodev", "noexec")
        ]
        option_text = f"-o {','.join(kept)} " if kept else ""
        lines.append(
            f"mkdir -p {mount_point}\nmount -t {kind} {option_text}{kind} {mount_point}"
        )
    return "\n".join(lines)


def _pem_private(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _pem_cert(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class Authority:
    """A certificate authority made for one test run."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, name: str) -> "Authority":
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def pem(self) -> str:
        return _pem_cert(self.cert)

    def issue(self, name: str, address: str = "") -> tuple[str, str]:
        """Return (certificate PEM, key PEM): a server's when `address` is set."""
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if address else None
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(
                x509.ExtendedKeyUsage([usage or ExtendedKeyUsageOID.CLIENT_AUTH]),
                False,
            )
        )
        if address:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address(address))]
                ),
                False,
            )
        cert = builder.sign(self.key, hashes.SHA256())
        return _pem_cert(cert), _pem_private(key)


def make_ssh_key() -> tuple[str, str]:
    """Return (OpenSSH private key, public key line) of a new ed25519 key."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return private, public.decode()


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def _free_subnet() -> tuple[str, str]:
    """Pick a /30 in 10.200.0.0/13 that no route of this machine covers."""
    for _ in range(50):
        base = f"10.{random.randint(200, 207)}.{random.randint(0, 255)}"
        offset = random.randrange(0, 256, 4)
        host_side, namespace_side = f"{base}.{offset + 1}", f"{base}.{offset + 2}"
        routes = subprocess.run(
            ["ip", "-4", "route", "show", "match", namespace_side],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if all(line.startswith("default") for line in routes.splitlines()):
            return host_side, namespace_side
    raise RuntimeError("No free 10.200.0.0/13 subnet for the remote engine")


@dataclass
class RemoteEngine:
    """A started engine: its addresses, credentials and processes."""

    folder: Path
    namespace: str = ""
    host_address: str = ""
    address: str = ""
    veth: str = ""
    authority: Authority = field(default_factory=lambda: Authority.create("ca"))
    client_cert: str = ""
    client_key: str = ""
    ssh_private_key: str = ""
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def socket(self) -> str:
        return f"unix://{self.folder}/docker.sock"

    @property
    def tls_url(self) -> str:
        return f"tcp://{self.address}:{TLS_PORT}"

    @property
    def ssh_url(self) -> str:
        return f"ssh://root@{self.address}:{SSH_PORT}"

    def api(self) -> docker.APIClient:
        """Return a low-level client on the engine's unix socket."""
        return docker.APIClient(base_url=self.socket, version="auto", timeout=30)

    def start(self) -> "RemoteEngine":
        token = uuid.uuid4().hex[:6]
        self.namespace = f"pier-remote-{token}"
        self.veth = f"pr{token}n"
        self.host_address, self.address = _free_subnet()
        self._make_network(f"pr{token}h")
        self._write_credentials()
        self._start_dockerd(token)
        self._start_sshd()
        return self

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, timeout=30)

    def _in_namespace(self, *args: str) -> None:
        self._run("ip", "netns", "exec", self.namespace, *args)

    def _make_network(self, host_veth: str) -> None:
        self._run("ip", "netns", "add", self.namespace)
        self._run(
            "ip", "link", "add", host_veth, "type", "veth", "peer", "name", self.veth
        )
        self._run("ip", "link", "set", self.veth, "netns", self.namespace)
        self._run("ip", "addr", "add", f"{self.host_address}/30", "dev", host_veth)
        self._run("ip", "link", "set", host_veth, "up")
        self._in_namespace("ip", "link", "set", "lo", "up")
        self._in_namespace("ip", "addr", "add", f"{self.address}/30", "dev", self.veth)
        self._in_namespace("ip", "link", "set", self.veth, "up")

    def _write_credentials(self) -> None:
        server_cert, server_key = self.authority.issue("engine", self.address)
        self.client_cert, self.client_key = self.authority.issue("pier")
        _write(self.folder / "ca.pem", self.authority.pem)
        _write(self.folder / "server.pem", server_cert)
        _write(self.folder / "server-key.pem", server_key)
        host_key, _ = make_ssh_key()
        _write(self.folder / "ssh_host_ed25519_key", host_key)
        self.ssh_private_key, public = make_ssh_key()
        _write(self.folder / "authorized_keys", public + "\n")
        _write(
            self.folder / "sshd_config",
            SSHD_CONFIG.format(address=self.address, port=SSH_PORT, folder=self.folder),
        )

    def _spawn(self, name: str, command: str) -> subprocess.Popen:
        """Start `command` in the namespace after the mounts; it keeps the PID."""
        script = MOUNT_SCRIPT.format(cgroup_mounts=_cgroup_mounts())
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.namespace,
                "sh",
                "-c",
                f"{script}exec {command}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def _start_dockerd(self, token: str) -> None:
        folder = self.folder
        _write(
            folder / "daemon.json",
            json.dumps(
                {
                    "cgroup-parent": f"/pier-remote-{token}",
                    # A key file of its own gives the engine its own ID.
                    "deprecated-key-path": f"{folder}/key.json",
                }
            ),
        )
        command = (
            f"dockerd --config-file {folder}/daemon.json"
            f" --data-root {folder}/data --exec-root {folder}/exec"
            f" --pidfile {folder}/dockerd.pid -H {self.socket}"
            f" -H tcp://{self.address}:{TLS_PORT} --tlsverify"
            f" --tlscacert {folder}/ca.pem --tlscert {folder}/server.pem"
            f" --tlskey {folder}/server-key.pem"
        )
        process = self._spawn("dockerd", command)
        self._wait(lambda: self.api().ping(), process, "dockerd")

    def _start_sshd(self) -> None:
        process = self._spawn(
            "sshd", f"/usr/sbin/sshd -D -e -f {self.folder}/sshd_config"
        )
        self._wait(lambda: (self.folder / "sshd.pid").exists(), process, "sshd")

    def _wait(self, probe, process: subprocess.Popen, name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                if probe():
                    return
            except (docker.errors.DockerException, OSError):
                pass
            time.sleep(0.2)
        log = (self.folder / f"{name}.log").read_text()[-2000:]
        raise RuntimeError(f"{name} of the remote engine did not start:\n{log}")

    def load_image(self, local_api: docker.APIClient, reference: str) -> None:
        """Copy an image from the machine's engine (`docker save | docker load`)."""
        data = b"".join(local_api.get_image(reference))
        with self.api() as api:
            for _ in api.load_image(data):
                pass

    def set_link(self, up: bool) -> None:
        """Bring the namespace's network link up or down (a network cut)."""
        self._in_namespace("ip", "link", "set", self.veth, "up" if up else "down")

    def stop(self) -> None:
        self._remove_containers()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.namespace:
            subprocess.run(["ip", "netns", "delete", self.namespace], check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _remove_containers(self) -> None:
        try:
            with self.api() as api:
                for entry in api.containers(all=True):
                    api.remove_container(entry["Id"], force=True)
        except (docker.errors.DockerException, OSError):
            pass


@pytest.fixture(scope="session", name="remote_engine")
def remote_engine_fixture(docker_api):
    """A second Docker engine with busybox, reached over TLS and SSH."""
    # A short folder: the engine's unix sockets must fit in 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="pier-remote-"))
    engine = RemoteEngine(folder)
    try:
        engine.start()
        engine.load_image(docker_api, "busybox:latest")
    except BaseException:
        engine.stop()
        raise
    yield engine
    engine.stop()
