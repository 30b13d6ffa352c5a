import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from containers.models import Profile, Team


class Command(BaseCommand):
    help = (
        "Create a demo operator and a demo developer in team 'demo' with new "
        "random passwords, and print them."
    )

    def handle(self, *args, **options):
        team, _ = Team.objects.get_or_create(name="demo")
        for username, role in (
            ("operator", Profile.OPERATOR),
            ("developer", Profile.DEVELOPER),
        ):
            password = secrets.token_urlsafe(9)
            user, _ = get_user_model().objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = role == Profile.OPERATOR
            user.is_superuser = role == Profile.OPERATOR
            user.save()
            Profile.objects.update_or_create(user=user, defaults={"role": role})
            team.members.add(user)
            self.stdout.write(f"{role:9} user: {username:10} password: {password}")
