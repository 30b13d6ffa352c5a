"""The form of the registry pages."""

import re

from django import forms

from .models import Registry

REGISTRY_URL = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?$"
)


class RegistryForm(forms.ModelForm):
    """Add or edit a registry; an empty password on edit keeps the stored one."""

    password = forms.CharField(
        label="Password or token",
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    clear_password = forms.BooleanField(
        label="Remove the stored password", required=False
    )

    class Meta:
        model = Registry
        fields = ["name", "url", "username", "password", "insecure"]
        labels = {
            "url": "Registry host",
            "username": "User name",
            "insecure": "Plain HTTP",
        }
        help_texts = {
            "url": "host[:port] without https://, e.g. registry.example.com:5000",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["password"].help_text = "Leave empty to keep it unchanged."
        else:
            del self.fields["clear_password"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip().lower()
        if "://" in url or not REGISTRY_URL.match(url):
            raise forms.ValidationError(
                f"{url[:80]!r} is not host[:port]. Leave out the scheme and "
                "any path, e.g. registry.example.com:5000."
            )
        same = Registry.objects.filter(url__iexact=url).exclude(pk=self.instance.pk)
        if same.exists():
            raise forms.ValidationError(
                f"Registry {same.first().name} already has the host {url}. Edit "
                "that one: pulls and pushes use one login per host."
            )
        return url

    def save(self, commit: bool = True) -> Registry:
        registry = super().save(commit=False)
        if self.instance.pk and not self.cleaned_data["password"]:
            stored = Registry.objects.get(pk=self.instance.pk).password
            clear = self.cleaned_data.get("clear_password")
            registry.password = "" if clear else stored
        if commit:
            registry.save()
        return registry
