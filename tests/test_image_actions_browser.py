"""Image actions in the browser, as an operator: build, tag, save, load, import
and a container's filesystem export."""

import io
import tarfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from containers.models import Image, Profile
from tests.conftest import log_in, unique

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCKERFILE = b"""FROM busybox:latest AS base
ARG GREETING=none
LABEL pier.test.greeting=$GREETING

FROM base AS broken
RUN false
"""


def wait_for_untag(host, tag: str, timeout: float = 15) -> None:
    """Wait until the mirror has applied the engine's untag event."""
    deadline = time.monotonic() + timeout
    while any(
        tag in tags
        for tags in Image.objects.filter(host=host).values_list("tags", flat=True)
    ):
        if time.monotonic() > deadline:
            raise AssertionError(f"the mirror still lists {tag}")
        time.sleep(0.1)


@pytest.fixture
def operator(users):
    return users.make(role=Profile.OPERATOR)


@pytest.fixture
def made(docker_api):
    """Image tags and container names the test makes, removed afterwards."""
    created = {"images": [], "containers": []}
    yield created
    for name in created["containers"]:
        for entry in docker_api.containers(all=True, filters={"name": f"^/{name}$"}):
            docker_api.remove_container(entry["Id"], force=True)
    for tag in created["images"]:
        if docker_api.images(name=tag):
            docker_api.remove_image(tag, force=True)


def tar_bytes(files: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def expect_succeeded(page) -> None:
    expect(page.locator("[data-job-state]")).to_have_text("succeeded", timeout=60_000)


def open_images(page, host) -> None:
    page.goto(f"/images/?host={host.pk}")


def names_in(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return archive.getnames()


def test_build_tag_save_load(page, operator, made, docker_api, local_host, tmp_path):
    repository = unique("pier-build")
    tag, second = f"{repository}:1", f"{repository}:2"
    greeting = unique("hello")
    made["images"] += [tag, second]
    context = tmp_path / "context.tar.gz"
    context.write_bytes(tar_bytes({"Dockerfile": DOCKERFILE}, "w:gz"))
    log_in(page, operator)

    open_images(page, local_host)
    page.get_by_role("link", name="Build", exact=True).click()
    page.get_by_label("Build context (.tar.gz or .zip)").set_input_files(context)
    page.get_by_label("Image tag").fill(tag)
    page.get_by_label("Target stage").fill("base")
    page.get_by_label("Build arguments").fill(f"GREETING={greeting}")
    page.get_by_role("button", name="Build", exact=True).click()
    expect_succeeded(page)

    open_images(page, local_host)
    page.get_by_role("link", name=tag).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(tag)
    labels = page.get_by_role("table", name="Labels")
    expect(labels).to_contain_text(greeting)

    page.get_by_label("New tag").fill(second)
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_role("status")).to_contain_text(f"as {second}")
    summary = page.get_by_role("region", name="Summary")
    expect(summary.locator("code", has_text=second)).to_be_visible()

    with page.expect_download() as saving:
        page.get_by_role("link", name=f"Save {tag}").click()
    download = saving.value
    archive = tmp_path / download.suggested_filename
    download.save_as(archive)
    assert archive.stat().st_size > 0
    assert "manifest.json" in names_in(archive.read_bytes())

    docker_api.remove_image(tag)
    wait_for_untag(local_host, tag)
    open_images(page, local_host)
    expect(page.get_by_role("link", name=second)).not_to_contain_text(tag)

    page.get_by_role("link", name="Load", exact=True).click()
    page.get_by_label("Image archive").set_input_files(archive)
    page.get_by_role("button", name="Load", exact=True).click()
    expect_succeeded(page)
    assert docker_api.images(name=tag)

    open_images(page, local_host)
    expect(page.get_by_role("link", name=second)).to_contain_text(tag)


def test_import_rootfs(page, operator, made, local_host, tmp_path):
    reference = f"{unique('pier-import')}:1"
    made["images"].append(reference)
    rootfs = tmp_path / "rootfs.tar"
    rootfs.write_bytes(tar_bytes({"etc/pier-release": b"imported\n"}))
    log_in(page, operator)

    open_images(page, local_host)
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("Root filesystem tarball").set_input_files(rootfs)
    page.get_by_label("Image tag").fill(reference)
    page.get_by_role("button", name="Import", exact=True).click()
    expect_succeeded(page)

    open_images(page, local_host)
    expect(page.get_by_role("link", name=reference)).to_be_visible()


def test_export_container(page, operator, made, docker_api, local_host):
    name = unique("pier-export")
    made["containers"].append(name)
    docker_api.create_container("busybox:latest", command="true", name=name)
    log_in(page, operator)

    page.goto(f"/containers/?host={local_host.pk}")
    page.get_by_role("searchbox", name="Filter").fill(name)
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export filesystem").click()
    download = download_info.value

    assert download.suggested_filename == f"{name}-filesystem.tar"
    assert "bin/busybox" in names_in(Path(download.path()).read_bytes())


def test_remove_one_tag(page, operator, made, docker_api, local_host):
    repository = unique("pier-untag")
    first, second = f"{repository}:1", f"{repository}:2"
    made["images"] += [first, second]
    busybox = docker_api.inspect_image("busybox:latest")["Id"]
    docker_api.tag(busybox, repository, "1")
    docker_api.tag(busybox, repository, "2")
    deadline = time.monotonic() + 15
    while not Image.objects.filter(host=local_host, docker_id=busybox).exists() or (
        second not in Image.objects.get(host=local_host, docker_id=busybox).tags
    ):
        assert time.monotonic() < deadline, "the mirror never showed the new tags"
        time.sleep(0.1)
    log_in(page, operator)

    open_images(page, local_host)
    page.get_by_role("link", name=first).click()
    page.get_by_role("button", name=f"Remove tag {second}").click()

    expect(page.get_by_role("status")).to_contain_text(f"Removed the tag {second}.")
    tags = docker_api.inspect_image(busybox)["RepoTags"]
    assert second not in tags
    assert first in tags
    assert "busybox:latest" in tags
