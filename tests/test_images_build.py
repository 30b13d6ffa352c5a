"""Building images from uploaded contexts: arguments, target stage, failures."""

import io
import re
import tarfile

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from containers.models import Profile
from tests.conftest import RUN_ID, log_in, unique
from tests.registry import (  # noqa: F401
    close_database_connection,
    finished_job,
    job_text,
)

pytestmark = pytest.mark.slow

MULTI_STAGE = """\
FROM busybox:latest AS base
ARG GREETING=unset
LABEL pier.test=pier-test-{run} stage=base greeting=$GREETING
RUN echo "$GREETING" > /greeting

FROM base AS final
LABEL stage=final
"""
FAILING = """\
FROM busybox:latest
LABEL pier.test=pier-test-{run}
RUN echo first step
RUN exit 3
"""


def context_archive(path, dockerfile: str, name: str = "Dockerfile") -> str:
    """Write a .tar.gz build context with one Dockerfile; return its path."""
    data = dockerfile.format(run=RUN_ID).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(f"app/{name}")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return str(path)


@pytest.mark.browser
def test_build_with_argument_and_target(page, users, tmp_path, docker_api):
    tag = f"{unique('pier-build')}:1"
    archive = context_archive(tmp_path / "context.tar.gz", MULTI_STAGE)
    log_in(page, users.make(role=Profile.OPERATOR))

    page.goto("/images/build/")
    page.get_by_label("Build context (.tar.gz or .zip)").set_input_files(archive)
    page.get_by_label("Image tag").fill(tag)
    page.get_by_label("Target stage").fill("base")
    page.get_by_label("Build arguments").fill("GREETING=hello-from-pier")
    page.get_by_role("button", name="Build", exact=True).click()

    expect(page.locator("[data-job-state]")).to_have_text("succeeded", timeout=90_000)
    expect(page.get_by_label(re.compile("^Output of"))).to_contain_text("Tagged")
    labels = docker_api.inspect_image(tag)["Config"]["Labels"]
    assert labels["stage"] == "base"
    assert labels["greeting"] == "hello-from-pier"


@pytest.fixture
def operator_client(client, users):
    client.force_login(users.make(role=Profile.OPERATOR))
    return client


@pytest.fixture
def leftover_layers(docker_api):
    """Remove the untagged images that a failed build leaves in the cache."""
    yield
    label = f"pier.test=pier-test-{RUN_ID}"
    for entry in docker_api.images(filters={"label": label, "dangling": True}):
        docker_api.remove_image(entry["Id"])


def test_failing_build_names_step(
    operator_client, stack, local_host, tmp_path, docker_api, leftover_layers
):
    tag = f"{unique('pier-build')}:1"
    archive = context_archive(tmp_path / "context.tar.gz", FAILING)

    with open(archive, "rb") as upload:
        response = operator_client.post(
            reverse("image-build"),
            {
                "context": upload,
                "tag": tag,
                "dockerfile": "Dockerfile",
                "host": local_host.pk,
            },
        )

    job = finished_job(response["Location"])
    assert job.state == job.FAILED
    assert "Build failed at Step 4/4 : RUN exit 3" in job.error
    assert "returned a non-zero code: 3" in job.error
    assert "first step" in job_text(job)
    assert not docker_api.images(name=tag.split(":")[0])


def test_dockerfile_path_is_used(
    operator_client, stack, local_host, tmp_path, docker_api
):
    tag = f"{unique('pier-build')}:1"
    archive = context_archive(
        tmp_path / "context.tar.gz", MULTI_STAGE, "docker/app.Dockerfile"
    )

    with open(archive, "rb") as upload:
        response = operator_client.post(
            reverse("image-build"),
            {
                "context": upload,
                "tag": tag,
                "dockerfile": "docker/app.Dockerfile",
                "host": local_host.pk,
            },
        )

    job = finished_job(response["Location"])
    assert job.state == job.SUCCEEDED, job_text(job)
    assert docker_api.inspect_image(tag)["Config"]["Labels"]["stage"] == "final"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dockerfile", "../Dockerfile", "is not a path inside the context"),
        ("build_args", "NOT VALID", "is not KEY=value"),
        ("target", "bad stage!", "is not a valid stage name"),
        ("tag", "Bad:Tag:Here", "is not a valid image reference"),
    ],
)
def test_bad_build_input_is_explained(
    operator_client, live_db, tmp_path, field, value, message
):
    archive = context_archive(tmp_path / "context.tar.gz", FAILING)
    form = {"tag": "pier-never:1", "dockerfile": "Dockerfile", field: value}

    with open(archive, "rb") as upload:
        response = operator_client.post(
            reverse("image-build"), {**form, "context": upload}
        )

    assert response.status_code == 400
    assert message in response.content.decode()


def test_wrong_archive_type_is_explained(operator_client, live_db, tmp_path):
    path = tmp_path / "context.rar"
    path.write_bytes(b"not an archive")

    with open(path, "rb") as upload:
        response = operator_client.post(
            reverse("image-build"), {"context": upload, "tag": "pier-never:1"}
        )

    assert response.status_code == 400
    assert "context.rar is not a .tar.gz" in response.content.decode()
