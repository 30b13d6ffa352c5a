"""The form that adds or edits a Docker host: TCP with TLS, SSH, or a local socket.

Certificates and keys can be pasted or uploaded. On edit, empty secret fields
keep what is stored, because stored keys are never sent back to the browser.
"""

import datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django import forms

from .models import DockerHost
from .ssh_transport import load_private_key, parse_target

TLS = "tls"
SSH = "ssh"
SOCKET = "socket"
KINDS = [(TLS, "TCP with TLS"), (SSH, "SSH"), (SOCKET, "Local socket")]
MAX_PEM_BYTES = 64 * 1024
PEM_FIELDS = {
    "tls_ca": "CA certificate",
    "tls_cert": "Client certificate",
    "tls_key": "Client key",
    "ssh_key": "SSH private key",
}


def kind_of(url: str) -> str:
    if url.startswith("ssh://"):
        return SSH
    if url.startswith("unix://"):
        return SOCKET
    return TLS


def _pem_area(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=f"{label} (PEM)",
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )


def _pem_file(label: str) -> forms.FileField:
    return forms.FileField(
        label=f"{label} file", required=False, help_text="Or upload the PEM file."
    )


def _split_address(text: str, default_port: int) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon or "]" in port:
        return text, default_port
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise forms.ValidationError(f"Port {port} is invalid: use 1 to 65535.")
    return host, int(port)


def _parse_certificates(text: str, label: str) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(text.encode())
    except ValueError as error:
        raise forms.ValidationError(
            f"The {label} is not a PEM certificate (-----BEGIN CERTIFICATE-----)."
        ) from error
    now = datetime.datetime.now(datetime.UTC)
    for certificate in certificates:
        if certificate.not_valid_after_utc < now:
            expired = certificate.not_valid_after_utc.date()
            raise forms.ValidationError(f"The {label} expired on {expired}.")
    return certificates


def _parse_tls_key(text: str):
    try:
        return serialization.load_pem_private_key(text.encode(), password=None)
    except TypeError as error:
        raise forms.ValidationError(
            "The client key is protected by a passphrase; Pier needs it without one."
        ) from error
    except ValueError as error:
        raise forms.ValidationError(
            "The client key is not a PEM private key (-----BEGIN PRIVATE KEY-----)."
        ) from error


class HostForm(forms.ModelForm):
    """Connection settings of a Docker host; `save()` builds its URL."""

    kind = forms.ChoiceField(
        label="Connection", choices=KINDS, initial=TLS, widget=forms.RadioSelect
    )
    address = forms.CharField(
        label="Address",
        max_length=400,
        help_text=(
            "TCP with TLS: HOST[:PORT] (port 2376 if left out). "
            "SSH: USER@HOST[:PORT] (port 22). Local socket: the socket's path."
        ),
    )
    tls_ca = _pem_area("CA certificate", "The CA that signed the engine's certificate.")
    tls_ca_file = _pem_file("CA certificate")
    tls_cert = _pem_area(
        "Client certificate", "Pier's client certificate, signed by the engine's CA."
    )
    tls_cert_file = _pem_file("Client certificate")
    tls_key = _pem_area("Client key", "The private key of the client certificate.")
    tls_key_file = _pem_file("Client key")
    ssh_key = _pem_area(
        "SSH private key",
        "An Ed25519, ECDSA or RSA key without passphrase. Stored encrypted.",
    )
    ssh_key_file = _pem_file("SSH private key")

    class Meta:
        model = DockerHost
        fields = ["name", "public_address", "compose_command"]
        labels = {
            "public_address": "Public address",
            "compose_command": "Compose command",
        }
        help_texts = {
            "public_address": (
                "Address that people use to reach apps published on this host. "
                "Empty means the host part of the address (127.0.0.1 for a socket)."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = self.instance.pk is not None
        self.fields["public_address"].required = False
        if not self.editing:
            self.fields["public_address"].initial = ""
        if self.editing:
            self.fields["kind"].initial = kind_of(self.instance.url)
            self.fields["address"].initial = self._address_of(self.instance.url)
            for name in ("tls_key", "ssh_key", "tls_ca", "tls_cert"):
                if getattr(self.instance, name):
                    self.fields[
                        name
                    ].help_text += " Leave empty to keep the stored one."
            if self.instance.ssh_host_key:
                self.fields["forget_host_key"] = forms.BooleanField(
                    label="Forget the recorded SSH host key",
                    required=False,
                    help_text="Trust the key the server offers on the next connection.",
                )

    @staticmethod
    def _address_of(url: str) -> str:
        for prefix in ("tcp://", "ssh://", "unix://"):
            if url.startswith(prefix):
                return url.removeprefix(prefix)
        return url

    def _pem(self, name: str) -> str:
        """Return the pasted or uploaded PEM text of a field, or ""."""
        upload = self.cleaned_data.get(f"{name}_file")
        text = (self.cleaned_data.get(name) or "").strip()
        if upload:
            if upload.size > MAX_PEM_BYTES:
                self.add_error(f"{name}_file", "The file is larger than 64 KiB.")
                return ""
            text = upload.read().decode("utf-8", "replace").strip()
        return text

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        address = (data.get("address") or "").strip()
        for name in PEM_FIELDS:
            data[name] = self._pem(name)
        if not address or kind not in dict(KINDS):
            return data
        try:
            if kind == TLS:
                self._clean_tls(data, address)
            elif kind == SSH:
                self._clean_ssh(data, address)
            else:
                self._clean_socket(data, address)
        except forms.ValidationError as error:
            self.add_error("address", error)
        if not data.get("public_address") and "url" in data:
            data["public_address"] = urlsplit(data["url"]).hostname or "127.0.0.1"
        return data

    def _stored(self, name: str) -> str:
        return getattr(self.instance, name) if self.editing else ""

    def _clean_tls(self, data: dict, address: str) -> None:
        host, port = _split_address(address.removeprefix("tcp://"), 2376)
        if not host:
            raise forms.ValidationError("Write the engine's HOST[:PORT].")
        data["url"] = f"tcp://{host}:{port}"
        ca = data["tls_ca"] or self._stored("tls_ca")
        cert = data["tls_cert"] or self._stored("tls_cert")
        key = data["tls_key"] or self._stored("tls_key")
        if not ca:
            self.add_error("tls_ca", "Add the CA certificate that signed the engine's.")
        else:
            self._check(lambda: _parse_certificates(ca, "CA certificate"), "tls_ca")
        if bool(cert) != bool(key):
            missing = "tls_key" if cert else "tls_cert"
            self.add_error(missing, "Add both the client certificate and its key.")
            return
        if cert:
            self._check(lambda: self._check_pair(cert, key), "tls_cert")

    def _check(self, validate, field: str) -> None:
        try:
            validate()
        except forms.ValidationError as error:
            self.add_error(field, error)

    def _check_pair(self, cert_text: str, key_text: str) -> None:
        certificate = _parse_certificates(cert_text, "client certificate")[0]
        try:
            key = _parse_tls_key(key_text)
        except forms.ValidationError as error:
            self.add_error("tls_key", error)
            return
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        encoding = serialization.Encoding.DER
        if key.public_key().public_bytes(encoding, public) != (
            certificate.public_key().public_bytes(encoding, public)
        ):
            self.add_error(
                "tls_key", "The client key does not belong to the client certificate."
            )

    def _clean_ssh(self, data: dict, address: str) -> None:
        url = "ssh://" + address.removeprefix("ssh://")
        try:
            user, host, port = parse_target(url)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        data["url"] = f"ssh://{user}@{host}:{port}"
        key = data["ssh_key"] or self._stored("ssh_key")
        if not key:
            self.add_error("ssh_key", "Add the private key Pier logs in with.")
            return
        try:
            load_private_key(key)
        except ValueError as error:
            self.add_error("ssh_key", str(error))

    def _clean_socket(self, data: dict, address: str) -> None:
        path = address.removeprefix("unix://")
        if not path.startswith("/"):
            raise forms.ValidationError("Write the socket's absolute path.")
        data["url"] = f"unix://{path}"

    def save(self, commit: bool = True) -> DockerHost:
        """Apply the connection settings; secrets left empty on edit are kept."""
        host = super().save(commit=False)
        data = self.cleaned_data
        kind = data["kind"]
        if kind == SSH and host.url != data["url"]:
            host.ssh_host_key = ""
        if data.get("forget_host_key"):
            host.ssh_host_key = ""
        host.url = data["url"]
        for name in PEM_FIELDS:
            if data[name]:
                setattr(host, name, data[name])
        if kind != TLS:
            host.tls_ca = host.tls_cert = host.tls_key = ""
        if kind != SSH:
            host.ssh_key = host.ssh_host_key = ""
        if commit:
            host.save()
        return host
