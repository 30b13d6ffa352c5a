from django.urls import path

from .views import (
    apps,
    compose_actions,
    compose_edit,
    container_actions,
    container_bulk,
    container_create,
    image_build,
    image_remove,
    image_transfer,
    images,
    jobs,
    logs,
    networks,
    registries,
    system,
    volumes,
)
from .views import compose as compose_pages
from .views import containers as container_pages

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
    path("volumes/", volumes.volume_list, name="volume-list"),
    path("volumes/create/", volumes.volume_create, name="volume-create"),
    path("volumes/prune/", volumes.volume_prune_preview, name="volume-prune-preview"),
    path("volumes/prune/confirm/", volumes.volume_prune, name="volume-prune"),
    path("volumes/<int:volume_id>/", volumes.volume_detail, name="volume-detail"),
    path(
        "volumes/<int:volume_id>/remove/", volumes.volume_remove, name="volume-remove"
    ),
    path("networks/", networks.network_list, name="network-list"),
    path("networks/create/", networks.network_create, name="network-create"),
    path(
        "networks/prune/",
        networks.network_prune_preview,
        name="network-prune-preview",
    ),
    path("networks/prune/confirm/", networks.network_prune, name="network-prune"),
    path("networks/<int:network_id>/", networks.network_detail, name="network-detail"),
    path(
        "networks/<int:network_id>/remove/",
        networks.network_remove,
        name="network-remove",
    ),
    path(
        "networks/<int:network_id>/connect/",
        networks.network_connect,
        name="network-connect",
    ),
    path(
        "networks/<int:network_id>/disconnect/",
        networks.network_disconnect,
        name="network-disconnect",
    ),
    path("system/", system.system_info, name="system-info"),
    path("system/prune/", system.system_prune_preview, name="system-prune-preview"),
    path("system/prune/start/", system.system_prune, name="system-prune"),
    path("containers/", container_pages.container_list_page, name="container-list"),
    path("containers/new/", container_create.create_page, name="container-create"),
    path(
        "containers/stop-running/",
        container_bulk.stop_running,
        name="container-stop-running",
    ),
    path(
        "containers/remove-stopped/",
        container_bulk.remove_stopped,
        name="container-remove-stopped",
    ),
    path(
        "containers/<int:container_id>/",
        container_pages.container_detail,
        name="container-detail",
    ),
    path(
        "containers/<int:container_id>/state/",
        container_pages.container_state,
        name="container-state",
    ),
    path(
        "containers/<int:container_id>/stats/",
        container_pages.container_stats,
        name="container-stats",
    ),
    path(
        "containers/<int:container_id>/start/",
        container_actions.container_start,
        name="container-start",
    ),
    path(
        "containers/<int:container_id>/stop/",
        container_actions.container_stop,
        name="container-stop",
    ),
    path(
        "containers/<int:container_id>/restart/",
        container_actions.container_restart,
        name="container-restart",
    ),
    path(
        "containers/<int:container_id>/kill/",
        container_actions.container_kill,
        name="container-kill",
    ),
    path(
        "containers/<int:container_id>/pause/",
        container_actions.container_pause,
        name="container-pause",
    ),
    path(
        "containers/<int:container_id>/unpause/",
        container_actions.container_unpause,
        name="container-unpause",
    ),
    path(
        "containers/<int:container_id>/rename/",
        container_actions.container_rename,
        name="container-rename",
    ),
    path(
        "containers/<int:container_id>/remove/",
        container_actions.container_remove,
        name="container-remove",
    ),
    path("compose/", compose_pages.compose_list, name="compose-list"),
    path("compose/new/", compose_pages.compose_create, name="compose-create"),
    path("compose/policy/", compose_edit.compose_policy, name="compose-policy"),
    path(
        "compose/<int:project_id>/",
        compose_pages.compose_detail,
        name="compose-detail",
    ),
    path(
        "compose/<int:project_id>/services/",
        compose_pages.compose_services,
        name="compose-services",
    ),
    path(
        "compose/<int:project_id>/edit/", compose_edit.compose_edit, name="compose-edit"
    ),
    path(
        "compose/<int:project_id>/versions/<int:version_id>/apply/",
        compose_edit.compose_apply,
        name="compose-apply",
    ),
    path(
        "compose/<int:project_id>/delete/",
        compose_edit.compose_delete,
        name="compose-delete",
    ),
    path("compose/<int:project_id>/up/", compose_actions.compose_up, name="compose-up"),
    path(
        "compose/<int:project_id>/stop/",
        compose_actions.compose_stop,
        name="compose-stop",
    ),
    path(
        "compose/<int:project_id>/start/",
        compose_actions.compose_start,
        name="compose-start",
    ),
    path(
        "compose/<int:project_id>/restart/",
        compose_actions.compose_restart,
        name="compose-restart",
    ),
    path(
        "compose/<int:project_id>/kill/",
        compose_actions.compose_kill,
        name="compose-kill",
    ),
    path(
        "compose/<int:project_id>/down/",
        compose_actions.compose_down,
        name="compose-down",
    ),
    path(
        "compose/<int:project_id>/scale/",
        compose_actions.compose_scale,
        name="compose-scale",
    ),
    path(
        "compose/<int:project_id>/restart-service/",
        compose_actions.compose_service_restart,
        name="compose-restart-service",
    ),
]
