"""The container list of one host: visible rows, filters, sorting, port text.

Rows come from the mirror, never from Docker, and only the columns the list
shows are loaded, so a host with thousands of containers lists in a few queries.
"""

from dataclasses import dataclass
from itertools import groupby
from urllib.parse import urlencode

from django.db.models import Q, QuerySet

from ..models import Container, DockerHost
from . import access

STATES = ("created", "running", "paused", "restarting", "removing", "exited", "dead")
# Sort key in the query string -> model field.
SORT_FIELDS = {
    "name": "name",
    "state": "state",
    "image": "image",
    "created": "created",
    "compose": "compose_project",
    "app": "app__name",
}
DEFAULT_SORT = "name"
LIST_COLUMNS = (
    "id",
    "host_id",
    "docker_id",
    "name",
    "image",
    "state",
    "status",
    "synced_at",
    "ports",
    "created",
    "compose_project",
    "app_id",
    "app__name",
)


def visible_containers(user, host: DockerHost) -> QuerySet[Container]:
    """Return the host's containers that the user may see.

    Developers see the containers of their teams' apps and those labelled
    with one of their team ids; operators see all.
    """
    containers = Container.objects.filter(host=host)
    if access.is_operator(user):
        return containers
    teams = access.team_ids(user)
    label_lookup = f"labels__{access.TEAM_LABEL}__in"
    return containers.filter(
        Q(app__team__in=teams) | Q(**{label_lookup: [str(team) for team in teams]})
    )


@dataclass(frozen=True)
class ListQuery:
    """The list's filter, sort and page, read from the query string."""

    text: str = ""
    state: str = ""
    sort: str = DEFAULT_SORT
    page: str = "1"

    @classmethod
    def from_params(cls, params) -> "ListQuery":
        state = params.get("state", "")
        sort = params.get("sort", DEFAULT_SORT)
        if sort.removeprefix("-") not in SORT_FIELDS:
            sort = DEFAULT_SORT
        return cls(
            text=params.get("q", "").strip()[:200],
            state=state if state in STATES else "",
            sort=sort,
            page=params.get("page", "1"),
        )

    def order_by(self) -> list[str]:
        descending = self.sort.startswith("-")
        field = SORT_FIELDS[self.sort.removeprefix("-")]
        # The name breaks ties, so pages do not shuffle rows of equal keys.
        return [f"-{field}" if descending else field, "name", "id"]

    def next_sort(self, key: str) -> str:
        """Return the sort value a column's header link sets: its key, or the
        reverse when the list is already sorted by that key."""
        return f"-{key}" if self.sort == key else key

    def url(self, host_id: int, **changes: str | int) -> str:
        """Return this list's query string with some values changed."""
        values = {
            "host": host_id,
            "q": self.text,
            "state": self.state,
            "sort": self.sort,
            "page": self.page,
            **changes,
        }
        kept = {key: value for key, value in values.items() if value not in ("", None)}
        return "?" + urlencode(kept)

    def direction(self, key: str) -> str:
        """Return the column's aria-sort value."""
        if self.sort == key:
            return "ascending"
        if self.sort == f"-{key}":
            return "descending"
        return "none"


def listing(user, host: DockerHost, query: ListQuery) -> QuerySet[Container]:
    """Return the filtered and sorted rows, with only the listed columns."""
    containers = visible_containers(user, host)
    if query.text:
        containers = containers.filter(
            Q(name__icontains=query.text)
            | Q(image__icontains=query.text)
            | Q(compose_project__icontains=query.text)
        )
    if query.state:
        containers = containers.filter(state=query.state)
    return (
        containers.select_related("app").only(*LIST_COLUMNS).order_by(*query.order_by())
    )


def _port_key(port: dict) -> tuple[str, str, bool]:
    return (port.get("ip") or "", port.get("type") or "tcp", bool(port.get("public")))


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def format_ports(ports: list[dict]) -> list[str]:
    """Format mirror port entries as `docker ps` does, joining consecutive ports.

    For example 0.0.0.0:8000-8001->8000-8001/tcp, or 80/tcp for a port that
    is exposed but not published.
    """
    ordered = sorted(ports, key=lambda port: (*_port_key(port), port["private"] or 0))
    lines = []
    for (ip, protocol, published), group in groupby(ordered, key=_port_key):
        runs: list[list[dict]] = []
        for port in group:
            last = runs[-1][-1] if runs else None
            if (
                last is not None
                and port["private"] == last["private"] + 1
                and (not published or port["public"] == last["public"] + 1)
            ):
                runs[-1].append(port)
            else:
                runs.append([port])
        for run in runs:
            inside = _range(run[0]["private"], run[-1]["private"])
            if not published:
                lines.append(f"{inside}/{protocol}")
                continue
            outside = _range(run[0]["public"], run[-1]["public"])
            address = f"[{ip}]" if ":" in ip else ip
            lines.append(f"{address}:{outside}->{inside}/{protocol}")
    return lines
