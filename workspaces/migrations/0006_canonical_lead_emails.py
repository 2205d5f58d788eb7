"""Every lead's e-mail in the canonical form users got in 0003 (workspaces.validators
.normalize_email: NFKC, lower case, IDNA ASCII domain), so matching a provider event, which
compares canonical forms exactly, finds the leads stored before.

An address that is not a valid one is kept trimmed and lower-cased. When several leads of a
workspace turn out to share an address (``owner@ｂigcorp.io`` beside ``Owner@BigCorp.io``), one
gets the canonical form (the one whose address already is it but for case, else the oldest) and
the others keep what they had, so nothing about a person is lost; the migration lists them for
someone to merge by hand.
"""

from collections import defaultdict

from django.db import migrations


def canonicalize(apps, schema_editor):
    Lead = apps.get_model("workspaces", "Lead")
    rows = Lead.objects.exclude(email="").order_by("created_at", "id")
    groups = defaultdict(list)
    for lead_id, workspace_id, email in rows.values_list("id", "workspace_id", "email"):
        groups[workspace_id, _canonical(email)].append((lead_id, email))
    for (_, address), leads in groups.items():
        # The unique index is on lower(email): a row already equal to it but for case holds
        # the slot, so it is the one to keep it.
        keeper = next((row for row in leads if row[1].lower() == address), leads[0])
        if keeper[1] != address:
            Lead.objects.filter(pk=keeper[0]).update(email=address)
        for lead_id, email in leads:
            if lead_id != keeper[0]:
                print(f"\n  lead {lead_id} ({email!r}) shares {address} with lead {keeper[0]}")


def _canonical(email: str) -> str:
    from workspaces.validators import canonical_or_trimmed

    return canonical_or_trimmed(email)


class Migration(migrations.Migration):
    dependencies = [("workspaces", "0005_messaging_channel")]

    operations = [migrations.RunPython(canonicalize, migrations.RunPython.noop)]
