"""One Docker host's engine facts and disk usage, and input shared by its pages.

The volume, network and system pages pick their host with `choose_host`, read
KEY=value text with `parse_key_values` and scope a prune with `label_filters`.
"""

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import DatabaseError
from django.http import Http404

from ..docker_client import DockerError, client_for, docker_errors
from ..models import DockerHost, Job
from . import sync
from .envvars import key_value_lines
from .jobs import JobFailed, JobLog, create_job, job_handler

logger = logging.getLogger(__name__)

# Docker accepts nearly any label key; Pier takes the reverse-DNS style keys
# that Docker's documentation recommends, so a typo such as a space is caught.
LABEL_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
OPTION_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
LIVE_STATES = {"running", "paused", "restarting"}


class InvalidInput(ValueError):
    """A form value that Docker would reject; the message names the value and fix."""


def choose_host(raw_id: str | None) -> DockerHost | None:
    """Return the host named by a `?host=` value, else "local", else the first.

    Raises Http404 when the value names no host, and returns None when no host
    is registered at all.
    """
    if raw_id:
        try:
            return DockerHost.objects.get(pk=int(raw_id))
        except (ValueError, DockerHost.DoesNotExist) as error:
            raise Http404("Docker host not found") from error
    hosts = DockerHost.objects.all()
    return hosts.filter(name="local").first() or hosts.first()


def parse_key_values(text: str, what: str, key_pattern=LABEL_KEY) -> dict[str, str]:
    """Parse KEY=value lines, skipping blank lines and lines that start with #.

    Raises InvalidInput naming `what` (for example "Label") and the bad line.
    """
    values: dict[str, str] = {}
    for number, line, key, separator, value in key_value_lines(text):
        if not separator:
            raise InvalidInput(f"{what} line {number}: {line[:60]!r} is not KEY=value.")
        if not key_pattern.match(key):
            raise InvalidInput(
                f"{what} line {number}: {key[:60]!r} is not a valid key. Use letters, "
                "digits, dots, dashes and underscores, starting with a letter or digit."
            )
        values[key] = value.strip()
    return values


def clean_label_selector(text: str) -> str:
    """Check a prune label selector (`key` or `key=value`) and return it stripped."""
    selector = text.strip()
    if not selector:
        return ""
    key = selector.partition("=")[0]
    if not LABEL_KEY.match(key) or any(char.isspace() for char in selector):
        raise InvalidInput(
            f"{selector[:60]!r} is not a label selector. Write key or key=value, "
            "without spaces, for example pier.test=1."
        )
    return selector


def label_filters(selector: str) -> dict[str, list[str]] | None:
    """Return Docker's `filters` argument for a label selector, or None."""
    return {"label": [selector]} if selector else None


def label_matches(labels: dict[str, str] | None, selector: str) -> bool:
    """Tell whether labels satisfy a selector the way Docker's label filter does."""
    if not selector:
        return True
    key, separator, value = selector.partition("=")
    labels = labels or {}
    if key not in labels:
        return False
    return not separator or labels[key] == value


def engine_facts(host: DockerHost) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the engine's `info` and `version` documents. Raises DockerError."""
    with docker_errors(host):
        api = client_for(host).api
        return api.info(), api.version()


def network_drivers(host: DockerHost) -> list[str]:
    """Return the engine's network drivers, or [] when the engine cannot be read."""
    try:
        info, _version = engine_facts(host)
    except DockerError as error:
        logger.warning("Reading network drivers of host %s failed: %s", host.pk, error)
        return []
    return list((info.get("Plugins") or {}).get("Network") or [])


VERSION_FACTS = [
    ("Version", "Version"),
    ("API version", "ApiVersion"),
    ("Minimum API version", "MinAPIVersion"),
    ("Git commit", "GitCommit"),
    ("Go version", "GoVersion"),
    ("Built", "BuildTime"),
]
INFO_FACTS = {
    "Host": [
        ("Name", "Name"),
        ("Engine ID", "ID"),
        ("Operating system", "OperatingSystem"),
        ("Kernel", "KernelVersion"),
        ("Architecture", "Architecture"),
        ("CPUs", "NCPU"),
        ("Memory (bytes)", "MemTotal"),
    ],
    "Storage and runtime": [
        ("Root folder", "DockerRootDir"),
        ("Storage driver", "Driver"),
        ("Logging driver", "LoggingDriver"),
        ("Cgroup driver", "CgroupDriver"),
        ("Cgroup version", "CgroupVersion"),
        ("Default runtime", "DefaultRuntime"),
    ],
    "Objects": [
        ("Containers", "Containers"),
        ("Running", "ContainersRunning"),
        ("Paused", "ContainersPaused"),
        ("Stopped", "ContainersStopped"),
        ("Images", "Images"),
    ],
}


def info_sections(info: dict[str, Any], version: dict[str, Any]) -> list[dict]:
    """Arrange `info` and `version` as titled lists of (label, value) pairs."""
    engine = [(label, version.get(key)) for label, key in VERSION_FACTS]
    engine += [
        (item.get("Name", ""), item.get("Version", ""))
        for item in version.get("Components") or []
    ]
    sections = [_section("Engine", engine)]
    for title, facts in INFO_FACTS.items():
        sections.append(
            _section(title, [(label, info.get(key)) for label, key in facts])
        )
    sections[2]["rows"] += [
        ("Runtimes", ", ".join(sorted(info.get("Runtimes") or {}))),
        ("Swarm", (info.get("Swarm") or {}).get("LocalNodeState", "")),
    ]
    return sections


def _section(title: str, rows: list[tuple[str, Any]]) -> dict:
    shown = [(label, value) for label, value in rows if value not in (None, "")]
    return {"title": title, "rows": shown}


@dataclass
class UsageKind:
    """Disk use of one kind of object, as `docker system df` reports it."""

    kind: str
    total: int = 0
    active: int = 0
    size: int = 0
    reclaimable: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)


def disk_usage(host: DockerHost) -> dict[str, UsageKind]:
    """Read `GET /system/df` and sum it per kind. Raises DockerError."""
    with docker_errors(host):
        usage = client_for(host).api.df()
    return summarize_usage(usage)


def summarize_usage(usage: dict[str, Any]) -> dict[str, UsageKind]:
    """Sum a `/system/df` document into images, containers, volumes, build cache."""
    images = usage.get("Images") or []
    containers = usage.get("Containers") or []
    volumes = usage.get("Volumes") or []
    cache = usage.get("BuildCache") or []
    return {
        "images": _image_usage(images, usage.get("LayersSize") or 0),
        "containers": _container_usage(containers),
        "volumes": _volume_usage(volumes),
        "build_cache": _cache_usage(cache),
    }


def _image_usage(images: list[dict], layers_size: int) -> UsageKind:
    used = [image for image in images if image.get("Containers", 0) > 0]
    # The same estimate `docker system df` prints: layers shared with images
    # that containers use are not reclaimable.
    in_use = sum(
        max(image.get("Size", 0) - max(image.get("SharedSize", 0), 0), 0)
        for image in used
    )
    return UsageKind(
        "Images",
        total=len(images),
        active=len(used),
        size=layers_size,
        reclaimable=max(layers_size - in_use, 0),
        items=images,
    )


def _container_usage(containers: list[dict]) -> UsageKind:
    stopped = [entry for entry in containers if entry.get("State") not in LIVE_STATES]
    return UsageKind(
        "Containers",
        total=len(containers),
        active=len(containers) - len(stopped),
        size=sum(entry.get("SizeRw", 0) for entry in containers),
        reclaimable=sum(entry.get("SizeRw", 0) for entry in stopped),
        items=containers,
    )


def volume_size(entry: dict) -> int:
    """Return a `/system/df` volume's size, 0 when the engine did not measure it."""
    return max((entry.get("UsageData") or {}).get("Size", 0), 0)


def _volume_usage(volumes: list[dict]) -> UsageKind:
    unused = [v for v in volumes if (v.get("UsageData") or {}).get("RefCount") == 0]
    return UsageKind(
        "Volumes",
        total=len(volumes),
        active=len(volumes) - len(unused),
        size=sum(volume_size(entry) for entry in volumes),
        reclaimable=sum(volume_size(entry) for entry in unused),
        items=volumes,
    )


def _cache_usage(cache: list[dict]) -> UsageKind:
    idle = [entry for entry in cache if not entry.get("InUse")]
    return UsageKind(
        "Build cache",
        total=len(cache),
        active=len(cache) - len(idle),
        size=sum(entry.get("Size", 0) for entry in cache),
        reclaimable=sum(entry.get("Size", 0) for entry in idle),
        items=cache,
    )


IMAGE_MODES = {"": "Keep images", "dangling": "Dangling images", "all": "All unused"}


@dataclass
class PruneOptions:
    """The kinds a system prune removes. `images` is "", "dangling" or "all"."""

    containers: bool = False
    images: str = ""
    volumes: bool = False
    networks: bool = False
    build_cache: bool = False
    label: str = ""

    def check(self) -> None:
        """Raise InvalidInput when the options cannot run as one prune."""
        if self.images not in IMAGE_MODES:
            raise InvalidInput(f"{self.images!r} is not an image prune mode.")
        self.label = clean_label_selector(self.label)
        if (
            not any([self.containers, self.images, self.volumes, self.networks])
            and not self.build_cache
        ):
            raise InvalidInput("Choose at least one kind of object to prune.")
        if self.build_cache and self.label:
            raise InvalidInput(
                "Build cache entries carry no labels, so a label filter cannot "
                "select them. Clear the label filter or leave out the build cache."
            )


@dataclass
class PruneItem:
    """One object a prune would remove, with the bytes it would free."""

    name: str
    size: int = 0


def prune_preview(host: DockerHost, options: PruneOptions) -> dict[str, list]:
    """List what a system prune with these options would remove, per kind.

    Reads the engine, because a prune acts on the engine's state. Containers are
    pruned first, so volumes and images used only by stopped containers that
    go count as unused. Image sizes are estimates: layers shared with other
    images are left out. Raises DockerError.
    """
    from .networks import unused_networks

    with docker_errors(host):
        usage = client_for(host).api.df()
    networks = unused_networks(host, options.label) if options.networks else []
    containers = usage.get("Containers") or []
    removed = _stopped_containers(containers, options)
    kept = [entry for entry in containers if entry not in removed]
    return {
        "containers": [
            PruneItem(_container_name(entry), entry.get("SizeRw", 0))
            for entry in removed
        ],
        "images": _unused_images(usage.get("Images") or [], kept, options),
        "volumes": _unused_volumes(usage.get("Volumes") or [], kept, options),
        "networks": [PruneItem(name) for name in networks],
        "build_cache": [
            PruneItem(entry.get("Description") or entry["ID"], entry.get("Size", 0))
            for entry in usage.get("BuildCache") or []
            if options.build_cache and not entry.get("InUse")
        ],
    }


def _container_name(entry: dict) -> str:
    names = entry.get("Names") or [entry.get("Id", "")[:12]]
    return names[0].lstrip("/")


def _stopped_containers(containers: list[dict], options: PruneOptions) -> list[dict]:
    if not options.containers:
        return []
    return [
        entry
        for entry in containers
        if entry.get("State") not in LIVE_STATES
        and label_matches(entry.get("Labels"), options.label)
    ]


def _unused_images(
    images: list[dict], kept: list[dict], options: PruneOptions
) -> list[PruneItem]:
    if not options.images:
        return []
    used = {entry.get("ImageID") for entry in kept}
    items = []
    for image in images:
        tags = [tag for tag in image.get("RepoTags") or [] if tag != "<none>:<none>"]
        if image["Id"] in used or (options.images == "dangling" and tags):
            continue
        if not label_matches(image.get("Labels"), options.label):
            continue
        name = ", ".join(tags) or image["Id"].removeprefix("sha256:")[:12]
        size = image.get("Size", 0) - max(image.get("SharedSize", 0), 0)
        items.append(PruneItem(name, max(size, 0)))
    return items


def _unused_volumes(
    volumes: list[dict], kept: list[dict], options: PruneOptions
) -> list[PruneItem]:
    if not options.volumes:
        return []
    used = {
        mount.get("Name")
        for entry in kept
        for mount in entry.get("Mounts") or []
        if mount.get("Type") == "volume"
    }
    # Only volumes of the built-in "local" driver, as in `unused_volumes`.
    return [
        PruneItem(volume["Name"], volume_size(volume))
        for volume in volumes
        if volume.get("Driver") == "local"
        and volume["Name"] not in used
        and label_matches(volume.get("Labels"), options.label)
    ]


def start_prune(host: DockerHost, user, options: PruneOptions) -> Job:
    """Queue a system prune of the host as a tracked job."""
    kinds = [kind for kind, chosen in _chosen_kinds(options) if chosen]
    title = f"Prune {', '.join(kinds)} on {host.name}"
    return create_job(
        "system-prune", title, user=user, host=host, parameters=asdict(options)
    )


def _chosen_kinds(options: PruneOptions) -> list[tuple[str, bool]]:
    # Docker's own `system prune` order: containers first frees the networks,
    # volumes and images that only stopped containers used.
    return [
        ("containers", options.containers),
        ("networks", options.networks),
        ("volumes", options.volumes),
        ("images", bool(options.images)),
        ("build_cache", options.build_cache),
    ]


@job_handler("system-prune")
def system_prune(job: Job, log: JobLog) -> dict:
    """Prune the chosen kinds on the job's host; return what went and bytes freed.

    A kind that fails is logged and the others still run. The job then fails
    with a message that names the failed kinds.
    """
    options = PruneOptions(**job.parameters)
    options.check()
    removed: dict[str, list[str]] = {}
    reclaimed: dict[str, int] = {}
    failed: dict[str, str] = {}
    for kind, chosen in _chosen_kinds(options):
        if not chosen:
            continue
        try:
            with docker_errors(job.host):
                removed[kind], reclaimed[kind] = PRUNERS[kind](job.host, options)
        except DockerError as error:
            logger.warning("Pruning %s on host %s failed: %s", kind, job.host_id, error)
            log.line(f"Pruning {kind} failed: {error}", "stderr")
            failed[kind] = str(error)
            continue
        for name in removed[kind]:
            log.line(f"Removed {kind.replace('_', ' ')}: {name}")
    total = sum(reclaimed.values())
    log.line(f"Space reclaimed: {total} bytes")
    refresh_mirror(job.host, sync.resync)
    if failed:
        raise JobFailed("Pruning failed for " + ", ".join(sorted(failed)) + ".")
    return {"removed": removed, "reclaimed": reclaimed, "total_reclaimed": total}


def _prune_containers(host: DockerHost, options: PruneOptions) -> tuple[list, int]:
    api = client_for(host).api
    names = {
        entry["Id"]: _container_name(entry)
        for entry in api.containers(all=True, filters=label_filters(options.label))
    }
    answer = api.prune_containers(filters=label_filters(options.label))
    deleted = answer.get("ContainersDeleted") or []
    return [names.get(item, item[:12]) for item in deleted], _space(answer)


def _prune_networks(host: DockerHost, options: PruneOptions) -> tuple[list, int]:
    answer = client_for(host).api.prune_networks(filters=label_filters(options.label))
    return list(answer.get("NetworksDeleted") or []), 0


def _prune_volumes(host: DockerHost, options: PruneOptions) -> tuple[list, int]:
    answer = client_for(host).api.prune_volumes(filters=label_filters(options.label))
    return list(answer.get("VolumesDeleted") or []), _space(answer)


def _prune_images(host: DockerHost, options: PruneOptions) -> tuple[list, int]:
    filters: dict[str, Any] = {"dangling": options.images == "dangling"}
    filters.update(label_filters(options.label) or {})
    answer = client_for(host).api.prune_images(filters=filters)
    names = []
    for item in answer.get("ImagesDeleted") or []:
        if item.get("Untagged"):
            names.append(f"untagged {item['Untagged']}")
        if item.get("Deleted"):
            names.append(f"deleted {item['Deleted'].removeprefix('sha256:')[:12]}")
    return names, _space(answer)


def _prune_build_cache(host: DockerHost, options: PruneOptions) -> tuple[list, int]:
    answer = client_for(host).api.prune_builds(all=True)
    return list(answer.get("CachesDeleted") or []), _space(answer)


def _space(answer: dict) -> int:
    return int(answer.get("SpaceReclaimed") or 0)


PRUNERS = {
    "containers": _prune_containers,
    "networks": _prune_networks,
    "volumes": _prune_volumes,
    "images": _prune_images,
    "build_cache": _prune_build_cache,
}


def remove_confirmed(
    host: DockerHost,
    kind: str,
    confirmed: Iterable[str],
    unused: Mapping[str, str],
    remove: Callable[[str], object],
) -> tuple[list[str], list[str]]:
    """Remove each confirmed name that is still unused; return removed and kept.

    ``unused`` maps the names that a prune may remove now to what ``remove``
    takes (a name or an id). A confirmed name that is missing from it, or that
    the engine refuses to remove, is kept.
    """
    removed, kept = [], []
    for name in sorted(set(confirmed)):
        if name not in unused:
            kept.append(name)
            continue
        try:
            with docker_errors(host):
                remove(unused[name])
        except DockerError as error:
            logger.info("%s %s on host %s kept: %s", kind, name, host.pk, error)
            kept.append(name)
        else:
            removed.append(name)
    logger.info("Pruned %ss %s on host %s", kind, removed, host.pk)
    return removed, kept


def refresh_mirror(host: DockerHost, syncer: Callable[[DockerHost], Any]) -> None:
    """Run one of the sync service's functions now, so the next page is current.

    The watcher applies the same change from the engine's events and may sync
    the same rows at this moment, which PostgreSQL can end as a deadlock. The
    watcher's sync started after the change, so a failure here is logged and
    left to it.
    """
    try:
        syncer(host)
    except (DockerError, DatabaseError) as error:
        logger.warning("Refreshing the mirror of host %s failed: %s", host.pk, error)
