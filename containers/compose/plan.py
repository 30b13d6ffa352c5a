"""Preview which services `compose up` will add, remove, recreate or leave alone.

Compose labels each container with `com.docker.compose.config-hash`, the hash of
its service's normalized configuration, and recreates a container when that
label differs from `config --hash` of the new files. The preview compares the
same two values, so it agrees with compose without re-implementing its hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

CONFIG_HASH_LABEL = "com.docker.compose.config-hash"
# `ps --format json` joins labels as "k=v,k=v", and values such as the list of
# config files can contain commas, so the hash is matched by its hex form.
_HASH_IN_LABELS = re.compile(
    rf"(?:^|,){re.escape(CONFIG_HASH_LABEL)}=(?P<hash>[0-9a-f]+)(?:,|$)"
)


def hash_labels_by_service(
    containers: Iterable[Mapping[str, Any]],
) -> dict[str, list[str]]:
    """Group the config-hash labels of containers by compose service.

    ``containers`` are `ps --format json` entries (labels as one string) or
    dicts with a `Labels` mapping, as the Docker API returns them. A container
    without the label gets "" so that it still counts as running.
    """
    grouped: dict[str, list[str]] = {}
    for container in containers:
        service = container.get("Service") or ""
        labels = container.get("Labels") or {}
        if isinstance(labels, Mapping):
            service = service or labels.get("com.docker.compose.service", "")
            config_hash = labels.get(CONFIG_HASH_LABEL, "")
        else:
            match = _HASH_IN_LABELS.search(str(labels))
            config_hash = match["hash"] if match else ""
        if service:
            grouped.setdefault(service, []).append(config_hash)
    return grouped


def plan_changes(
    current_model: Mapping[str, Any] | None,
    new_model: Mapping[str, Any],
    running_hashes: Mapping[str, Iterable[str]],
    new_hashes: Mapping[str, str],
) -> dict[str, Any]:
    """Return the services that `up` adds, removes, recreates and leaves unchanged.

    ``current_model`` is the model that was applied last (None if unknown).
    ``running_hashes`` maps each service to the config-hash labels of its
    containers, stopped ones included. ``new_hashes`` is `config --hash '*'` of
    the new files. "removed" services lose their containers only with
    `--remove-orphans` or `down`. "changed_keys" lists, for each recreated
    service, the top-level keys that differ from ``current_model``.

    NOTE: compose also recreates a container when its image changed after a
    pull or build. The preview does not see such changes.
    """
    new_services = set((new_model or {}).get("services") or {})
    old_services = set((current_model or {}).get("services") or {})
    deployed = {service for service, hashes in running_hashes.items() if list(hashes)}

    added = new_services - deployed
    removed = (deployed | old_services) - new_services
    recreated = set()
    for service in new_services & deployed:
        wanted = new_hashes.get(service)
        if wanted is None or any(h != wanted for h in running_hashes[service]):
            recreated.add(service)
    unchanged = (new_services & deployed) - recreated
    return {
        "added": sorted(added),
        "removed": sorted(removed),
        "recreated": sorted(recreated),
        "unchanged": sorted(unchanged),
        "changed_keys": {
            service: _changed_keys(current_model, new_model, service)
            for service in sorted(recreated)
        },
    }


def _changed_keys(
    current_model: Mapping[str, Any] | None, new_model: Mapping[str, Any], service: str
) -> list[str]:
    old = ((current_model or {}).get("services") or {}).get(service) or {}
    new = (new_model.get("services") or {}).get(service) or {}
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
