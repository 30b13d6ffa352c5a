"""Docker Compose integration: run the compose binary and check its model.

Pier never parses the Compose Specification itself. The compose binary reads,
merges and interpolates the files (`config --format json`), and Pier works on the
normalized model that it prints. The modules here import no Django models, so
models, tasks and views can all call them.
"""

from containers.compose.cli import (
    CompletedRun,
    ComposeProject,
    compose_binary,
    config,
    config_hashes,
    preview_changes,
    ps,
    run,
)
from containers.compose.errors import ComposeCancelled, ComposeError, ComposeTimeout
from containers.compose.plan import plan_changes
from containers.compose.policy import ComposePolicy, Violation, check

__all__ = [
    "CompletedRun",
    "ComposeCancelled",
    "ComposeError",
    "ComposePolicy",
    "ComposeProject",
    "ComposeTimeout",
    "Violation",
    "check",
    "compose_binary",
    "config",
    "config_hashes",
    "plan_changes",
    "preview_changes",
    "ps",
    "run",
]
