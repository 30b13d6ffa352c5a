"""Archives in and out: import, load, and the export and save downloads."""

import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from playwright.sync_api import expect

from containers.models import Container, Image, Profile
from containers.services import sync
from tests.conftest import RUN_ID, log_in, session_cookie, unique
from tests.registry import (  # noqa: F401
    build_image,
    close_database_connection,
    finished_job,
    job_text,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def operator(users):
    return users.make(role=Profile.OPERATOR)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def mirrored_container(docker_api, local_host, image: str) -> Iterator[Container]:
    created = docker_api.create_container(
        image, command="true", name=unique("pier-export")
    )
    sync.sync_containers(local_host)
    yield Container.objects.get(host=local_host, docker_id=created["Id"])
    docker_api.remove_container(created["Id"], force=True)


@pytest.fixture
def container(docker_api, local_host, stack):
    """A stopped container of debian:bookworm (about 200 MB), mirrored."""
    yield from mirrored_container(docker_api, local_host, "debian:bookworm")


@pytest.fixture
def small_container(docker_api, local_host, stack):
    """A stopped container of busybox (about 4 MB), mirrored."""
    yield from mirrored_container(docker_api, local_host, "busybox:latest")


def write_stream(chunks, path: Path) -> Path:
    with open(path, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return path


def download(stack, operator, url: str, path: Path) -> Path:
    """Fetch a download from Pier's ASGI server in 1 MiB reads, to a file."""
    request = urllib.request.Request(
        stack.base_url + url,
        headers={"Cookie": f"sessionid={session_cookie(operator)}"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.headers["Content-Type"] == "application/x-tar"
        return write_stream(iter(lambda: response.read(1 << 20), b""), path)


def peak_memory_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("VmHWM missing from /proc status")


def test_export_view_streams(operator_client, container):
    response = operator_client.get(reverse("container-export", args=[container.pk]))

    assert isinstance(response, StreamingHttpResponse)
    assert response.is_async
    assert "filesystem.tar" in response["Content-Disposition"]


def test_export_download_is_a_tar(
    stack, operator, container, small_container, tmp_path
):
    # The first download imports the views and starts threads: measure after it.
    web = stack.processes[0].pid
    small = f"/containers/{small_container.pk}/export/"
    download(stack, operator, small, tmp_path / "small.tar")
    before = peak_memory_kib(web)

    path = download(
        stack, operator, f"/containers/{container.pk}/export/", tmp_path / "fs.tar"
    )

    growth_mib = (peak_memory_kib(web) - before) / 1024
    assert path.stat().st_size > 50 * 1024 * 1024
    with tarfile.open(path) as archive:
        assert "etc/debian_version" in archive.getnames()
    assert growth_mib < 40, f"web server peak memory grew by {growth_mib:.0f} MiB"


def test_save_download_is_an_image(stack, operator, docker_api, local_host, tmp_path):
    tag = f"{unique('pier-save')}:1"
    image_id = build_image(docker_api, tag, f"pier-test-{RUN_ID}")
    sync.sync_images(local_host)
    image = Image.objects.get(host=local_host, docker_id=image_id)

    path = download(
        stack, operator, f"/images/{image.pk}/save/?tag={tag}", tmp_path / "img.tar"
    )

    assert path.stat().st_size > 0
    with tarfile.open(path) as archive:
        assert "manifest.json" in archive.getnames()


def test_load_restores_saved_image(
    operator_client, stack, docker_api, local_host, tmp_path
):
    tag = f"{unique('pier-load')}:1"
    image_id = build_image(docker_api, tag, f"pier-test-{RUN_ID}")
    archive = write_stream(docker_api.get_image(tag), tmp_path / "saved.tar")
    docker_api.remove_image(image_id, force=True)

    with open(archive, "rb") as upload:
        response = operator_client.post(
            reverse("image-load"), {"archive": upload, "host": local_host.pk}
        )

    job = finished_job(response["Location"])
    assert job.state == job.SUCCEEDED, job_text(job)
    assert job.result["loaded"] == [tag]
    assert docker_api.inspect_image(tag)["Id"] == image_id
    assert Image.objects.filter(host=local_host, docker_id=image_id).exists()


@pytest.mark.browser
def test_import_makes_image(page, operator, docker_api, tmp_path):
    source = docker_api.create_container("busybox:latest", command="true")
    try:
        rootfs = write_stream(docker_api.export(source), tmp_path / "rootfs.tar")
    finally:
        docker_api.remove_container(source, force=True)
    tag = f"{unique('pier-import')}:1"
    log_in(page, operator)

    page.goto("/images/import/")
    page.get_by_label("Root filesystem tarball").set_input_files(str(rootfs))
    page.get_by_label("Image tag").fill(tag)
    page.get_by_label("Dockerfile instructions").fill(
        f'CMD ["/bin/sh"]\nLABEL pier.test=pier-test-{RUN_ID}'
    )
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.locator("[data-job-state]")).to_have_text("succeeded", timeout=60_000)
    expect(page.get_by_role("progressbar", name="Upload")).to_have_attribute(
        "value", "100"
    )
    config = docker_api.inspect_image(tag)["Config"]
    assert config["Cmd"] == ["/bin/sh"]
    assert config["Labels"]["pier.test"] == f"pier-test-{RUN_ID}"


def test_import_rejects_bad_changes(operator_client, local_host, tmp_path):
    path = tmp_path / "rootfs.tar"
    path.write_bytes(b"x")

    with open(path, "rb") as upload:
        response = operator_client.post(
            reverse("image-import"),
            {
                "archive": upload,
                "reference": "pier-never:1",
                "changes": "RUN rm -rf /",
                "host": local_host.pk,
            },
        )

    assert response.status_code == 400
    assert "does not start with one of CMD" in response.content.decode()


def test_save_of_missing_image_is_404(operator_client, local_host):
    image = Image.objects.create(host=local_host, docker_id="sha256:" + "0" * 64)
    try:
        response = operator_client.get(reverse("image-save", args=[image.pk]))
    finally:
        image.delete()

    assert response.status_code == 404
    assert "Could not download image" in response.content.decode()
