"""The build page: an uploaded context, build arguments, a target stage, a tag."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..forms_images import BuildForm
from ..services import access
from ..services.images_build import start_build
from ..services.images_transfer import keep_upload
from .images import host_from_query


@login_required
@require_http_methods(["GET", "POST"])
def image_build(request: HttpRequest) -> HttpResponse:
    access.require_operator(request.user)
    if request.method == "POST":
        form = BuildForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            job = start_build(
                data["host"],
                request.user,
                keep_upload(data["context"]),
                tag=data["tag"],
                dockerfile=data["dockerfile"],
                target=data["target"],
                build_args=data["build_args"],
            )
            return redirect("job-detail", job_id=job.pk)
    else:
        form = BuildForm(initial={"host": host_from_query(request)})
    status = 400 if form.errors else 200
    return render(request, "images/build.html", {"form": form}, status=status)
