"""Forms of the image pages."""

import re

from django import forms

from .models import DockerHost, Registry
from .services import registries
from .services.images import InvalidReference, validate_reference, with_registry
from .services.images_build import (
    InvalidBuildInput,
    check_dockerfile_path,
    parse_build_args,
)

CONTEXT_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
TARBALL_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2")
CHANGE_INSTRUCTIONS = (
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "ONBUILD",
    "USER",
    "VOLUME",
    "WORKDIR",
)
STAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def host_field(label: str = "Docker host") -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=DockerHost.objects.all(), label=label, empty_label=None
    )


def registry_field(label: str, help_text: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Registry.objects.all(),
        label=label,
        required=False,
        empty_label="None",
        help_text=help_text,
    )


def clean_reference(text: str, *, allow_digest: bool = True) -> str:
    try:
        return validate_reference(text, allow_digest=allow_digest)
    except InvalidReference as error:
        raise forms.ValidationError(str(error)) from error


def check_suffix(upload, suffixes: tuple[str, ...], expected: str) -> None:
    if upload is not None and not upload.name.lower().endswith(suffixes):
        raise forms.ValidationError(
            f"{upload.name} is not {expected} ({', '.join(suffixes)})."
        )


class PullForm(forms.Form):
    host = host_field()
    reference = forms.CharField(
        label="Image reference",
        max_length=300,
        help_text="[registry/]name[:tag] or name@sha256:digest, e.g. busybox:1.36.",
    )
    registry = registry_field(
        "Registry",
        "Pull from this registry when the reference names none; its stored "
        "login is used.",
    )

    def clean_reference(self) -> str:
        return clean_reference(self.cleaned_data["reference"])

    def clean(self) -> dict:
        data = super().clean()
        reference = data.get("reference")
        registry = data.get("registry")
        if not reference or registry is None:
            return data
        named = registries.explicit_host(reference)
        if named and named != registry.url.strip().lower():
            self.add_error(
                "registry",
                f"The reference names registry {named}, not {registry.url}. "
                "Choose None or remove the host from the reference.",
            )
            return data
        data["reference"] = clean_reference(with_registry(reference, registry))
        return data


class TagForm(forms.Form):
    reference = forms.CharField(
        label="New tag",
        max_length=300,
        help_text="repository:tag, e.g. registry.example.com:5000/team/app:2.",
    )

    def clean_reference(self) -> str:
        return clean_reference(self.cleaned_data["reference"], allow_digest=False)


class PushForm(forms.Form):
    tag = forms.ChoiceField(label="Tag to push")
    registry = registry_field(
        "Push to registry",
        "Tags the image with this registry's host first when the tag names none.",
    )

    def __init__(self, *args, tags: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [(tag, tag) for tag in tags]

    def target(self) -> str:
        tag = self.cleaned_data["tag"]
        registry = self.cleaned_data.get("registry")
        return with_registry(tag, registry) if registry else tag


class SearchForm(forms.Form):
    HUB = "hub"

    source = forms.ChoiceField(label="Search in")
    term = forms.CharField(label="Search term", required=False, max_length=200)
    host = host_field("Docker host (for Docker Hub)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(f"registry-{r.pk}", r.name) for r in Registry.objects.all()]
        choices.append((self.HUB, "Docker Hub, through the engine"))
        self.fields["source"].choices = choices

    def clean(self) -> dict:
        data = super().clean()
        if data.get("source") == self.HUB and not data.get("term", "").strip():
            self.add_error("term", "Enter a term to search Docker Hub.")
        return data

    def registry(self) -> Registry | None:
        source = self.cleaned_data["source"]
        if source == self.HUB:
            return None
        return Registry.objects.get(pk=int(source.removeprefix("registry-")))


class BuildForm(forms.Form):
    host = host_field()
    context = forms.FileField(
        label="Build context (.tar.gz or .zip)",
        help_text="The folder to build, with its Dockerfile.",
    )
    tag = forms.CharField(
        label="Image tag", max_length=300, help_text="repository:tag, e.g. app:1"
    )
    dockerfile = forms.CharField(
        label="Dockerfile path",
        required=False,
        initial="Dockerfile",
        max_length=300,
        help_text="Relative to the top of the context.",
    )
    target = forms.CharField(
        label="Target stage",
        required=False,
        max_length=100,
        help_text="Build only up to this stage of a multi-stage Dockerfile.",
    )
    build_args = forms.CharField(
        label="Build arguments",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One KEY=value a line, for the Dockerfile's ARG lines.",
    )

    def clean_context(self):
        upload = self.cleaned_data["context"]
        check_suffix(upload, CONTEXT_SUFFIXES, "a .tar.gz, .tgz, .tar or .zip file")
        return upload

    def clean_tag(self) -> str:
        return clean_reference(self.cleaned_data["tag"], allow_digest=False)

    def clean_dockerfile(self) -> str:
        try:
            return check_dockerfile_path(self.cleaned_data["dockerfile"])
        except InvalidBuildInput as error:
            raise forms.ValidationError(str(error)) from error

    def clean_target(self) -> str:
        target = self.cleaned_data["target"].strip()
        if target and not STAGE.match(target):
            raise forms.ValidationError(f"{target!r} is not a valid stage name.")
        return target

    def clean_build_args(self) -> str:
        text = self.cleaned_data["build_args"]
        try:
            parse_build_args(text)
        except InvalidBuildInput as error:
            raise forms.ValidationError(str(error)) from error
        return text


class ImportForm(forms.Form):
    host = host_field()
    archive = forms.FileField(
        label="Root filesystem tarball",
        help_text="A .tar (or .tar.gz, .tar.xz) of a root filesystem.",
    )
    reference = forms.CharField(
        label="Image tag", max_length=300, help_text="repository:tag, e.g. rootfs:1"
    )
    changes = forms.CharField(
        label="Dockerfile instructions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="Optional, one a line: " + ", ".join(CHANGE_INSTRUCTIONS) + ".",
    )

    def clean_archive(self):
        upload = self.cleaned_data["archive"]
        check_suffix(upload, TARBALL_SUFFIXES, "a tar archive")
        return upload

    def clean_reference(self) -> str:
        return clean_reference(self.cleaned_data["reference"], allow_digest=False)

    def clean_changes(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["changes"].splitlines()]
        lines = [line for line in lines if line]
        for line in lines:
            if line.split()[0].upper() not in CHANGE_INSTRUCTIONS:
                raise forms.ValidationError(
                    f"{line[:60]!r} does not start with one of "
                    f"{', '.join(CHANGE_INSTRUCTIONS)}."
                )
        return lines


class LoadForm(forms.Form):
    host = host_field()
    archive = forms.FileField(
        label="Image archive",
        help_text="A .tar made by docker save (or Save on an image's page).",
    )

    def clean_archive(self):
        upload = self.cleaned_data["archive"]
        check_suffix(upload, TARBALL_SUFFIXES, "a tar archive")
        return upload
