"""Publishing through the worker: new versions, failures that lose nothing, rollback."""

import io
import socket
import tarfile
import urllib.request

import pytest
from django.urls import reverse

from containers.models import App, Job, Release
from containers.services import apps as app_service
from tests.conftest import unique
from tests.gitserver import add_commit
from tests.publishing import (
    busybox_site,
    job_text,
    make_app,
    publish_and_wait,
    wait_for_job,
)

pytestmark = pytest.mark.slow


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def app_containers(docker_api, app: App) -> list[dict]:
    return docker_api.containers(all=True, filters={"label": f"pier.app={app.name}"})


@pytest.fixture
def developer(users):
    team = users.team()
    return users.make(teams=[team])


@pytest.fixture
def site(git_server, developer, local_host):
    """An app whose repository serves "version one" from busybox httpd."""
    name = unique("site")
    url = git_server.publish_files(name, busybox_site("version one"))
    app = make_app(name, developer.teams.first(), local_host, url)
    job = publish_and_wait(app, developer)
    assert job.state == Job.SUCCEEDED, job.error
    app.refresh_from_db()
    return app


def test_publish_serves_first_version(stack, site, docker_api):
    release = site.releases.get()

    assert release.status == Release.LIVE
    assert release.image_tag == f"{site.name}:1"
    assert "version one" in fetch(site.url)
    assert len(app_containers(docker_api, site)) == 1
    host_config = docker_api.inspect_container(release.container_id)["HostConfig"]
    assert host_config["RestartPolicy"]["Name"] == "unless-stopped"


def test_republish_swaps_to_new_version(stack, site, developer, git_server, docker_api):
    add_commit(git_server.repo_path(site.name), busybox_site("version two"))

    job = publish_and_wait(site, developer)

    assert job.state == Job.SUCCEEDED, job.error
    assert "version two" in fetch(site.url)
    statuses = dict(site.releases.values_list("version", "status"))
    assert statuses == {1: Release.RETIRED, 2: Release.LIVE}
    containers = app_containers(docker_api, site)
    assert [entry["Labels"]["pier.release"] for entry in containers] == ["2"]
    assert docker_api.images(name=f"{site.name}:1"), (
        "the old image is kept for rollback"
    )


def test_failed_build_keeps_old_version(stack, site, developer, git_server, docker_api):
    broken = busybox_site("never served")
    broken["Dockerfile"] += "RUN echo compiling && exit 3\n"
    add_commit(git_server.repo_path(site.name), broken)

    job = publish_and_wait(site, developer)

    assert job.state == Job.FAILED
    assert "Build failed at Step" in job.error
    assert "exit 3" in job.error
    assert "compiling" in job_text(job)
    assert "version one" in fetch(site.url)
    assert site.releases.get(version=2).status == Release.FAILED
    assert site.releases.get(version=1).status == Release.LIVE
    assert not docker_api.images(name=f"{site.name}:2")
    assert len(app_containers(docker_api, site)) == 1


def test_app_that_exits_keeps_old_version(
    stack, site, developer, git_server, docker_api
):
    crashing = busybox_site(
        "crash", 'FROM busybox:latest\nCMD ["sh", "-c", "echo boom >&2; exit 7"]\n'
    )
    add_commit(git_server.repo_path(site.name), crashing)

    job = publish_and_wait(site, developer)

    assert job.state == Job.FAILED
    assert "exited with code 7" in job.error
    assert "boom" in job.error
    assert "version one" in fetch(site.url)
    assert len(app_containers(docker_api, site)) == 1
    assert not docker_api.images(name=f"{site.name}:2")


def test_rollback_restores_previous_version(stack, site, developer, git_server):
    add_commit(git_server.repo_path(site.name), busybox_site("version two"))
    assert publish_and_wait(site, developer).state == Job.SUCCEEDED
    first = site.releases.get(version=1)

    job = wait_for_job(app_service.start_rollback(site, first, developer))

    assert job.state == Job.SUCCEEDED, job.error
    assert "version one" in fetch(site.url)
    first.refresh_from_db()
    assert first.status == Release.LIVE
    assert site.releases.get(version=2).status == Release.RETIRED


def test_port_taken_fails_before_build(stack, site, developer):
    with socket.socket() as blocker:
        blocker.bind(("0.0.0.0", 0))
        blocker.listen()
        other = make_app(
            unique("taken"),
            site.team,
            site.host,
            site.source_url,
            host_port=blocker.getsockname()[1],
        )
        job = publish_and_wait(other, developer)

    assert job.state == Job.FAILED
    assert "already in use" in job.error
    assert "Step" not in job_text(job)
    assert "version one" in fetch(site.url)


def test_environment_reaches_app_masked(stack, git_server, developer, local_host):
    name = unique("env")
    dockerfile = (
        "FROM busybox:latest\nEXPOSE 8080\n"
        'CMD ["sh", "-c", "mkdir -p /www; echo \\"greeting=$GREETING\\" > '
        '/www/index.html; echo \\"secret is $GREETING\\"; httpd -f -p 8080 -h /www"]\n'
    )
    url = git_server.publish_files(name, {"Dockerfile": dockerfile})
    app = make_app(
        name,
        developer.teams.first(),
        local_host,
        url,
        environment="GREETING=swordfish-42\n",
    )

    job = publish_and_wait(app, developer)

    assert job.state == Job.SUCCEEDED, job.error
    assert "greeting=swordfish-42" in fetch(app.url)
    assert "swordfish-42" not in job_text(job)


def test_unreachable_repository_fails_clearly(stack, developer, local_host, docker_api):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app = make_app(
        unique("gone"),
        developer.teams.first(),
        local_host,
        f"http://127.0.0.1:{closed_port}/nothing.git",
    )

    job = publish_and_wait(app, developer)

    assert job.state == Job.FAILED
    assert "connect" in job.error.lower()
    assert app.releases.get().status == Release.FAILED
    assert app_containers(docker_api, app) == []


def test_archive_escaping_folder_rejected(
    stack, developer, local_host, tmp_path, docker_api
):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        payload = b"FROM busybox:latest\n"
        entry = tarfile.TarInfo("Dockerfile")
        entry.size = len(payload)
        tar.addfile(entry, io.BytesIO(payload))
        evil = tarfile.TarInfo("../../escaped.txt")
        evil.size = 3
        tar.addfile(evil, io.BytesIO(b"bad"))
    app = App.objects.create(
        name=unique("evil"),
        team=developer.teams.first(),
        host=local_host,
        source_kind=App.ARCHIVE,
        container_port=8080,
    )
    from containers.services.ports import free_port
    from containers.services.publish import start_release

    app.host_port = free_port(local_host)
    app.save()
    job = wait_for_job(start_release(app, developer, archive_path=str(archive)))

    assert job.state == Job.FAILED
    assert "../../escaped.txt" in job.error
    assert app_containers(docker_api, app) == []


def test_archive_app_new_variables_reuse_live_image(
    stack, developer, local_host, tmp_path, client
):
    dockerfile = (
        "FROM busybox:latest\nEXPOSE 8080\n"
        'CMD ["sh", "-c", "mkdir -p /www; echo \\"greeting=$GREETING\\" > '
        '/www/index.html; httpd -f -p 8080 -h /www"]\n'
    )
    archive = tmp_path / "site.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        entry = tarfile.TarInfo("Dockerfile")
        entry.size = len(dockerfile.encode())
        tar.addfile(entry, io.BytesIO(dockerfile.encode()))
    app = App.objects.create(
        name=unique("vars"),
        team=developer.teams.first(),
        host=local_host,
        source_kind=App.ARCHIVE,
        container_port=8080,
        environment="GREETING=first\n",
    )
    from containers.services.ports import free_port
    from containers.services.publish import start_release

    app.host_port = free_port(local_host)
    app.save()
    first = wait_for_job(start_release(app, developer, archive_path=str(archive)))
    assert first.state == Job.SUCCEEDED, first.error
    client.force_login(developer)

    response = client.post(
        reverse("app-redeploy", args=[app.pk]), {"environment": "GREETING=second\n"}
    )

    assert response.status_code == 302
    second = wait_for_job(app.jobs.order_by("-pk").first())
    assert second.state == Job.SUCCEEDED, second.error
    assert "greeting=second" in fetch(app.url)
    releases = {release.version: release for release in app.releases.all()}
    assert releases[2].image_tag == releases[1].image_tag == f"{app.name}:1"
    assert releases[2].status == Release.LIVE
    assert "the live version's image" in job_text(second)


def test_uploaded_name_drops_unique_prefix():
    from containers.services.publish import uploaded_name

    stored = "/var/builds/uploads/0123456789abcdef0123456789abcdef-my-site.tar.gz"
    assert uploaded_name(stored) == "my-site.tar.gz"
    assert uploaded_name("/tmp/evil.tar.gz") == "evil.tar.gz"
