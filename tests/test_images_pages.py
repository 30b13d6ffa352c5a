"""The image list and one image's page, read from a real engine's images."""

import pytest
from django.urls import reverse

from containers.models import DockerHost, Image, Profile
from containers.services import sync
from tests.conftest import RUN_ID, unique
from tests.registry import (  # noqa: F401
    build_image,
    close_database_connection,
)

pytestmark = pytest.mark.django_db

EXTRA = """\
ENV GREETING=hello
EXPOSE 8080/tcp
LABEL evil="<script>alert(1)</script>"
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo pier"]
"""


@pytest.fixture
def operator_client(client, users):
    client.force_login(users.make(role=Profile.OPERATOR))
    return client


@pytest.fixture
def engine_host() -> DockerHost:
    return DockerHost.objects.create(
        name=unique("host"), url="unix:///var/run/docker.sock"
    )


@pytest.fixture
def image(docker_api, engine_host) -> Image:
    tag = f"{unique('pier-page')}:1"
    image_id = build_image(docker_api, tag, f"pier-test-{RUN_ID}", extra=EXTRA)
    sync.sync_images(engine_host)
    return Image.objects.get(host=engine_host, docker_id=image_id)


def test_list_shows_image_and_user(operator_client, docker_api, image, engine_host):
    name = unique("pier-user")
    created = docker_api.create_container(image.docker_id, name=name)
    try:
        sync.sync_containers(engine_host)
        url = reverse("image-list") + f"?host={engine_host.pk}"
        page = operator_client.get(url).content.decode()
    finally:
        docker_api.remove_container(created, force=True)

    row = page[page.index(f'data-image="{image.docker_id}"') :]
    row = row[: row.index("</tr>")]
    assert image.tags[0] in row
    assert image.short_id in row
    assert name in row
    assert "created" in row


def test_list_filters_by_label(operator_client, image, engine_host):
    url = reverse("image-list")
    matching = operator_client.get(
        url, {"host": engine_host.pk, "label": f"pier.test=pier-test-{RUN_ID}"}
    )
    other = operator_client.get(url, {"host": engine_host.pk, "label": "pier.none"})

    assert image.tags[0] in matching.content.decode()
    assert image.tags[0] not in other.content.decode()


def test_detail_shows_configuration(operator_client, image):
    page = operator_client.get(reverse("image-detail", args=[image.pk])).content
    page = page.decode()

    assert "GREETING=hello" in page
    assert "8080/tcp" in page
    assert "<code>/bin/sh -c</code>" in page
    assert "<code>echo pier</code>" in page
    assert "/bin/sh -c echo" in page
    assert "&gt; /pier-test-image" in page
    assert "Layers (2)" in page


def test_detail_escapes_labels_and_json(operator_client, image):
    page = operator_client.get(reverse("image-detail", args=[image.pk])).content
    page = page.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;evil&quot;" in page


def test_tag_adds_reference(operator_client, docker_api, image):
    new = f"{unique('pier-tagged')}:2"

    response = operator_client.post(
        reverse("image-tag", args=[image.pk]), {"reference": new}
    )

    assert response.status_code == 302
    assert docker_api.inspect_image(new)["Id"] == image.docker_id
    image.refresh_from_db()
    assert new in image.tags


def test_untag_keeps_image_under_other_tag(operator_client, docker_api, image):
    extra = f"{unique('pier-untag')}:2"
    docker_api.tag(image.docker_id, *extra.split(":"))
    first = image.tags[0]

    response = operator_client.post(
        reverse("image-untag", args=[image.pk]), {"tag": extra}, follow=True
    )

    assert f"Removed the tag {extra}." in response.content.decode()
    tags = docker_api.inspect_image(image.docker_id)["RepoTags"]
    assert tags == [first]


def test_untag_refuses_the_last_tag(operator_client, docker_api, image):
    only = image.tags[0]

    response = operator_client.post(
        reverse("image-untag", args=[image.pk]), {"tag": only}, follow=True
    )

    assert "would delete the image" in response.content.decode()
    assert docker_api.inspect_image(image.docker_id)["RepoTags"] == [only]


def test_tag_explains_bad_reference(operator_client, image):
    response = operator_client.post(
        reverse("image-tag", args=[image.pk]), {"reference": "Bad Tag"}
    )

    assert response.status_code == 400
    assert "is not a valid image reference" in response.content.decode()
