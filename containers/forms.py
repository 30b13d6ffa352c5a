from django import forms
from django.conf import settings

from . import sources
from .models import App, DockerHost, Team
from .services.envvars import InvalidEnvironment, parse
from .services.images import InvalidReference, validate_reference
from .services.ports import PortTaken, check_port

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


def clean_branch(branch: str) -> str:
    """Validate a branch name the way the clone will, before anything is saved."""
    branch = (branch or "").strip()
    if not branch:
        return branch
    try:
        return sources.validate_branch(branch)
    except sources.SourceError as error:
        raise forms.ValidationError(str(error)) from error


def clean_source_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return url
    try:
        return sources.validate_git_url(url, settings.PIER_LOCAL_SOURCE_ROOTS)
    except sources.SourceError as error:
        raise forms.ValidationError(str(error)) from error


def checked_environment(text: str) -> str:
    """Return KEY=value lines unchanged, or raise the form error for the bad line."""
    try:
        parse(text)
    except InvalidEnvironment as error:
        raise forms.ValidationError(str(error)) from error
    return text


class PublishForm(forms.Form):
    """The Publish form: what the app is, where its source is, where it runs."""

    name = forms.CharField(
        label="App name",
        max_length=41,
        help_text="Lowercase letters, digits and dashes; also the image name.",
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label="Team")
    source_kind = forms.ChoiceField(
        label="Source", choices=App.SOURCES, initial=App.GIT, widget=forms.RadioSelect
    )
    source_url = forms.CharField(
        label="Git repository URL",
        required=False,
        max_length=500,
        help_text=(
            "https:// or ssh:// (or user@host:path), or a local folder an "
            "operator allowed."
        ),
    )
    branch = forms.CharField(
        label="Branch", required=False, initial="main", max_length=200
    )
    archive = forms.FileField(
        label="Archive (.tar.gz or .zip)",
        required=False,
        help_text="Its top folder, or its only folder, must contain a Dockerfile.",
    )
    image = forms.CharField(label="Image", required=False, max_length=300)
    container_port = forms.IntegerField(
        label="Port the app listens on", min_value=1, max_value=65535, initial=8080
    )
    host_port = forms.IntegerField(
        label="Host port",
        required=False,
        min_value=1,
        max_value=65535,
        help_text="Leave empty to get a free port.",
    )
    environment = forms.CharField(
        label="Environment variables",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=(
            "One KEY=value a line. Values are stored encrypted and masked in logs."
        ),
    )
    host = forms.ModelChoiceField(
        queryset=DockerHost.objects.all(), label="Docker host"
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .services.access import is_operator

        self.operator = is_operator(user)
        teams = Team.objects.all() if self.operator else user.teams.all()
        self.fields["team"].queryset = teams
        if teams.count() == 1:
            self.fields["team"].initial = teams.first()
        local = DockerHost.objects.filter(name="local").first()
        if local:
            self.fields["host"].initial = local

    def clean_name(self):
        from .models.apps import app_name_validator

        name = self.cleaned_data["name"].strip().lower()
        app_name_validator(name)
        if App.objects.filter(name=name).exists():
            raise forms.ValidationError(
                f"An app named {name} already exists. Open it to publish a new version."
            )
        return name

    def clean_environment(self):
        return checked_environment(self.cleaned_data.get("environment", ""))

    def _clean_image(self, data: dict) -> None:
        if not data.get("image"):
            self.add_error("image", "Enter the image to run, for example nginx:1.25.")
            return
        try:
            data["image"] = validate_reference(data["image"])
        except InvalidReference as error:
            self.add_error("image", str(error))

    def clean(self):
        data = super().clean()
        kind = data.get("source_kind")
        if kind == App.GIT:
            self._clean_git(data)
        elif kind == App.ARCHIVE:
            self._clean_archive(data)
        elif kind == App.IMAGE:
            self._clean_image(data)
        host = data.get("host")
        port = data.get("host_port")
        low, high = settings.PIER_APP_PORT_RANGE
        if port and not self.operator and not low <= port <= high:
            self.add_error(
                "host_port",
                f"Choose a host port from {low} to {high}, or leave it empty; "
                "other ports are for operators to hand out.",
            )
            port = None
        if host and port:
            try:
                check_port(host, port)
            except PortTaken as error:
                self.add_error("host_port", str(error))
        return data

    def clean_branch(self):
        return clean_branch(self.cleaned_data.get("branch", ""))

    def _clean_git(self, data):
        url = (data.get("source_url") or "").strip()
        if not url:
            self.add_error("source_url", "Enter the Git repository URL.")
            return
        try:
            data["source_url"] = sources.validate_git_url(
                url, settings.PIER_LOCAL_SOURCE_ROOTS
            )
        except sources.SourceError as error:
            self.add_error("source_url", str(error))

    def _clean_archive(self, data):
        archive = data.get("archive")
        if archive is None:
            self.add_error("archive", "Choose a .tar.gz or .zip archive to upload.")
        elif not archive.name.lower().endswith(ARCHIVE_SUFFIXES):
            self.add_error(
                "archive", f"{archive.name} is not a .tar.gz, .tgz, .tar or .zip file."
            )


class RedeployForm(forms.Form):
    """Settings a developer may change before publishing a new version."""

    source_url = forms.CharField(
        label="Git repository URL", required=False, max_length=500
    )
    branch = forms.CharField(label="Branch", required=False, max_length=200)
    archive = forms.FileField(
        label="New archive (.tar.gz or .zip)",
        required=False,
        help_text="Leave empty to run the live version's image again with the "
        "environment variables below.",
    )
    environment = forms.CharField(
        label="Environment variables",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One KEY=value a line.",
    )

    def clean_source_url(self):
        return clean_source_url(self.cleaned_data.get("source_url", ""))

    def clean_branch(self):
        return clean_branch(self.cleaned_data.get("branch", ""))

    def clean_environment(self):
        return checked_environment(self.cleaned_data.get("environment", ""))
