"""Working folders of compose projects: write the files, fetch Git sources.

Each project has a folder under `PIER_COMPOSE_DIR` (default
`PIER_BUILD_DIR/compose`), `<host id>/<project name>/`, that is written afresh
before each action. Compose records that folder in its container labels, so
`docker compose ls` on the host shows where the files are.
"""

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from .. import sources
from ..compose import ComposeProject as ComposeSpec
from ..models import ComposeFileVersion, ComposeProject

logger = logging.getLogger(__name__)

COMPOSE_FILE = "compose.yaml"
ENV_FILE = ".env"
# A socket that cannot exist, because /dev/null is not a folder. An engine
# command on a spec that was never bound to a host fails at once, instead of
# reaching the engine named in Pier's own environment.
NO_ENGINE = "unix:///dev/null/unbound-compose-project.sock"


def compose_root() -> Path:
    configured = getattr(settings, "PIER_COMPOSE_DIR", None)
    return Path(configured or Path(settings.PIER_BUILD_DIR) / "compose")


def project_folder(project: ComposeProject) -> Path:
    return compose_root() / str(project.host_id) / project.name


def write_files(
    folder: Path, version: ComposeFileVersion, archive_folder: Path | None = None
) -> Path:
    """Write the version's files into a fresh ``folder``; return the compose file.

    An uploaded archive's contents (build contexts) are copied first, so the
    version's compose file and `.env` replace the archive's own.
    """
    if folder.exists():
        shutil.rmtree(folder)
    if archive_folder is not None:
        shutil.copytree(archive_folder, folder, symlinks=True)
    folder.mkdir(parents=True, exist_ok=True)
    compose_path = folder / COMPOSE_FILE
    compose_path.write_text(version.compose_file, encoding="utf-8")
    env_path = folder / ENV_FILE
    if version.env_file:
        descriptor = os.open(env_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write(version.env_file)
    elif env_path.exists():
        env_path.unlink()
    return compose_path


def archive_folder(version: ComposeFileVersion) -> Path | None:
    """Return the unpacked upload that holds the version's build contexts."""
    if not version.archive_path:
        return None
    path = Path(version.archive_path)
    return path if path.is_dir() else None


def fetch_git(
    project: ComposeProject, folder: Path, log: Callable[[str], None]
) -> tuple[Path, str]:
    """Clone the project's repository into ``folder``; return (folder, file name).

    The returned folder is the one that contains the compose file named by
    `git_path`, and compose resolves build contexts relative to it.
    """
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    sources.clone_git(
        project.git_url,
        project.git_branch or "main",
        folder,
        allowed_local_roots=settings.PIER_LOCAL_SOURCE_ROOTS,
        log=log,
    )
    relative = Path(project.git_path or COMPOSE_FILE)
    compose_path = (folder / relative).resolve()
    if not compose_path.is_relative_to(folder.resolve()):
        raise sources.SourceError(f"The path {relative} leaves the repository.")
    if not compose_path.is_file():
        raise sources.SourceError(f"The repository has no file {relative}.")
    return compose_path.parent, compose_path.name


def spec_for(
    project: ComposeProject, folder: Path, files: list[str] | None = None
) -> ComposeSpec:
    """Describe the project for the compose binary: name, folder and files.

    `config` needs no engine. Commands that do need one run on a spec that
    `compose_engine.EngineAccess.bind` returns, and until then the spec points
    at NO_ENGINE.
    """
    host = project.host
    env_file = folder / ENV_FILE
    spec = ComposeSpec(
        name=project.name,
        folder=folder,
        files=files or [COMPOSE_FILE],
        env_file=str(env_file) if env_file.exists() else None,
        command=host.compose_command.split() if host.compose_command else None,
        docker_host=NO_ENGINE,
    )
    return spec
