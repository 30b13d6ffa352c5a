"""Ties open terminals to the login session that opened them.

A terminal is a shell in a container, so it must stop working the moment its
user logs out. Each terminal socket joins a channel group named after its login
session, and logging out sends that group a message that closes the sockets.
Sessions that end another way (expiry, a password change, a deleted session
row) are caught by `session_is_current`, which the consumer calls periodically
and before input.

The logout receiver is connected when this module is imported, which the ASGI
application does through `containers.routing`. In a web process that serves
pages without it, a logout closes terminals at their next periodic check. The
receiver also records the ended session in this process, so a keystroke that
races the group message into a terminal of the same process is still dropped.
"""

import hashlib
import threading
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from . import live

LOGOUT_MESSAGE = {"type": "terminal.logout"}
# Groups of sessions logged out through this process, oldest first.
MAX_ENDED_GROUPS = 10000
_ended_groups: dict[str, None] = {}
_ended_lock = threading.Lock()


def session_group(session_key: str) -> str:
    """Return the channel group of a login session.

    The group name carries a hash, so the session key never appears in Redis.
    """
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]
    return f"login-{digest}"


def session_is_current(session_key: str, user_id: int) -> bool:
    """Tell whether the session still logs in the user, read fresh from the store.

    Runs Django's own check, so an expired session, a deleted one, a changed
    password and a deactivated user all count as logged out.
    """
    engine = import_module(settings.SESSION_ENGINE)
    request = SimpleNamespace(session=engine.SessionStore(session_key))
    user = auth.get_user(request)  # type: ignore[arg-type]
    return user.is_authenticated and user.pk == user_id


def has_ended(group: str) -> bool:
    """Tell whether the session of the group logged out through this process."""
    return group in _ended_groups


def _mark_ended(group: str) -> None:
    with _ended_lock:
        _ended_groups[group] = None
        while len(_ended_groups) > MAX_ENDED_GROUPS:
            del _ended_groups[next(iter(_ended_groups))]


@receiver(user_logged_out, dispatch_uid="pier-terminal-logout")
def close_terminals_on_logout(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        group = session_group(session_key)
        _mark_ended(group)
        live.send_now(group, LOGOUT_MESSAGE)
