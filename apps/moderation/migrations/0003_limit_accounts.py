"""Limiting accounts: its two log actions, and its permission for the Moderators group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GROUP = "Moderators"
PERMISSIONS = [("accounts", "limit_user")]


def add_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *[
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in PERMISSIONS
        ]
    )


def remove_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="accounts", codename__in=[c for _, c in PERMISSIONS]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_moderators_group"),
        ("accounts", "0004_limited_accounts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="moderationlog",
            name="action",
            field=models.CharField(
                choices=[
                    ("remove_posts", "Remove posts"),
                    ("suspend_users", "Suspend users"),
                    ("lift_suspension", "Lift suspension"),
                    ("limit_users", "Limit accounts"),
                    ("lift_limit", "Lift limit"),
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(add_permissions, remove_permissions),
    ]
