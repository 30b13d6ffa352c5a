"""Forms of the compose pages: create, edit, the actions and the policy."""

import shutil
import uuid
from pathlib import Path

from django import forms
from django.conf import settings

from . import sources
from .compose.cli import DEFAULT_FILE_NAMES
from .models import ComposePolicySetting, ComposeProject, Container, DockerHost, Team
from .models.compose import compose_name_validator
from .services.access import is_operator

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
MAX_COMPOSE_FILE_BYTES = 1_000_000
TEXTAREA = {"rows": 16, "spellcheck": "false", "class": "code"}


def upload_root() -> Path:
    return Path(settings.PIER_BUILD_DIR) / "compose-uploads"


class ComposeFilesForm(forms.Form):
    """The compose file and its optional `.env` file, as text."""

    compose_file = forms.CharField(
        label="Compose file",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="The contents of compose.yaml.",
    )
    env_file = forms.CharField(
        label=".env file",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={**TEXTAREA, "rows": 4}),
        help_text="KEY=value lines that compose uses for ${VARIABLE} values. "
        "Stored encrypted.",
    )


class ComposeCreateForm(ComposeFilesForm):
    """A new project: its name, team and host, and its files or Git source."""

    name = forms.CharField(
        label="Project name",
        max_length=63,
        validators=[compose_name_validator],
        help_text="Lowercase letters, digits, dashes and underscores.",
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label="Team")
    host = forms.ModelChoiceField(
        queryset=DockerHost.objects.all(), label="Docker host"
    )
    source_kind = forms.ChoiceField(
        label="Source",
        choices=ComposeProject.SOURCES,
        initial=ComposeProject.PASTED,
        widget=forms.RadioSelect,
    )
    upload = forms.FileField(
        label="Upload a compose file or an archive",
        required=False,
        help_text="A compose.yaml, or a .tar.gz or .zip with compose.yaml at its "
        "top and the build folders it uses. Replaces the pasted text.",
    )
    git_url = forms.CharField(
        label="Git repository URL", required=False, max_length=500
    )
    git_branch = forms.CharField(
        label="Branch", required=False, initial="main", max_length=200
    )
    git_path = forms.CharField(
        label="Compose file path",
        required=False,
        initial="compose.yaml",
        max_length=300,
        help_text="Path of the compose file inside the repository.",
    )

    field_order = ["name", "team", "host", "source_kind"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.all() if is_operator(user) else user.teams.all()
        self.fields["team"].queryset = teams
        if teams.count() == 1:
            self.fields["team"].initial = teams.first()
        local = DockerHost.objects.filter(name="local").first()
        if local:
            self.fields["host"].initial = local
        self.archive_path = ""

    def clean(self):
        data = super().clean()
        self._clean_name(data)
        if data.get("source_kind") == ComposeProject.GIT:
            self._clean_git(data)
        elif data.get("upload"):
            self._clean_upload(data)
        elif not (data.get("compose_file") or "").strip():
            self.add_error("compose_file", "Paste a compose file or upload one.")
        return data

    def _clean_name(self, data) -> None:
        name, host = data.get("name"), data.get("host")
        if not name or not host:
            return
        if ComposeProject.objects.filter(host=host, name=name).exists():
            self.add_error("name", f"A compose project named {name} already exists.")
        elif Container.objects.filter(host=host, compose_project=name).exists():
            self.add_error(
                "name",
                f"A compose project named {name} already runs on host {host.name} "
                "outside Pier. Choose another name.",
            )

    def _clean_git(self, data) -> None:
        url = (data.get("git_url") or "").strip()
        if not url:
            self.add_error("git_url", "Enter the Git repository URL.")
            return
        try:
            data["git_url"] = sources.validate_git_url(
                url, settings.PIER_LOCAL_SOURCE_ROOTS
            )
            data["git_branch"] = sources.validate_branch(
                data.get("git_branch") or "main"
            )
        except sources.SourceError as error:
            self.add_error("git_url", str(error))
        path = Path(data.get("git_path") or "compose.yaml")
        if path.is_absolute() or ".." in path.parts:
            self.add_error("git_path", "Enter a path inside the repository.")

    def _clean_upload(self, data) -> None:
        upload = data["upload"]
        name = upload.name.lower()
        if name.endswith(ARCHIVE_SUFFIXES):
            self._unpack(data, upload)
        elif name.endswith((".yaml", ".yml")):
            if upload.size > MAX_COMPOSE_FILE_BYTES:
                self.add_error("upload", "The compose file is larger than 1 MB.")
                return
            data["compose_file"] = _decode(self, upload.read())
        else:
            self.add_error(
                "upload",
                f"{upload.name} is not a .yaml, .tar.gz, .tgz, .tar or .zip file.",
            )

    def _unpack(self, data, upload) -> None:
        folder = upload_root() / uuid.uuid4().hex
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            context = sources.extract_archive(upload, upload.name, folder)
        except sources.SourceError as error:
            self.add_error("upload", str(error))
            return
        compose_path = next(
            (context / n for n in DEFAULT_FILE_NAMES if (context / n).is_file()), None
        )
        if compose_path is None:
            shutil.rmtree(folder, ignore_errors=True)
            self.add_error("upload", "The archive has no compose.yaml at its top.")
            return
        data["compose_file"] = _decode(self, compose_path.read_bytes())
        self.archive_path = str(context)


def _decode(form: forms.Form, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        form.add_error("upload", "The compose file is not UTF-8 text.")
        return ""


class UpForm(forms.Form):
    build = forms.BooleanField(label="Build images first", required=False, initial=True)
    wait = forms.BooleanField(
        label="Wait until services are running and healthy", required=False
    )
    wait_timeout = forms.IntegerField(
        label="Wait at most (seconds)",
        required=False,
        min_value=1,
        max_value=3600,
        initial=120,
    )


class KillForm(forms.Form):
    signal = forms.ChoiceField(
        label="Signal",
        choices=[(name, name) for name in ("SIGKILL", "SIGTERM", "SIGINT", "SIGHUP")],
    )


class DownForm(forms.Form):
    volumes = forms.BooleanField(label="Remove named volumes too", required=False)
    # Set by the confirmation page that lists the volumes that would go.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    rmi = forms.ChoiceField(
        label="Remove images",
        required=False,
        choices=[("", "None"), ("local", "Built by the project"), ("all", "All used")],
    )


class ServiceForm(forms.Form):
    service = forms.RegexField(
        label="Service", regex=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", max_length=200
    )


class ScaleForm(ServiceForm):
    replicas = forms.IntegerField(label="Replicas", min_value=0, max_value=50)


class DeleteForm(forms.Form):
    confirm_name = forms.CharField(label="Type the project name to confirm")
    mode = forms.ChoiceField(
        label="What to do",
        choices=[
            ("down", "Run down first, then forget the project"),
            ("forget", "Forget the project and leave its containers running"),
        ],
        initial="down",
        widget=forms.RadioSelect,
    )


class PolicyForm(forms.ModelForm):
    class Meta:
        model = ComposePolicySetting
        fields = [
            "allow_privileged",
            "allow_host_namespaces",
            "allow_external_containers",
            "allow_devices",
            "allow_bind_mounts",
            "allowed_bind_roots",
            "allow_docker_socket",
            "allow_security_opt_unconfined",
            "extra_capabilities",
            "port_low",
            "port_high",
        ]
        labels = {
            "allow_privileged": "Allow privileged containers",
            "allow_host_namespaces": "Allow host network, PID and IPC namespaces",
            "allow_external_containers": "Allow joining other containers",
            "allow_devices": "Allow devices",
            "allow_bind_mounts": "Allow bind mounts",
            "allowed_bind_roots": "Allowed bind folders",
            "allow_docker_socket": "Allow the Docker socket",
            "allow_security_opt_unconfined": "Allow unconfined security options",
            "extra_capabilities": "Extra capabilities",
            "port_low": "Lowest published port",
            "port_high": "Highest published port",
        }

    def clean(self):
        data = super().clean()
        low, high = data.get("port_low"), data.get("port_high")
        if low is not None and high is not None and not 0 < low <= high <= 65535:
            self.add_error(
                "port_high", "Enter a range with 1 <= lowest <= highest <= 65535."
            )
        return data
