"""Image pages of a host: the list, one image, tag, push, pull and search.

Operators only. The list reads the mirror. One image's page requests its
inspect data and history from the engine, because the mirror does not keep
them.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..docker_client import DockerError, ObjectNotFound
from ..forms_images import PullForm, PushForm, SearchForm, TagForm
from ..models import Container, DockerHost, Image
from ..services import access, images, registries, registry_catalog
from ..services.images_mirror import image_details, image_rows

logger = logging.getLogger(__name__)


def host_from_query(request: HttpRequest) -> DockerHost:
    """Return the host of ?host=<id>, else "local", else the first host."""
    host_id = request.GET.get("host", "")
    if host_id:
        if not host_id.isdigit():
            raise Http404("Host not found")
        return get_object_or_404(DockerHost, pk=host_id)
    hosts = DockerHost.objects.all()
    host = hosts.filter(name="local").first() or hosts.first()
    if host is None:
        raise Http404("No Docker host is registered yet.")
    return host


def image_for(image_id: int) -> Image:
    return get_object_or_404(Image.objects.select_related("host"), pk=image_id)


@login_required
@require_GET
def image_list(request: HttpRequest) -> HttpResponse:
    """Render the host's images; htmx requests get the table alone."""
    access.require_operator(request.user)
    host = host_from_query(request)
    label = request.GET.get("label", "").strip()
    context = {
        "host": host,
        "hosts": DockerHost.objects.all(),
        "rows": image_rows(host, label),
        "label": label,
    }
    if request.headers.get("HX-Request"):
        return render(request, "images/_table.html", context)
    return render(request, "images/list.html", context)


def _detail_context(image: Image, **forms) -> dict:
    context = {
        "image": image,
        "host": image.host,
        "containers": Container.objects.filter(
            host=image.host, image_id=image.docker_id
        ),
        "tag_form": TagForm(),
        "push_form": PushForm(tags=image.tags),
        **forms,
    }
    try:
        context["details"] = image_details(image)
    except ObjectNotFound:
        context["gone"] = True
    except DockerError as error:
        logger.info(
            "Inspecting image %s on host %s failed: %s",
            image.short_id,
            image.host_id,
            error,
        )
        context["inspect_error"] = str(error)
    return context


@login_required
@require_GET
def image_detail(request: HttpRequest, image_id: int) -> HttpResponse:
    access.require_operator(request.user)
    image = image_for(image_id)
    return render(request, "images/detail.html", _detail_context(image))


@login_required
@require_POST
def image_tag(request: HttpRequest, image_id: int) -> HttpResponse:
    access.require_operator(request.user)
    image = image_for(image_id)
    form = TagForm(request.POST)
    if not form.is_valid():
        context = _detail_context(image, tag_form=form)
        return render(request, "images/detail.html", context, status=400)
    reference = form.cleaned_data["reference"]
    try:
        images.tag_image(image.host, image.docker_id, reference)
    except DockerError as error:
        logger.info(
            "Tagging image %s on host %s failed: %s",
            image.short_id,
            image.host_id,
            error,
        )
        messages.error(request, f"Could not tag {image.short_id}: {error}")
    else:
        messages.success(request, f"Tagged {image.short_id} as {reference}.")
    return redirect("image-detail", image_id=image.pk)


@login_required
@require_POST
def image_untag(request: HttpRequest, image_id: int) -> HttpResponse:
    """Remove one tag of the image; the image stays under its other tags."""
    access.require_operator(request.user)
    image = image_for(image_id)
    reference = request.POST.get("tag", "")
    try:
        images.untag_image(image.host, image.docker_id, reference)
    except (DockerError, images.InvalidReference) as error:
        logger.info(
            "Untagging %s of image %s on host %s failed: %s",
            reference,
            image.short_id,
            image.host_id,
            error,
        )
        messages.error(request, f"Could not remove the tag: {error}")
    else:
        messages.success(request, f"Removed the tag {reference}.")
    return redirect("image-detail", image_id=image.pk)


@login_required
@require_POST
def image_push(request: HttpRequest, image_id: int) -> HttpResponse:
    access.require_operator(request.user)
    image = image_for(image_id)
    form = PushForm(request.POST, tags=image.tags)
    if not form.is_valid():
        context = _detail_context(image, push_form=form)
        return render(request, "images/detail.html", context, status=400)
    target = form.target()
    job = images.start_push(image, request.user, form.cleaned_data["tag"], target)
    return redirect("job-detail", job_id=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def image_pull(request: HttpRequest) -> HttpResponse:
    access.require_operator(request.user)
    if request.method == "POST":
        form = PullForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            job = images.start_pull(data["host"], request.user, data["reference"])
            return redirect("job-detail", job_id=job.pk)
    else:
        initial = {key: request.GET.get(key) for key in ("reference", "registry")}
        form = PullForm(initial={**initial, "host": host_from_query(request)})
    status = 400 if form.errors else 200
    return render(request, "images/pull.html", {"form": form}, status=status)


def _search(form: SearchForm) -> dict:
    term = form.cleaned_data["term"]
    registry = form.registry()
    host = form.cleaned_data["host"]
    try:
        if registry is None:
            return {"hub_results": registries.search_docker_hub(host, term)}
        catalog = registry_catalog.search_catalog(registry, term)
    except registries.RegistryError as error:
        return {"search_error": str(error)}
    return {"registry": registry, "catalog": catalog}


@login_required
@require_GET
def image_search(request: HttpRequest) -> HttpResponse:
    access.require_operator(request.user)
    if "source" in request.GET:
        form = SearchForm(request.GET)
    else:
        form = SearchForm(initial={"host": host_from_query(request)})
    context: dict = {"form": form}
    if form.is_bound and form.is_valid():
        context.update(_search(form))
        context["host"] = form.cleaned_data["host"]
    status = 400 if form.errors else 200
    return render(request, "images/search.html", context, status=status)
