"""Who may open the image and registry pages: operators only, right methods only."""

import pytest
from django.urls import reverse

from containers.models import Container, DockerHost, Image, Profile, Registry
from containers.services.images import start_pull
from tests.registry import close_database_connection  # noqa: F401

pytestmark = pytest.mark.django_db

# (URL name, arguments, HTTP methods the view accepts)
GET_AND_POST = ("GET", "POST")
VIEWS = [
    ("image-list", [], ("GET",)),
    ("image-pull", [], GET_AND_POST),
    ("image-search", [], ("GET",)),
    ("image-build", [], GET_AND_POST),
    ("image-import", [], GET_AND_POST),
    ("image-load", [], GET_AND_POST),
    ("image-remove-unused", [], GET_AND_POST),
    ("image-remove-all", [], GET_AND_POST),
    ("image-detail", ["image"], ("GET",)),
    ("image-tag", ["image"], ("POST",)),
    ("image-untag", ["image"], ("POST",)),
    ("image-push", ["image"], ("POST",)),
    ("image-remove", ["image"], GET_AND_POST),
    ("image-save", ["image"], ("GET",)),
    ("container-export", ["container"], ("GET",)),
    ("registry-list", [], ("GET",)),
    ("registry-add", [], GET_AND_POST),
    ("registry-edit", ["registry"], GET_AND_POST),
    ("registry-delete", ["registry"], GET_AND_POST),
    ("registry-test", ["registry"], ("POST",)),
]


@pytest.fixture
def objects():
    host = DockerHost.objects.create(name="roles-host", url="unix:///nowhere.sock")
    image = Image.objects.create(host=host, docker_id="sha256:" + "a" * 64)
    container = Container.objects.create(
        host=host, docker_id="b" * 64, name="roles-container", state="exited"
    )
    registry = Registry.objects.create(
        name="roles-registry", url="127.0.0.1:1", username="u", password="secret-pw"
    )
    return {"image": image.pk, "container": container.pk, "registry": registry.pk}


def url_of(name: str, arguments: list[str], objects: dict) -> str:
    return reverse(name, args=[objects[argument] for argument in arguments])


@pytest.mark.parametrize(("name", "arguments", "methods"), VIEWS)
def test_developer_gets_403(client, users, objects, name, arguments, methods):
    team = users.team()
    client.force_login(users.make(role=Profile.DEVELOPER, teams=[team]))
    url = url_of(name, arguments, objects)
    for method in methods:
        response = client.generic(method, url)
        assert response.status_code == 403, method


@pytest.mark.parametrize(("name", "arguments", "methods"), VIEWS)
def test_wrong_method_gets_405(client, users, objects, name, arguments, methods):
    client.force_login(users.make(role=Profile.OPERATOR))
    url = url_of(name, arguments, objects)
    wrong = "PUT" if "GET" in methods else "GET"
    assert client.generic(wrong, url).status_code == 405


@pytest.mark.parametrize(("name", "arguments", "methods"), VIEWS)
def test_anonymous_goes_to_login(client, objects, name, arguments, methods):
    response = client.generic(methods[0], url_of(name, arguments, objects))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_image_gets_404(client, users):
    client.force_login(users.make(role=Profile.OPERATOR))
    assert client.get(reverse("image-detail", args=[999999])).status_code == 404


def test_unknown_host_gets_404(client, users):
    client.force_login(users.make(role=Profile.OPERATOR))
    assert client.get(reverse("image-list") + "?host=999999").status_code == 404


def test_developer_cannot_see_image_job(client, users, objects):
    host = DockerHost.objects.get(name="roles-host")
    job = start_pull(host, users.make(role=Profile.OPERATOR), "busybox:1")
    client.force_login(users.make(role=Profile.DEVELOPER, teams=[users.team()]))

    response = client.get(reverse("job-detail", args=[job.pk]))

    assert response.status_code == 404
