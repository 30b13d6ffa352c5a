"""The container list: rows from the mirror, roles, filters, sorting, pages, speed."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from containers.models import App, Container, DockerHost
from containers.services.hosts import register_local_host
from tests.conftest import unique

LIST = reverse("container-list")
TABLE = {"HX-Target": "container-table"}


@pytest.fixture
def host(db) -> DockerHost:
    # A host that is never contacted: the list reads only the mirror.
    return DockerHost.objects.create(name=unique("host"), url="unix:///nonexistent")


def add(host, name, state="running", **fields) -> Container:
    return Container.objects.create(
        host=host, docker_id=unique("id"), name=name, state=state, **fields
    )


@pytest.fixture
def team_setup(host, users):
    team, other_team = users.team(), users.team()
    app = App.objects.create(name=unique("app"), team=team, host=host)
    other_app = App.objects.create(name=unique("app"), team=other_team, host=host)
    rows = {
        "app": add(host, "by-app", app=app),
        "label": add(host, "by-label", labels={"pier.team": str(team.pk)}),
        "other": add(host, "other-app", app=other_app),
        "other-label": add(
            host, "other-label", labels={"pier.team": str(other_team.pk)}
        ),
        "plain": add(host, "plain"),
    }
    return team, rows


def names(response) -> list[str]:
    return [container.name for container in response.context["page"]]


def test_list_operator_sees_all(client, users, team_setup, host):
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk})
    assert response.status_code == 200
    assert len(names(response)) == 5


def test_list_developer_sees_team_rows(client, users, team_setup, host):
    team, _ = team_setup
    client.force_login(users.make(teams=[team]))
    response = client.get(LIST, {"host": host.pk})
    assert names(response) == ["by-app", "by-label"]


def test_list_developer_without_team_sees_none(client, users, team_setup, host):
    client.force_login(users.make())
    response = client.get(LIST, {"host": host.pk})
    assert names(response) == []


def test_list_filters_by_text(client, users, host):
    add(host, "web-1", image="nginx:1")
    add(host, "db-1", image="postgres:16")
    add(host, "cache", image="redis", compose_project="webshop")
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk, "q": "web"})
    assert names(response) == ["cache", "web-1"]


def test_list_filters_by_state(client, users, host):
    add(host, "up", state="running")
    add(host, "down", state="exited")
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk, "state": "exited"})
    assert names(response) == ["down"]


def test_list_ignores_unknown_state_and_sort(client, users, host):
    add(host, "b")
    add(host, "a")
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk, "state": "bogus", "sort": "x"})
    assert names(response) == ["a", "b"]


def test_list_sorts_descending(client, users, host):
    add(host, "a", image="zzz")
    add(host, "b", image="aaa")
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk, "sort": "-image"})
    assert names(response) == ["a", "b"]


def test_list_sort_header_marks_direction(client, users, host):
    add(host, "a")
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk, "sort": "-name"})
    assert 'aria-sort="descending"' in response.content.decode()


def test_list_paginates(client, users, host):
    for number in range(55):
        add(host, f"c{number:03d}")
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk, "page": "2"})
    assert names(response) == [f"c{number:03d}" for number in range(50, 55)]
    assert "Page 2 of 2" in response.content.decode()


def test_list_table_partial_for_htmx(client, users, host):
    add(host, "solo")
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk}, headers=TABLE)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="container-table">')
    assert "<h1>" not in body
    assert "HX-Target" in response["Vary"]


def test_list_shows_ports(client, users, host):
    ports = [{"ip": "127.0.0.1", "private": 80, "public": 8080, "type": "tcp"}]
    add(host, "web", ports=ports)
    client.force_login(users.make(role="operator"))
    response = client.get(LIST, {"host": host.pk})
    assert "127.0.0.1:8080-&gt;80/tcp" in response.content.decode()


def test_list_escapes_names(client, users, host):
    add(host, "x", image="<script>alert(1)</script>")
    client.force_login(users.make(role="operator"))
    body = client.get(LIST, {"host": host.pk}).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_list_unknown_host_404(client, users, db):
    client.force_login(users.make(role="operator"))
    assert client.get(LIST, {"host": "999999"}).status_code == 404


def test_list_defaults_to_local(client, users, host):
    local = register_local_host()
    client.force_login(users.make(role="operator"))
    assert client.get(LIST).context["host"] == local


def test_list_requires_login(client, host):
    response = client.get(LIST, {"host": host.pk})
    assert response.status_code == 302


def test_list_rejects_post(client, users, host):
    client.force_login(users.make(role="operator"))
    assert client.post(LIST, {"host": host.pk}).status_code == 405


def thousand(host, team) -> None:
    apps = [
        App.objects.create(name=unique("app"), team=team, host=host) for _ in range(5)
    ]
    port = {"ip": "0.0.0.0", "private": 80, "public": 8080, "type": "tcp"}
    Container.objects.bulk_create(
        Container(
            host=host,
            docker_id=f"{number:064x}",
            name=f"load-{number:04d}",
            image="busybox:latest",
            state="running" if number % 3 else "exited",
            ports=[port],
            app=apps[number % 5] if number % 2 else None,
            labels={"pier.team": str(team.pk)} if number % 4 == 0 else {},
        )
        for number in range(1000)
    )


def test_list_thousand_rows_operator_queries(
    client, users, host, django_assert_max_num_queries
):
    thousand(host, users.team())
    client.force_login(users.make(role="operator"))
    started = time.perf_counter()
    with django_assert_max_num_queries(7):
        response = client.get(LIST, {"host": host.pk, "sort": "-app"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1000
    assert elapsed < 1.0


def test_list_thousand_rows_developer_queries(
    client, users, host, django_assert_max_num_queries
):
    team = users.team()
    thousand(host, team)
    client.force_login(users.make(teams=[team]))
    with django_assert_max_num_queries(8):
        response = client.get(LIST, {"host": host.pk, "q": "load"})
    # Odd numbers have an app of the team; multiples of 4 carry the label.
    assert response.context["page"].paginator.count == 750


def test_list_status_counts_time_since_listing(client, users, host):
    row = add(host, "long-running", status="Up Less than a second")
    listed = timezone.now() - timedelta(minutes=21, seconds=5)
    Container.objects.filter(pk=row.pk).update(synced_at=listed)
    client.force_login(users.make(role="operator"))

    response = client.get(LIST, {"host": host.pk})

    page = response.content.decode()
    assert "Up 21 minutes" in page
    assert "Less than a second" not in page
