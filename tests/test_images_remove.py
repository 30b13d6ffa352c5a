"""Removal plans and their jobs, on images labelled for this test run only.

The engine is shared, so every bulk removal here carries a label filter that
only this run's images match.
"""

import pytest
from django.urls import reverse

from containers.models import Image, Profile
from containers.services import sync
from containers.services.images_remove import UNUSED, plan_removal, start_removal
from tests.conftest import unique
from tests.registry import (  # noqa: F401
    build_image,
    close_database_connection,
    finished_job,
    job_text,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def labelled(docker_api, local_host, stack):
    """Three images: unused, used by a stopped and by a running container."""
    label = unique("remove")
    ids = {}
    for role in ("unused", "stopped", "running"):
        ids[role] = build_image(docker_api, f"{label}-{role}:1", label)
    containers = [
        docker_api.create_container(ids["stopped"], command="true", name=label + "-s"),
        docker_api.create_container(
            ids["running"], command="sleep 300", name=label + "-r"
        ),
    ]
    docker_api.start(containers[1])
    sync.sync_images(local_host)
    sync.sync_containers(local_host)
    yield label, ids
    for container in containers:
        docker_api.remove_container(container, force=True)
    for image_id in ids.values():
        if _exists(docker_api, image_id):
            docker_api.remove_image(image_id, force=True)


def _exists(docker_api, image_id: str) -> bool:
    return any(entry["Id"] == image_id for entry in docker_api.images(quiet=False))


def shown_ids(response, section: str) -> set[str]:
    plan = response.context["plan"]
    return {row.image.docker_id for row in getattr(plan, section)}


@pytest.fixture
def operator_client(client, users):
    client.force_login(users.make(role=Profile.OPERATOR))
    return client


def test_unused_plan_lists_own_images(operator_client, labelled, local_host):
    label, ids = labelled
    url = (
        reverse("image-remove-unused")
        + f"?host={local_host.pk}&label=pier.test={label}"
    )

    response = operator_client.get(url)

    assert response.status_code == 200
    assert shown_ids(response, "remove") == {ids["unused"]}
    assert shown_ids(response, "keep") == {ids["stopped"], ids["running"]}
    assert f"{label}-s (created)" in response.content.decode()


def test_unused_removal_keeps_used(operator_client, labelled, local_host, docker_api):
    label, ids = labelled
    url = (
        reverse("image-remove-unused")
        + f"?host={local_host.pk}&label=pier.test={label}"
    )

    response = operator_client.post(url, {"image_id": list(ids.values())})

    job = finished_job(response["Location"])
    assert job.state == job.SUCCEEDED, job_text(job)
    assert job.result["removed"] == 1
    assert not _exists(docker_api, ids["unused"])
    assert _exists(docker_api, ids["stopped"])
    assert _exists(docker_api, ids["running"])
    assert not Image.objects.filter(docker_id=ids["unused"]).exists()


def test_all_removal_keeps_running(operator_client, labelled, local_host, docker_api):
    label, ids = labelled
    url = reverse("image-remove-all") + f"?host={local_host.pk}&label=pier.test={label}"
    plan = operator_client.get(url)
    assert shown_ids(plan, "remove") == {ids["unused"], ids["stopped"]}
    assert shown_ids(plan, "keep") == {ids["running"]}

    response = operator_client.post(
        url, {"image_id": sorted(shown_ids(plan, "remove"))}
    )

    job = finished_job(response["Location"])
    assert job.state == job.SUCCEEDED, job_text(job)
    assert not _exists(docker_api, ids["unused"])
    assert not _exists(docker_api, ids["stopped"])
    assert _exists(docker_api, ids["running"])


def test_job_rechecks_containers(labelled, local_host, docker_api, users):
    label, ids = labelled
    plan = plan_removal(local_host, UNUSED, label=f"pier.test={label}")
    late = docker_api.create_container(ids["unused"], command="true")
    try:
        job = start_removal(plan, users.make(role=Profile.OPERATOR), [ids["unused"]])
        job = finished_job(f"/jobs/{job.pk}/")
    finally:
        docker_api.remove_container(late, force=True)

    assert job.result["kept"] == 1
    assert "Kept" in job_text(job)
    assert _exists(docker_api, ids["unused"])


def test_view_rechecks_mirror(operator_client, labelled, local_host, docker_api):
    label, ids = labelled
    url = (
        reverse("image-remove-unused")
        + f"?host={local_host.pk}&label=pier.test={label}"
    )
    late = docker_api.create_container(ids["unused"], command="true")
    try:
        sync.sync_containers(local_host)
        response = operator_client.post(url, {"image_id": [ids["unused"]]})
    finally:
        docker_api.remove_container(late, force=True)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('image-list')}?host={local_host.pk}"
    assert _exists(docker_api, ids["unused"])


def test_remove_one_needs_force(operator_client, labelled, local_host, docker_api):
    _, ids = labelled
    image = Image.objects.get(host=local_host, docker_id=ids["stopped"])
    url = reverse("image-remove", args=[image.pk])

    plain = operator_client.get(url)
    forced = operator_client.get(url + "?force=1")
    response = operator_client.post(url + "?force=1", {"image_id": [ids["stopped"]]})

    assert shown_ids(plain, "remove") == set()
    assert shown_ids(plain, "keep") == {ids["stopped"]}
    assert shown_ids(forced, "remove") == {ids["stopped"]}
    job = finished_job(response["Location"])
    assert job.state == job.SUCCEEDED, job_text(job)
    assert not _exists(docker_api, ids["stopped"])


def test_post_ignores_unlisted_ids(operator_client, labelled, local_host):
    label, ids = labelled
    url = (
        reverse("image-remove-unused")
        + f"?host={local_host.pk}&label=pier.test={label}"
    )

    response = operator_client.post(url, {"image_id": [ids["running"], "sha256:x"]})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('image-list')}?host={local_host.pk}"
