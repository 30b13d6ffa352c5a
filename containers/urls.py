from django.urls import path

from .views import (
    apps,
    image_build,
    image_remove,
    image_transfer,
    images,
    jobs,
    logs,
    registries,
)

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
    path("images/", images.image_list, name="image-list"),
    path("images/pull/", images.image_pull, name="image-pull"),
    path("images/search/", images.image_search, name="image-search"),
    path("images/build/", image_build.image_build, name="image-build"),
    path("images/import/", image_transfer.image_import, name="image-import"),
    path("images/load/", image_transfer.image_load, name="image-load"),
    path(
        "images/remove-unused/",
        image_remove.image_remove_unused,
        name="image-remove-unused",
    ),
    path("images/remove-all/", image_remove.image_remove_all, name="image-remove-all"),
    path("images/<int:image_id>/", images.image_detail, name="image-detail"),
    path("images/<int:image_id>/tag/", images.image_tag, name="image-tag"),
    path("images/<int:image_id>/push/", images.image_push, name="image-push"),
    path(
        "images/<int:image_id>/remove/", image_remove.image_remove, name="image-remove"
    ),
    path("images/<int:image_id>/save/", image_transfer.image_save, name="image-save"),
    path(
        "containers/<int:container_id>/export/",
        image_transfer.container_export,
        name="container-export",
    ),
    path("registries/", registries.registry_list, name="registry-list"),
    path("registries/add/", registries.registry_add, name="registry-add"),
    path(
        "registries/<int:registry_id>/edit/",
        registries.registry_edit,
        name="registry-edit",
    ),
    path(
        "registries/<int:registry_id>/delete/",
        registries.registry_delete,
        name="registry-delete",
    ),
    path(
        "registries/<int:registry_id>/test/",
        registries.registry_test,
        name="registry-test",
    ),
]
