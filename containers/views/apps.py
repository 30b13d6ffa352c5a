"""Pages of apps: the list, Publish, one app, and its actions."""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ..docker_client import DockerError
from ..forms import PublishForm, RedeployForm
from ..models import App, Container, Release
from ..services import access, apps, publish
from ..services.ports import PortTaken, free_port

logger = logging.getLogger(__name__)


def save_upload(upload) -> str:
    """Write an uploaded archive to the build folder in chunks; return its path."""
    folder = Path(settings.PIER_BUILD_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    safe_name = Path(upload.name).name.replace(" ", "_")
    path = folder / f"{uuid.uuid4().hex}-{safe_name}"
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return str(path)


@login_required
def app_list(request):
    return render(
        request,
        "apps/list.html",
        {"apps": access.visible_apps(request.user).prefetch_related("releases")},
    )


@login_required
def publish_new(request):
    form = PublishForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            host_port = data["host_port"] or free_port(data["host"])
        except PortTaken as error:
            form.add_error("host_port", str(error))
        else:
            archive_path = save_upload(data["archive"]) if data["archive"] else ""
            with transaction.atomic():
                app = App.objects.create(
                    name=data["name"],
                    team=data["team"],
                    host=data["host"],
                    source_kind=data["source_kind"],
                    source_url=data["source_url"] or "",
                    branch=data["branch"] or "main",
                    image=data["image"] or "",
                    container_port=data["container_port"],
                    host_port=host_port,
                    environment=data["environment"],
                    created_by=request.user,
                )
                publish.start_release(app, request.user, archive_path=archive_path)
            return redirect("app-detail", app_id=app.pk)
    return render(
        request, "apps/publish.html", {"form": form}, status=400 if form.errors else 200
    )


def _app_context(request, app):
    releases = list(app.releases.select_related("job"))
    live_release = next((r for r in releases if r.status == Release.LIVE), None)
    container = None
    if live_release and live_release.container_id:
        container = Container.objects.filter(
            host=app.host, docker_id=live_release.container_id
        ).first()
    latest_job = app.jobs.order_by("-created").first()
    return {
        "app": app,
        "releases": releases,
        "live_release": live_release,
        "container": container,
        "latest_job": latest_job,
        "redeploy_form": RedeployForm(
            initial={
                "source_url": app.source_url,
                "branch": app.branch,
                "environment": app.environment,
            }
        ),
    }


@login_required
def app_detail(request, app_id):
    app = access.app_for(request.user, app_id)
    return render(request, "apps/detail.html", _app_context(request, app))


@login_required
def app_status(request, app_id):
    """Render the app page's status panel alone, for refreshes when the app changes."""
    app = access.app_for(request.user, app_id)
    return render(request, "apps/_status.html", _app_context(request, app))


@login_required
@require_POST
def redeploy(request, app_id):
    app = access.app_for(request.user, app_id)
    form = RedeployForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _app_context(request, app)
        context["redeploy_form"] = form
        return render(request, "apps/detail.html", context, status=400)
    data = form.cleaned_data
    reuse_image = ""
    if app.source_kind == App.ARCHIVE and not data["archive"]:
        live = app.releases.filter(status=Release.LIVE).exclude(image_tag="").first()
        if live is None:
            form.add_error(
                "archive",
                "Upload the new version's archive: there is no live version "
                "whose image could run with the new variables.",
            )
            context = _app_context(request, app)
            context["redeploy_form"] = form
            return render(request, "apps/detail.html", context, status=400)
        reuse_image = live.image_tag
    try:
        publish.check_not_busy(app)
    except publish.AppBusy as error:
        messages.error(request, str(error))
        return redirect("app-detail", app_id=app.pk)
    archive_path = save_upload(data["archive"]) if data["archive"] else ""
    with transaction.atomic():
        if data.get("source_url"):
            app.source_url = data["source_url"]
        app.branch = data["branch"] or app.branch
        app.environment = data["environment"]
        app.save(update_fields=["source_url", "branch", "environment"])
        publish.start_release(
            app, request.user, archive_path=archive_path, reuse_image=reuse_image
        )
    messages.info(request, f"Publishing a new version of {app.name}.")
    return redirect("app-detail", app_id=app.pk)


@login_required
@require_POST
def app_action(request, app_id, action):
    app = access.app_for(request.user, app_id)
    if action not in apps.ACTIONS:
        return render(
            request, "errors/400.html", {"message": "Unknown action."}, status=400
        )
    try:
        apps.act(app, action)
    except DockerError as error:
        logger.info("Action %s on app %s failed: %s", action, app.pk, error)
        messages.error(request, f"Could not {action} {app.name}: {error}")
    else:
        messages.success(request, f"{app.name}: {action} done.")
    return redirect("app-detail", app_id=app.pk)


@login_required
@require_POST
def rollback(request, app_id, release_id):
    app = access.app_for(request.user, app_id)
    release = get_object_or_404(Release, pk=release_id, app=app)
    try:
        apps.start_rollback(app, release, request.user)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"Rolling {app.name} back to v{release.version}.")
    return redirect("app-detail", app_id=app.pk)


@login_required
@require_POST
def remove(request, app_id):
    app = access.app_for(request.user, app_id)
    if request.POST.get("confirm_name") != app.name:
        messages.error(request, f"Type {app.name} to confirm the removal.")
        return redirect("app-detail", app_id=app.pk)
    job = apps.start_removal(app, request.user)
    return redirect("job-detail", job_id=job.pk)
