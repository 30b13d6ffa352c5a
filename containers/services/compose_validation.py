"""Check a compose project before anything runs: compose's model, policy, ports.

`load` writes a version's files (or clones the Git source) into a folder, runs
`config` and returns the normalized model. When the files cannot run, it raises
InvalidProject with every problem found. Problems are compose's own error with
its file, line and key, each policy violation with its service and rule, files
and build contexts outside the project, and host ports that other containers
publish.
"""

import logging
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import compose, sources
from ..compose import ComposeError, ComposePolicy
from ..compose import ComposeProject as ComposeSpec
from ..compose.file_refs import outside_references, project_variables
from ..models import ComposeFileVersion, ComposeProject, Container
from . import compose_files
from .compose_policies import policy_for

logger = logging.getLogger(__name__)

LABELS_FILE = "pier-labels.yaml"
# Labels that Pier adds to every service, through LABELS_FILE.
TEAM_LABEL = "pier.team"
PROJECT_LABEL = "pier.compose-project"


@dataclass
class Problem:
    """One reason a project cannot run, and where in the files it is."""

    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.message} ({self.where})" if self.where else self.message


class InvalidProject(Exception):
    """The project's files cannot run; ``problems`` lists the reasons."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


@dataclass
class LoadedProject:
    """A project's files written to ``spec.folder``, with compose's model of them."""

    spec: ComposeSpec
    model: dict[str, Any]


def staging_folder() -> Path:
    """Return a fresh folder for files that are checked but not applied yet."""
    return compose_files.compose_root() / ".staging" / uuid.uuid4().hex


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def load(
    project: ComposeProject,
    version: ComposeFileVersion | None,
    folder: Path,
    *,
    log: Callable[[str], None] = lambda line: None,
    check: bool = True,
) -> LoadedProject:
    """Write the files into ``folder`` and return the checked model.

    The version's author's policy applies (operator or developer). With
    ``check`` off, only compose's own validation runs. Raises InvalidProject.
    """
    spec = _write(project, version, folder, log)
    policy = None
    if check:
        author = version.author if version is not None else project.created_by
        policy = policy_for(author, project.host)
        if not policy.allow_bind_mounts:
            if problems := list(_file_problems(spec)):
                raise InvalidProject(problems)
    try:
        model = compose.config(spec)
    except ComposeError as error:
        logger.info("compose project %s is invalid: %s", project.pk, error)
        raise InvalidProject([_problem_from_error(error, spec.folder)]) from error
    if policy is not None:
        problems = list(_policy_problems(model, policy))
        if not policy.allow_bind_mounts:
            problems += _context_problems(model, spec.folder)
        problems += _port_problems(project, model)
        if problems:
            raise InvalidProject(problems)
    _write_labels(project, model, spec)
    return LoadedProject(spec, model)


def _write(
    project: ComposeProject,
    version: ComposeFileVersion | None,
    folder: Path,
    log: Callable[[str], None],
) -> ComposeSpec:
    if project.source_kind == ComposeProject.GIT:
        try:
            work, name = compose_files.fetch_git(project, folder, log)
        except sources.SourceError as error:
            logger.info("fetching compose project %s failed: %s", project.pk, error)
            raise InvalidProject([Problem(str(error))]) from error
        return compose_files.spec_for(project, work, [name])
    if version is None:
        raise InvalidProject([Problem("The project has no compose file yet.")])
    archive = compose_files.archive_folder(version)
    compose_files.write_files(folder, version, archive)
    return compose_files.spec_for(project, folder)


def _problem_from_error(error: ComposeError, folder: Path) -> Problem:
    where = []
    if error.file:
        path = Path(error.file)
        where.append(
            str(path.relative_to(folder)) if path.is_relative_to(folder) else path.name
        )
    if error.line:
        where.append(f"line {error.line}")
    if error.key:
        where.append(f"key {error.key}")
    detail = str(error.detail).replace(str(folder) + "/", "")
    return Problem(detail, ", ".join(where))


def _policy_problems(model: dict, policy: ComposePolicy) -> Iterator[Problem]:
    for violation in compose.check(model, policy):
        yield Problem(
            f"{violation.detail} (rule: {violation.rule})",
            f"service {violation.service}",
        )


def _file_problems(spec: ComposeSpec) -> Iterator[Problem]:
    """Yield files that compose would read from outside the project's folder."""
    env_file = Path(spec.env_file) if spec.env_file else None
    variables = project_variables(env_file, spec.process_env())
    folder = Path(spec.folder)
    for found in outside_references(folder, spec.file_paths(), variables):
        yield Problem(f"{found.message()} (rule: project_files)", found.file)


def _context_problems(model: dict, folder: Path) -> Iterator[Problem]:
    """Yield build contexts, Dockerfiles and extra contexts outside the folder.

    A build reads them from the host, so without this check a developer's file
    could copy any host folder into an image.
    """
    root = folder.resolve()
    for name, service in sorted((model.get("services") or {}).items()):
        build = (service or {}).get("build") or {}
        context = str(build.get("context") or "")
        if not _is_local(context):
            continue
        paths = [("build context", context)]
        dockerfile = str(build.get("dockerfile") or "")
        if dockerfile:
            paths.append(("Dockerfile", str(Path(context) / dockerfile)))
        extra = build.get("additional_contexts") or {}
        for key, value in sorted(extra.items()):
            value = str(value).removeprefix("oci-layout://")
            if _is_local(value) and ":" not in value.split("/")[0]:
                paths.append((f"build context {key}", value))
        for what, path in paths:
            if not Path(path).resolve().is_relative_to(root):
                yield Problem(
                    f"{what} {path} is outside the project's folder "
                    "(rule: build_context)",
                    f"service {name}",
                )


def _is_local(context: str) -> bool:
    return bool(context) and "://" not in context and not context.startswith("git@")


def _port_problems(project: ComposeProject, model: dict) -> Iterator[Problem]:
    """Yield host ports that running containers of other projects publish."""
    used: dict[int, Container] = {}
    others = (
        Container.objects.filter(host=project.host, state="running")
        .exclude(compose_project=project.name)
        .only("name", "ports", "compose_project")
    )
    for container in others:
        for port in container.ports:
            if port.get("public"):
                used[int(port["public"])] = container
    for name, service in sorted((model.get("services") or {}).items()):
        for port in (service or {}).get("ports") or []:
            published = str(port.get("published") or "")
            if not published.isdigit() or int(published) not in used:
                continue
            owner = used[int(published)]
            what = f"container {owner.name}"
            if owner.compose_project:
                what += f" of compose project {owner.compose_project}"
            yield Problem(
                f"host port {published} is already published by {what} "
                f"on host {project.host.name}; choose another port",
                f"service {name}",
            )


def _write_labels(project: ComposeProject, model: dict, spec: ComposeSpec) -> None:
    """Add the team and project labels to every service through a second file."""
    labels = {TEAM_LABEL: str(project.team_id), PROJECT_LABEL: str(project.pk)}
    services = {name: {"labels": labels} for name in model.get("services") or {}}
    path = Path(spec.folder) / LABELS_FILE
    path.write_text(yaml.safe_dump({"services": services}), encoding="utf-8")
    spec.files = [*spec.files, LABELS_FILE]
