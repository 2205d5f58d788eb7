"""Twenty concurrent writers against a file SQLite database, the embedded default's: run as its
own process (the suite itself runs on PostgreSQL) by test_sqlite_writers.py.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python tests/embedded/sqlite_writers.py

Each writer goes through the real request path (Django's test client, so views, middleware and
transactions are the app's own), each thread on its own SQLite connection, all released at once:

- GHL webhook deliveries of new appointments, each delivered twice at the same moment (a
  provider's retry racing its first try);
- GHL webhook deliveries of lead replies, which store the reply and run auto-booking on it (the
  ``auto_book`` task, in-process here);
- form posts of the lead page (a manual task), each submitted twice at the same moment (a
  double click).

Prints one JSON line: every status code, every error raised, and what the database holds."""

from __future__ import annotations

import base64
import copy
import json
import os
import sys
import threading
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ghl"
APPOINTMENTS, REPLIES, FORMS = 4, 6, 3  # 4 x 2 + 6 + 3 x 2 = 20 writers
LOCATION = "ve9EPM428h8vShlRW1KT"


def _key_pair():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.generate()
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return key, base64.b64encode(der).decode()


def _setup():
    from django.contrib.auth import get_user_model

    from booking.matching import remember_identity
    from integrations import connections
    from workspaces.models import Lead, Membership, Workspace

    workspace = Workspace.objects.create(name="Writers", external_id="writers")
    connections.connect(
        workspace=workspace,
        provider="ghl",
        secrets={"access_token": "writers-token"},
        config={
            "location_id": LOCATION,
            "calendar_id": "sV3BiXrjzbfo1tSUdyHO",
            "timezone": "America/New_York",
        },
        display_name="Writers",
        token_hint="writers-token",
    )
    user = get_user_model().objects.create_user(username="setter@w.local", email="setter@w.local")
    Membership.objects.create(user=user, workspace=workspace, role="setter")
    leads = []
    for index in range(APPOINTMENTS + REPLIES + FORMS):
        lead = Lead.objects.create(
            workspace=workspace, first_name=f"Lead{index}", email=f"lead{index}@example.com"
        )
        remember_identity(lead=lead, provider="ghl", external_id=f"contact-{index}")
        leads.append(lead)
    return workspace, user, leads


def _webhook(name: str, **changes) -> dict:
    body = json.loads((FIXTURES / name).read_text())
    body = copy.deepcopy(body)
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split(".")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return body


def _writers(workspace, user, leads, key):
    from django.test import Client
    from django.urls import reverse

    hook = reverse("ghl_webhook", kwargs={"workspace_id": workspace.public_id})

    def deliver(body: dict):
        raw = json.dumps(body).encode()
        signature = base64.b64encode(key.sign(raw)).decode()
        return lambda: Client().post(
            hook, raw, content_type="application/json", headers={"X-GHL-Signature": signature}
        )

    def add_task(lead):
        url = reverse("lead_add_task", args=[workspace.public_id, lead.pk])
        data = {"title": f"Call {lead.first_name} back", "nonce": str(uuid.uuid4())}

        def post():
            client = Client()
            client.force_login(user)
            return client.post(url, data)

        return post

    writers = []
    for index in range(APPOINTMENTS):
        body = _webhook(
            "appointment_webhook.json",
            webhookId=str(uuid.uuid4()),
            **{
                "appointment.id": f"appointment-{index}",
                "appointment.contactId": f"contact-{index}",
            },
        )
        writers += [deliver(body), deliver(body)]  # a retry racing the first try
    for index in range(APPOINTMENTS, APPOINTMENTS + REPLIES):
        writers.append(
            deliver(
                _webhook(
                    "inbound_message_webhook.json",
                    webhookId=str(uuid.uuid4()),
                    messageId=f"message-{index}",
                    contactId=f"contact-{index}",
                    body="Option 2 works for me",
                )
            )
        )
    for lead in leads[APPOINTMENTS + REPLIES :]:
        post = add_task(lead)
        writers += [post, post]  # the same form (same nonce) submitted twice
    return writers


def _run_at_once(writers) -> tuple[list[int], list[str]]:
    from django.db import connection

    barrier = threading.Barrier(len(writers), timeout=60)
    statuses: list[int] = [0] * len(writers)
    errors: list[str] = []

    def run(index, writer):
        try:
            barrier.wait()
            statuses[index] = writer().status_code
        except Exception as exc:  # reported, with the others
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return statuses, errors


def _held(workspace) -> dict:
    from booking.models import Appointment, InboundMessage
    from followups.models import Task
    from integrations.models import WebhookDelivery

    return {
        "appointments": sorted(
            Appointment.objects.filter(workspace=workspace).values_list("external_id", flat=True)
        ),
        "deliveries": sorted(WebhookDelivery.objects.values_list("state", flat=True)),
        "replies": InboundMessage.objects.filter(workspace=workspace).count(),
        "replies_read": InboundMessage.objects.filter(workspace=workspace)
        .exclude(autobook_outcome="")
        .count(),
        "manual_tasks": Task.objects.filter(workspace=workspace, kind="manual").count(),
    }


def main() -> None:
    key, public = _key_pair()
    os.environ["GHL_WEBHOOK_PUBLIC_KEY"] = public
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    workspace, user, leads = _setup()
    statuses, errors = _run_at_once(_writers(workspace, user, leads, key))
    print(json.dumps({"statuses": statuses, "errors": errors, **_held(workspace)}))


if __name__ == "__main__":
    main()
