"""A delivery's payload, fetched when an admin opens it in the deliveries table (bodies can be
large, so the table never loads them all). Secrets and signatures are hidden
(``integrations.payloads``)."""

from django.shortcuts import get_object_or_404, render

from integrations.models import WebhookDelivery
from integrations.payloads import shown_payload
from workspaces.access import ADMINS, workspace_view


@workspace_view(roles=ADMINS)
def delivery_payload(request, delivery_id):
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, workspace=request.workspace)
    body, headers = shown_payload(delivery)
    # Opened from the table (htmx) it is a fragment; followed as a link, a page of its own.
    partial = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "integrations/_delivery_payload.html" if partial else "integrations/delivery_payload.html",
        {"delivery": delivery, "body": body, "headers": headers, "workspace": request.workspace},
    )
