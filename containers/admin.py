"""The admin site: where operators manage accounts, roles and teams."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import App, Job, Profile, Release, Team


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    verbose_name_plural = "Pier role"


class TeamMembershipInline(admin.TabularInline):
    model = Team.members.through
    extra = 1
    verbose_name = "team membership"
    verbose_name_plural = "teams"


class PierUserAdmin(UserAdmin):
    inlines = [ProfileInline, TeamMembershipInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


class ReleaseInline(admin.TabularInline):
    model = Release
    extra = 0
    fields = ["version", "status", "image_tag", "created"]
    readonly_fields = fields
    can_delete = False


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "host", "source_kind", "host_port"]
    list_filter = ["team", "host", "source_kind"]
    search_fields = ["name"]
    exclude = ["environment"]
    inlines = [ReleaseInline]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "state", "host", "user", "created"]
    list_filter = ["state", "kind"]
    readonly_fields = [field.name for field in Job._meta.fields]


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), PierUserAdmin)
