"""One-click unsubscribe (RFC 8058): a signed token naming the lead, the URL it goes in, and the
page behind it. A GET only shows a button (mail scanners follow links); a POST, from the
button or from the mail client's own one-click, opts the lead out exactly as a STOP reply does.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from followups import services
from workspaces.models import Lead

SALT = "integrations.email.unsubscribe"


def token_for(lead: Lead) -> str:
    return signing.dumps({"lead": lead.pk, "ws": lead.workspace_id}, salt=SALT, compress=True)


def url_for(lead: Lead) -> str:
    path = reverse("email_unsubscribe", kwargs={"token": token_for(lead)})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def mailto_for(from_email: str) -> str:
    return f"mailto:{from_email}?subject=unsubscribe"


def lead_of(token: str) -> Lead | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return Lead.objects.filter(pk=data.get("lead"), workspace_id=data.get("ws")).first()


@csrf_exempt  # the mail client's one-click POST carries no cookie and no CSRF token
def unsubscribe_view(request, token: str):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    lead = lead_of(token)
    if lead is None:
        return HttpResponse("This unsubscribe link is not valid.", status=404)
    if request.method == "POST":
        services.opt_out(lead=lead)
    done = lead.status == Lead.Status.OPTED_OUT
    return render(request, "integrations/unsubscribe.html", {"done": done, "lead": lead})
