from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from ..models import Job
from ..services import access


@login_required
def job_detail(request, job_id):
    job = Job.objects.filter(pk=job_id).select_related("app", "host").first()
    if job is None or not access.can_see_job(request.user, job):
        raise Http404("Job not found")
    return render(request, "jobs/detail.html", {"job": job})


@login_required
def job_list(request):
    jobs = Job.objects.select_related("app", "host", "user")
    if not access.is_operator(request.user):
        jobs = jobs.filter(team__in=access.team_ids(request.user)) | jobs.filter(
            user=request.user
        )
    return render(request, "jobs/list.html", {"jobs": jobs.order_by("-created")[:200]})
