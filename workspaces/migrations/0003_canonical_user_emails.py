"""Every user's e-mail in its canonical form, and one user per address.

Addresses are rewritten with workspaces.validators.normalize_email (NFKC, lower case, IDNA ASCII
domain). When two users turn out to share an address (`owner@bıgcorp.io`'s look-alike account
and the real one), the older keeps it; the newer is deactivated and its address cleared, so it
can't log in, and is listed by the migration for an admin to look at.
"""

from django.core.exceptions import ValidationError
from django.db import migrations


def canonicalize(apps, schema_editor):
    from workspaces.validators import normalize_email

    User = apps.get_model("auth", "User")
    users = list(User.objects.order_by("id"))
    owner_of: dict[str, int] = {}
    for user in users:  # free every username first: the final ones may swap between rows
        User.objects.filter(pk=user.pk).update(username=f"migrating-{user.pk}")
    for user in users:
        try:
            address = normalize_email(user.email) if user.email else ""
        except ValidationError:
            address = user.email.strip().lower()
        if address and address in owner_of:
            print(f"\n  user {user.pk} shares {address} with user {owner_of[address]}: deactivated")
            User.objects.filter(pk=user.pk).update(
                email="", is_active=False, username=f"duplicate-{user.pk}"
            )
            continue
        if address:
            owner_of[address] = user.pk
        username = user.username if user.username != user.email else address[:150]
        if not username or User.objects.filter(username=username).exists():
            username = f"user-{user.pk}"
        User.objects.filter(pk=user.pk).update(email=address, username=username)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("workspaces", "0002_outbox_stamps_email_identity"),
    ]

    operations = [
        migrations.RunPython(canonicalize, migrations.RunPython.noop),
        migrations.RunSQL(
            "CREATE UNIQUE INDEX workspaces_user_email_unique ON auth_user (email) "
            "WHERE email <> ''",
            "DROP INDEX workspaces_user_email_unique",
        ),
    ]
