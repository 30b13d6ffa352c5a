"""Forms of the container pages: create-and-run, and the detail page's actions.

`RunForm` is the main form plus two formsets (published ports, volumes). It
checks each value where it was typed, then what depends on the host and the
user: ports in use, names in use, bind mounts and the host network, which
only operators may use.
"""

from typing import Any

from django import forms
from django.forms import formset_factory

from .models import Container, DockerHost, Network, Team
from .services import access
from .services import container_specs as specs
from .services.container_create import RESTART_POLICIES, ContainerSpec
from .services.containers import DEFAULT_STOP_TIMEOUT, MAX_STOP_TIMEOUT, SIGNALS
from .services.envvars import InvalidEnvironment, parse
from .services.ports import PortTaken, check_port

BUILTIN_NETWORKS = ("bridge", "host", "none")
MAX_ROWS = 20


def _checked(function, *args) -> Any:
    """Run a container_specs check and turn InvalidSpec into a form error."""
    try:
        return function(*args)
    except specs.InvalidSpec as error:
        raise forms.ValidationError(str(error)) from error


class ContainerForm(forms.Form):
    host = forms.ModelChoiceField(
        queryset=DockerHost.objects.all(), label="Docker host"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        label="Team",
        required=False,
        help_text="Developers of this team may use the container.",
    )
    image = forms.CharField(
        label="Image",
        max_length=500,
        help_text="For example busybox:latest. A missing image is pulled first.",
    )
    name = forms.CharField(
        label="Container name",
        required=False,
        max_length=255,
        help_text="Leave empty for a name that Docker picks.",
    )
    command = forms.CharField(
        label="Command",
        required=False,
        max_length=2000,
        help_text="Arguments as in a shell, for example: sleep 3600.",
    )
    entrypoint = forms.CharField(
        label="Entrypoint",
        required=False,
        max_length=2000,
        help_text="Leave empty to keep the image's entrypoint.",
    )
    environment = forms.CharField(
        label="Environment variables",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One KEY=value a line.",
    )
    restart_policy = forms.ChoiceField(
        label="Restart policy",
        choices=[(policy, policy) for policy in RESTART_POLICIES],
        initial="no",
    )
    restart_retries = forms.IntegerField(
        label="Maximum restart attempts",
        required=False,
        min_value=0,
        max_value=1000,
        help_text="For on-failure only; empty means no maximum.",
    )
    memory = forms.CharField(
        label="Memory limit",
        required=False,
        max_length=20,
        help_text="For example 512m or 1g. Empty means no limit.",
    )
    cpus = forms.CharField(
        label="CPU limit",
        required=False,
        max_length=20,
        help_text="Number of CPUs, for example 0.5. Empty means no limit.",
    )
    network = forms.CharField(
        label="Network",
        initial="bridge",
        max_length=255,
        widget=forms.TextInput(attrs={"list": "network-names"}),
    )
    mode = forms.ChoiceField(
        label="Mode",
        choices=[
            ("detached", "Detached (-d)"),
            ("interactive", "Interactive (-it: keep stdin open and add a TTY)"),
        ],
        initial="detached",
        widget=forms.RadioSelect,
    )
    start = forms.ChoiceField(
        label="When created",
        choices=[("start", "Start it now"), ("create", "Only create it")],
        initial="start",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        operator = access.is_operator(user)
        teams = Team.objects.all() if operator else user.teams.all()
        self.fields["team"].queryset = teams
        self.fields["team"].required = not operator
        if operator:
            self.fields["team"].empty_label = "No team (operators only)"
        local = DockerHost.objects.filter(name="local").first()
        if local is not None:
            self.fields["host"].initial = local

    def clean_image(self) -> str:
        return _checked(specs.check_image_reference, self.cleaned_data["image"])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        return _checked(specs.check_object_name, name) if name else ""

    def clean_command(self) -> list[str]:
        return _checked(specs.split_command, self.cleaned_data["command"], "command")

    def clean_entrypoint(self) -> list[str]:
        text = self.cleaned_data["entrypoint"]
        return _checked(specs.split_command, text, "entrypoint")

    def clean_environment(self) -> dict[str, str]:
        try:
            return parse(self.cleaned_data["environment"])
        except InvalidEnvironment as error:
            raise forms.ValidationError(str(error)) from error

    def clean_memory(self) -> int | None:
        return _checked(specs.parse_memory, self.cleaned_data["memory"])

    def clean_cpus(self) -> int | None:
        return _checked(specs.parse_cpus, self.cleaned_data["cpus"])


class PortForm(forms.Form):
    host_ip = forms.CharField(
        label="Host IP", required=False, max_length=45, help_text="Empty: all."
    )
    host_port = forms.CharField(
        label="Host port", required=False, max_length=11, help_text="Empty: any."
    )
    container_port = forms.CharField(
        label="Container port", required=False, max_length=11
    )
    protocol = forms.ChoiceField(
        label="Protocol",
        choices=[(name, name) for name in specs.PROTOCOLS],
        initial="tcp",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("container_port", "").strip():
            if data.get("host_port", "").strip() or data.get("host_ip", "").strip():
                self.add_error("container_port", "Enter the container port.")
            return data
        try:
            data["mapping"] = specs.port_mapping(
                data.get("host_ip", ""),
                data.get("host_port", ""),
                data["container_port"],
                data.get("protocol", "tcp"),
            )
        except specs.InvalidSpec as error:
            self.add_error(self._field_at_fault(str(error)), str(error))
        return data

    @staticmethod
    def _field_at_fault(message: str) -> str:
        if "IP address" in message:
            return "host_ip"
        if "host range" in message:
            return "host_port"
        return "container_port"


class VolumeForm(forms.Form):
    source = forms.CharField(
        label="Volume name or host path",
        required=False,
        max_length=500,
        help_text="A name for a named volume; an absolute path for a bind mount.",
    )
    target = forms.CharField(label="Container path", required=False, max_length=500)
    read_only = forms.BooleanField(label="Read-only", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        source = data.get("source", "").strip()
        target = data.get("target", "").strip()
        if not source and not target:
            return data
        if not source:
            self.add_error("source", "Enter a volume name or a host path.")
            return data
        try:
            data["mount"] = specs.volume_mount(
                source, target, data.get("read_only", False)
            )
        except specs.InvalidSpec as error:
            field = "target" if "container path" in str(error) else "source"
            self.add_error(field, str(error))
        return data


PortFormSet = formset_factory(PortForm, extra=1, max_num=MAX_ROWS, validate_max=True)
VolumeFormSet = formset_factory(
    VolumeForm, extra=1, max_num=MAX_ROWS, validate_max=True
)


class RunForm:
    """The container form with its port and volume rows, checked together."""

    def __init__(self, data=None, *, user, initial: dict | None = None):
        self.user = user
        self.operator = access.is_operator(user)
        self.main = ContainerForm(data, user=user, initial=initial)
        self.ports = PortFormSet(data, prefix="ports")
        self.volumes = VolumeFormSet(data, prefix="volumes")

    def is_valid(self) -> bool:
        # Every part is validated, so each shows its own errors at once.
        results = [self.main.is_valid(), self.ports.is_valid(), self.volumes.is_valid()]
        if not all(results):
            return False
        host = self.main.cleaned_data["host"]
        self._check_name(host)
        self._check_network(host)
        self._check_volumes()
        self._check_ports(host)
        return not self.has_errors()

    def has_errors(self) -> bool:
        rows = [*self.ports.forms, *self.volumes.forms]
        return bool(self.main.errors) or any(form.errors for form in rows)

    def _check_name(self, host: DockerHost) -> None:
        name = self.main.cleaned_data["name"]
        if name and Container.objects.filter(host=host, name=name).exists():
            self.main.add_error(
                "name",
                f"A container named {name} already exists on host {host.name}. "
                "Choose another name or remove that container.",
            )

    def _check_network(self, host: DockerHost) -> None:
        network = self.main.cleaned_data["network"].strip()
        if network == "host" and not self.operator:
            self.main.add_error(
                "network",
                "Only operators can use the host network, because it shares "
                "the host's network stack. Use bridge or a network of your own.",
            )
        elif network not in BUILTIN_NETWORKS and not (
            Network.objects.filter(host=host, name=network).exists()
        ):
            self.main.add_error(
                "network", f"Network {network!r} does not exist on host {host.name}."
            )

    def _check_volumes(self) -> None:
        for form in self.volumes.forms:
            mount = form.cleaned_data.get("mount")
            if mount is not None and mount.is_bind and not self.operator:
                form.add_error(
                    "source",
                    "Only operators can bind-mount host paths, because a bind "
                    "mount exposes the host's files. Use a named volume instead.",
                )

    def _check_ports(self, host: DockerHost) -> None:
        seen: set[tuple[int, str]] = set()
        total = 0
        for form in self.ports.forms:
            mapping = form.cleaned_data.get("mapping")
            if mapping is None:
                continue
            total += len(mapping.pairs())
            message = self._port_problem(host, mapping, seen)
            if message:
                form.add_error("host_port", message)
        if total > specs.MAX_PUBLISHED_PORTS:
            self.main.add_error(
                None,
                f"The form publishes {total} ports; at most "
                f"{specs.MAX_PUBLISHED_PORTS} are allowed.",
            )

    @staticmethod
    def _port_problem(
        host: DockerHost, mapping: specs.PortMapping, seen: set[tuple[int, str]]
    ) -> str:
        for host_port, _ in mapping.pairs():
            if host_port is None:
                continue
            key = (host_port, mapping.protocol)
            if key in seen:
                return f"Host port {host_port}/{mapping.protocol} is listed twice."
            seen.add(key)
            # NOTE: check_port probes with a TCP socket, so for a udp or sctp
            # mapping a TCP program on the same port reports it as taken.
            try:
                check_port(host, host_port)
            except PortTaken as error:
                return str(error)
        return ""

    def spec(self) -> ContainerSpec:
        data = self.main.cleaned_data
        team = data.get("team")
        return ContainerSpec(
            image=data["image"],
            name=data["name"],
            command=data["command"],
            entrypoint=data["entrypoint"],
            ports=[
                form.cleaned_data["mapping"]
                for form in self.ports.forms
                if form.cleaned_data.get("mapping")
            ],
            volumes=[
                form.cleaned_data["mount"]
                for form in self.volumes.forms
                if form.cleaned_data.get("mount")
            ],
            environment=data["environment"],
            restart_policy=data["restart_policy"],
            restart_retries=data.get("restart_retries") or 0,
            memory=data["memory"],
            nano_cpus=data["cpus"],
            network=data["network"].strip(),
            interactive=data["mode"] == "interactive",
            start=data["start"] == "start",
            team_id=team.pk if team else None,
        )


def _timeout_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_STOP_TIMEOUT,
        initial=DEFAULT_STOP_TIMEOUT,
        help_text="Seconds to wait after SIGTERM before SIGKILL.",
    )


class StopForm(forms.Form):
    timeout = _timeout_field("Stop timeout (seconds)")


class RestartForm(forms.Form):
    timeout = _timeout_field("Restart timeout (seconds)")


class KillForm(forms.Form):
    signal = forms.ChoiceField(
        label="Signal", choices=[(name, name) for name in SIGNALS], initial="SIGKILL"
    )


class RenameForm(forms.Form):
    name = forms.CharField(label="New name", max_length=255)

    def clean_name(self) -> str:
        return _checked(specs.check_object_name, self.cleaned_data["name"])


class RemoveForm(forms.Form):
    volumes = forms.BooleanField(
        label="Also remove its anonymous volumes",
        required=False,
        help_text="Named volumes stay.",
    )
