"""Pytest fixtures that serve real Git repositories over HTTP(S).

Use from a test module with::

    pytest_plugins = ["tests.fixtures_git"]

or from ``tests/conftest.py`` with the same line (then every test sees them).

* ``git_server`` (session): a started :class:`tests.gitserver.GitServer` over
  plain HTTP on 127.0.0.1, serving repositories from a session tmp folder.
* ``git_https_server`` (session): the same over HTTPS with a throwaway CA; pass
  ``git_https_server.client_env()`` (``GIT_SSL_CAINFO``) to git clients.
* ``publish_repo`` (session): ``publish_repo("php-hello")`` publishes
  ``examples/php-hello`` on ``git_server`` (once per session) and returns its
  clone URL, e.g. ``http://127.0.0.1:PORT/php-hello.git``. Extra keyword
  ``files={"Dockerfile": "..."}`` publishes a dict instead of an example, and
  ``branch="dev"`` picks the branch name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from tests.gitserver import GitServer


@pytest.fixture(scope="session")
def git_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    root = tmp_path_factory.mktemp("git-repos")
    with GitServer(root) as server:
        yield server


@pytest.fixture(scope="session")
def git_https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    root = tmp_path_factory.mktemp("git-repos-https")
    certs = tmp_path_factory.mktemp("git-tls")
    with GitServer(root, tls=True, cert_dir=certs) as server:
        yield server


PublishRepo = Callable[..., str]


@pytest.fixture(scope="session")
def publish_repo(git_server: GitServer) -> PublishRepo:
    def publish(
        example_name: str,
        *,
        branch: str = "main",
        files: Mapping[str, str | bytes] | None = None,
    ) -> str:
        if files is not None:
            return git_server.publish_files(example_name, files, branch=branch)
        return git_server.publish_example(example_name, branch=branch)

    return publish
