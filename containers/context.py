from django.urls import NoReverseMatch, reverse

from .services.access import is_operator

# Operator pages in the main navigation: (label, URL name). Pages whose URL
# name is not registered are left out.
OPERATOR_LINKS = [
    ("Containers", "container-list"),
    ("Images", "image-list"),
    ("Volumes", "volume-list"),
    ("Networks", "network-list"),
    ("Compose", "compose-list"),
    ("Hosts", "host-list"),
    ("Registries", "registry-list"),
    ("System", "system-info"),
    ("Accounts", "admin:index"),
]


def navigation(request):
    """Tell templates whether the user is an operator and which pages to link."""
    operator = is_operator(request.user)
    links = []
    if operator:
        for label, name in OPERATOR_LINKS:
            try:
                links.append({"label": label, "url": reverse(name)})
            except NoReverseMatch:
                continue
    return {"is_operator": operator, "operator_links": links}
