"""Creating and running containers from the container form.

`run` creates (and by default starts) a container from a `ContainerSpec` in
the caller's thread; it is quick when the image is on the host. When the image
is missing, `start_create_job` hands the pull and the creation to a worker as a
tracked job.
"""

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import crypto
from ..docker_client import DockerError, ObjectNotFound, client_for, docker_errors
from ..models import Container, DockerHost, Job, Team
from . import sync
from .access import TEAM_LABEL
from .container_specs import PortMapping, VolumeMount, docker_ports
from .images import pull_image
from .jobs import JobFailed, JobLog, create_job, job_handler
from .runtime import remove_container_quietly

logger = logging.getLogger(__name__)

RESTART_POLICIES = ("no", "on-failure", "always", "unless-stopped")


@dataclass
class ContainerSpec:
    """Everything the form sets for `docker run`, already checked."""

    image: str
    name: str = ""
    command: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    ports: list[PortMapping] = field(default_factory=list)
    volumes: list[VolumeMount] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    restart_policy: str = "no"
    restart_retries: int = 0
    memory: int | None = None
    nano_cpus: int | None = None
    network: str = ""
    interactive: bool = False
    start: bool = True
    team_id: int | None = None

    def labels(self) -> dict[str, str]:
        return {TEAM_LABEL: str(self.team_id)} if self.team_id else {}

    def to_parameters(self) -> dict[str, Any]:
        """Return the spec as job parameters, with the environment encrypted."""
        values = asdict(self)
        values["environment"] = crypto.encrypt(
            "\n".join(f"{key}={value}" for key, value in self.environment.items())
        )
        return values

    @classmethod
    def from_parameters(cls, values: dict[str, Any]) -> "ContainerSpec":
        values = dict(values)
        text = crypto.decrypt(values["environment"]) if values["environment"] else ""
        values["environment"] = dict(
            line.split("=", 1) for line in text.splitlines() if line
        )
        values["ports"] = [
            PortMapping(
                port["host_ip"],
                tuple(port["host_ports"]) if port["host_ports"] else None,
                tuple(port["container_ports"]),
                port["protocol"],
            )
            for port in values["ports"]
        ]
        values["volumes"] = [VolumeMount(**volume) for volume in values["volumes"]]
        return cls(**values)


def _restart_policy(spec: ContainerSpec) -> dict[str, Any] | None:
    if spec.restart_policy == "no":
        return None
    policy: dict[str, Any] = {"Name": spec.restart_policy}
    if spec.restart_policy == "on-failure" and spec.restart_retries:
        policy["MaximumRetryCount"] = spec.restart_retries
    return policy


def _create(host: DockerHost, spec: ContainerSpec) -> str:
    api = client_for(host).api
    exposed, bindings = docker_ports(spec.ports)
    with docker_errors(host):
        host_config = api.create_host_config(
            port_bindings=bindings or None,
            binds=[volume.binding() for volume in spec.volumes] or None,
            restart_policy=_restart_policy(spec),
            mem_limit=spec.memory,
            nano_cpus=spec.nano_cpus,
            network_mode=spec.network or None,
        )
        created = api.create_container(
            image=spec.image,
            name=spec.name or None,
            command=spec.command or None,
            entrypoint=spec.entrypoint or None,
            environment=spec.environment or None,
            ports=exposed or None,
            labels=spec.labels(),
            host_config=host_config,
            tty=spec.interactive,
            stdin_open=spec.interactive,
            detach=True,
        )
    return created["Id"]


def image_present(host: DockerHost, reference: str) -> bool:
    """Tell whether the host has the image; raise DockerError if the check fails."""
    try:
        with docker_errors(host):
            client_for(host).api.inspect_image(reference)
    except ObjectNotFound as error:
        logger.info("Image %s is not on host %s: %s", reference, host.pk, error)
        return False
    return True


def run(host: DockerHost, spec: ContainerSpec) -> Container:
    """Create the container, start it unless `spec.start` is false, and mirror it.

    A container that was created but failed to start is removed again, so a
    failed run leaves nothing behind. Raises DockerError with the engine's
    message.
    """
    docker_id = _create(host, spec)
    if spec.start:
        try:
            with docker_errors(host):
                client_for(host).api.start(docker_id)
        except DockerError as error:
            logger.info(
                "Starting new container %s on host %s failed: %s",
                docker_id[:12],
                host.pk,
                error,
            )
            remove_container_quietly(host, docker_id)
            raise
    return mirror_now(host, docker_id)


def mirror_now(host: DockerHost, docker_id: str) -> Container:
    """Write the container's row now, without waiting for the host's event."""
    sync.apply_event(host, {"Type": "container", "Actor": {"ID": docker_id}})
    return Container.objects.select_related("app", "host").get(
        host=host, docker_id=docker_id
    )


def start_create_job(host: DockerHost, spec: ContainerSpec, user) -> Job:
    """Queue a job that pulls the missing image, then creates the container."""
    display_name = spec.name or "a container"
    team = Team.objects.filter(pk=spec.team_id).first() if spec.team_id else None
    return create_job(
        "container-create",
        f"Pull {spec.image} and create {display_name}",
        user=user,
        host=host,
        team=team,
        parameters={"spec": spec.to_parameters()},
    )


@job_handler("container-create")
def create_after_pull(job: Job, log: JobLog) -> dict:
    spec = ContainerSpec.from_parameters(job.parameters["spec"])
    log.secrets = [value for value in spec.environment.values() if value]
    pull_image(job.host, spec.image, log)
    log.progress(phase="creating")
    try:
        container = run(job.host, spec)
    except DockerError as error:
        raise JobFailed(f"Creating the container failed: {error}") from error
    verb = "Started" if spec.start else "Created"
    log.line(f"{verb} container {container.name} ({container.short_id})")
    return {"container": container.pk, "name": container.name}
