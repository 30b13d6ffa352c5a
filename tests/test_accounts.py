"""Accounts: the operator command, the demo accounts and the admin site."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from containers.models import Profile, Team
from containers.services.access import is_operator

pytestmark = pytest.mark.django_db


def test_create_operator_makes_operator(capsys):
    call_command("create_operator", "root-op", "--generate-password")

    user = get_user_model().objects.get(username="root-op")
    output = capsys.readouterr().out
    assert is_operator(user)
    assert user.profile.role == Profile.OPERATOR
    assert "Password: " in output
    password = output.split("Password: ")[1].strip()
    assert user.check_password(password)


def test_seed_demo_prints_working_passwords(capsys):
    call_command("seed_demo")

    output = capsys.readouterr().out
    passwords = dict(
        (line.split()[2], line.split()[4]) for line in output.strip().splitlines()
    )
    developer = get_user_model().objects.get(username="developer")
    operator = get_user_model().objects.get(username="operator")
    assert developer.check_password(passwords["developer"])
    assert operator.check_password(passwords["operator"])
    assert not is_operator(developer)
    assert is_operator(operator)
    assert Team.objects.get(name="demo").members.filter(pk=developer.pk).exists()


def test_admin_open_to_operator_only(client, users):
    operator = users.make(role=Profile.OPERATOR)
    operator.is_staff = operator.is_superuser = True
    operator.save()
    developer = users.make()

    client.force_login(developer)
    assert client.get("/admin/containers/team/").status_code == 302
    client.force_login(operator)
    assert client.get("/admin/containers/team/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200
