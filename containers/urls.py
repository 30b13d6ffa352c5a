from django.urls import path

from .views import apps, jobs, logs

urlpatterns = [
    path("", apps.app_list, name="app-list"),
    path("publish/", apps.publish_new, name="publish"),
    path("apps/<int:app_id>/", apps.app_detail, name="app-detail"),
    path("apps/<int:app_id>/status/", apps.app_status, name="app-status"),
    path("apps/<int:app_id>/redeploy/", apps.redeploy, name="app-redeploy"),
    path("apps/<int:app_id>/remove/", apps.remove, name="app-remove"),
    path(
        "apps/<int:app_id>/releases/<int:release_id>/rollback/",
        apps.rollback,
        name="app-rollback",
    ),
    path("apps/<int:app_id>/<str:action>/", apps.app_action, name="app-action"),
    path("jobs/", jobs.job_list, name="job-list"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job-detail"),
    path(
        "containers/<int:container_id>/logs/",
        logs.container_logs,
        name="container-logs",
    ),
    path(
        "containers/<int:container_id>/logs/download/",
        logs.container_logs_download,
        name="container-logs-download",
    ),
]
