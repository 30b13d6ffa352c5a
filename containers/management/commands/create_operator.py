import getpass
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from containers.models import Profile


class Command(BaseCommand):
    help = "Create an operator account (or make an existing user an operator)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="Password to set; without it one is asked for, or generated with "
            "--generate-password.",
        )
        parser.add_argument("--generate-password", action="store_true")

    def handle(self, *args, username, email, password, generate_password, **options):
        if generate_password:
            password = secrets.token_urlsafe(12)
        elif not password:
            password = getpass.getpass(f"Password for {username}: ")
        if not password:
            raise CommandError("A password is required.")
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": email}
        )
        user.set_password(password)
        # Operators manage accounts and teams in the admin site.
        user.is_staff = True
        user.is_superuser = True
        user.save()
        Profile.objects.update_or_create(user=user, defaults={"role": Profile.OPERATOR})
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} operator {username}")
        if generate_password:
            self.stdout.write(f"Password: {password}")
