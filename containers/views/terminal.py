"""The terminal and attach pages of a container.

The pages only render xterm.js. The streams run over the websockets in
`consumers/terminal.py`, which check the user again.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..services import access
from ..services.terminal import SHELLS, TerminalError, parse_command

CUSTOM = "custom"


def _chosen_shell(choice: str, command: str) -> tuple[str, str]:
    """Return the shell for the socket and an error message ("" when valid)."""
    if choice not in (*SHELLS, CUSTOM):
        return "", f"Unknown shell {choice!r}; choose sh, bash or a custom command."
    shell = command if choice == CUSTOM else choice
    try:
        parse_command(shell)
    except TerminalError as error:
        return "", str(error)
    return shell, ""


@login_required
@require_safe
def container_terminal(request, container_id):
    container = access.container_for(request.user, container_id)
    choice = request.GET.get("shell", "sh")
    command = request.GET.get("command", "")
    shell, error = _chosen_shell(choice, command)
    context = {
        "container": container,
        "choice": choice,
        "command": command,
        "error": error,
        "socket_path": f"/ws/containers/{container.pk}/terminal/?"
        + urlencode({"shell": shell}),
    }
    return render(
        request, "containers/terminal.html", context, status=400 if error else 200
    )


@login_required
@require_safe
def container_attach(request, container_id):
    container = access.container_for(request.user, container_id)
    context = {
        "container": container,
        "socket_path": f"/ws/containers/{container.pk}/attach/",
    }
    return render(request, "containers/attach.html", context)
