"""Adding and editing hosts: uploads, pasted keys, validation messages, secrets."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from containers.models import DockerHost, Profile
from tests.remote_engine import Authority, make_ssh_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(users, client):
    user = users.make(role=Profile.OPERATOR)
    client.force_login(user)
    return user


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority.create("form-ca")


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/x-pem")


def post_add(client, data: dict):
    return client.post(reverse("host-add"), data)


def errors_of(response) -> str:
    return " ".join(
        str(error)
        for errors in response.context["form"].errors.values()
        for error in errors
    )


def test_add_tls_host_from_uploads(client, operator, authority):
    cert, key = authority.issue("pier")
    response = post_add(
        client,
        {
            "name": "edge",
            "kind": "tls",
            "address": "192.0.2.7",
            "tls_ca_file": upload("ca.pem", authority.pem),
            "tls_cert_file": upload("cert.pem", cert),
            "tls_key_file": upload("key.pem", key),
        },
    )
    host = DockerHost.objects.get(name="edge")
    assert response.status_code == 302
    assert response["Location"] == reverse("host-detail", args=[host.pk])
    assert host.url == "tcp://192.0.2.7:2376"
    assert host.public_address == "192.0.2.7"
    assert host.tls_ca == authority.pem.strip()
    assert host.tls_cert == cert.strip()
    assert host.tls_key == key.strip()


def test_add_ssh_host_stores_key_encrypted(client, operator):
    private, _ = make_ssh_key()
    response = post_add(
        client,
        {
            "name": "far",
            "kind": "ssh",
            "address": "deploy@192.0.2.8:2222",
            "public_address": "apps.example.test",
            "ssh_key": private,
        },
    )
    host = DockerHost.objects.get(name="far")
    assert response.status_code == 302
    assert host.url == "ssh://deploy@192.0.2.8:2222"
    assert host.public_address == "apps.example.test"
    assert host.ssh_key == private.strip()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ssh_key FROM containers_dockerhost WHERE id = %s", [host.pk]
        )
        stored = cursor.fetchone()[0]
    assert "PRIVATE KEY" not in stored


def test_tls_needs_ca(client, operator, authority):
    cert, key = authority.issue("pier")
    data = {"name": "a", "kind": "tls", "address": "192.0.2.7"}
    response = post_add(client, {**data, "tls_cert": cert, "tls_key": key})
    assert response.status_code == 400
    assert "Add the CA certificate" in errors_of(response)


def test_tls_rejects_non_pem_ca(client, operator):
    data = {"name": "a", "kind": "tls", "address": "192.0.2.7", "tls_ca": "hello"}
    response = post_add(client, data)
    assert response.status_code == 400
    assert "not a PEM certificate" in errors_of(response)


def test_tls_rejects_key_of_other_cert(client, operator, authority):
    cert, _ = authority.issue("pier")
    _, other_key = authority.issue("other")
    data = {"name": "a", "kind": "tls", "address": "192.0.2.7"}
    data.update({"tls_ca": authority.pem, "tls_cert": cert, "tls_key": other_key})
    response = post_add(client, data)
    assert response.status_code == 400
    assert "does not belong to the client certificate" in errors_of(response)


def test_tls_needs_key_with_cert(client, operator, authority):
    cert, _ = authority.issue("pier")
    data = {"name": "a", "kind": "tls", "address": "192.0.2.7"}
    response = post_add(client, {**data, "tls_ca": authority.pem, "tls_cert": cert})
    assert response.status_code == 400
    assert "both the client certificate and its key" in errors_of(response)


def test_tls_rejects_bad_port(client, operator, authority):
    data = {"name": "a", "kind": "tls", "address": "192.0.2.7:99999"}
    response = post_add(client, {**data, "tls_ca": authority.pem})
    assert response.status_code == 400
    assert "Port 99999 is invalid" in errors_of(response)


def test_ssh_needs_user(client, operator):
    private, _ = make_ssh_key()
    data = {"name": "a", "kind": "ssh", "address": "192.0.2.8", "ssh_key": private}
    response = post_add(client, data)
    assert response.status_code == 400
    assert "names no user" in errors_of(response)


def test_ssh_rejects_garbage_key(client, operator):
    data = {"name": "a", "kind": "ssh", "address": "u@192.0.2.8", "ssh_key": "nope"}
    response = post_add(client, data)
    assert response.status_code == 400
    assert "not a valid OpenSSH or PEM private key" in errors_of(response)


def test_ssh_rejects_passphrase_key(client, operator):
    key = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"secret"),
    )
    data = {"name": "a", "kind": "ssh", "address": "u@192.0.2.8"}
    response = post_add(client, {**data, "ssh_key": key.decode()})
    assert response.status_code == 400
    assert "protected by a passphrase" in errors_of(response)


def test_socket_needs_absolute_path(client, operator):
    data = {"name": "a", "kind": "socket", "address": "docker.sock"}
    response = post_add(client, data)
    assert response.status_code == 400
    assert "absolute path" in errors_of(response)


def expired_certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=10))
        .not_valid_after(now - datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_expired_ca_rejected(client, operator):
    data = {"name": "a", "kind": "tls", "address": "192.0.2.7"}
    response = post_add(client, {**data, "tls_ca": expired_certificate()})
    assert response.status_code == 400
    assert "The CA certificate expired on" in errors_of(response)


def ssh_host(**fields) -> DockerHost:
    private, _ = make_ssh_key()
    values = {
        "name": "far",
        "url": "ssh://deploy@192.0.2.8:22",
        "ssh_key": private,
        "ssh_host_key": make_ssh_key()[1],
    }
    values.update(fields)
    return DockerHost.objects.create(**values)


def test_edit_keeps_stored_key(client, operator):
    host = ssh_host()
    stored = host.ssh_key
    data = {"name": "far2", "kind": "ssh", "address": "deploy@192.0.2.8:22"}
    response = client.post(reverse("host-edit", args=[host.pk]), data)
    host.refresh_from_db()
    assert response.status_code == 302
    assert host.name == "far2"
    assert host.ssh_key == stored
    assert host.ssh_host_key.startswith("ssh-ed25519 ")


def test_edit_page_hides_secrets(client, operator):
    host = ssh_host()
    body = client.get(reverse("host-edit", args=[host.pk])).content.decode()
    assert "PRIVATE KEY" not in body
    assert "Leave empty to keep the stored one" in body


def test_edit_new_address_forgets_host_key(client, operator):
    host = ssh_host()
    data = {"name": "far", "kind": "ssh", "address": "deploy@192.0.2.9"}
    client.post(reverse("host-edit", args=[host.pk]), data)
    host.refresh_from_db()
    assert host.url == "ssh://deploy@192.0.2.9:22"
    assert host.ssh_host_key == ""


def test_edit_forget_host_key(client, operator):
    host = ssh_host()
    data = {"name": "far", "kind": "ssh", "address": "deploy@192.0.2.8:22"}
    client.post(reverse("host-edit", args=[host.pk]), {**data, "forget_host_key": "on"})
    host.refresh_from_db()
    assert host.ssh_host_key == ""


def test_edit_to_socket_drops_secrets(client, operator):
    host = ssh_host()
    data = {"name": "far", "kind": "socket", "address": "/run/other.sock"}
    client.post(reverse("host-edit", args=[host.pk]), data)
    host.refresh_from_db()
    assert host.url == "unix:///run/other.sock"
    assert host.ssh_key == ""
    assert host.ssh_host_key == ""
