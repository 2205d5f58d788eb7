"""The Integrations tab (workspace admins only). Views translate HTTP to service calls and
back; every POST redirects (or, under htmx, answers the fragment it changed)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from followups.errors import InvalidSetting, ProviderError
from integrations import (
    booking_settings,
    delivery_links,
    inbox,
    provider_actions,
    reconcile,
    sample_delivery,
    selectors,
)
from integrations.audit_words import audit_rows
from integrations.forms import AutoBookForm, BookingProviderForm
from integrations.messaging_settings import (
    MessagingChannelForm,
    channel_choices,
    messaging_context,
)
from integrations.models import WebhookDelivery
from integrations.presenters import build_cards, delivery_rows, messaging_summary
from integrations.providers import connected_specs, find_spec
from workspaces.access import ADMINS, workspace_view
from workspaces.messaging import ChannelNotConnected, choose_messaging_channel

TAB = "integrations/tab.html"


@workspace_view(roles=ADMINS)
def integrations_tab(request):
    return render(request, TAB, _context(request))


@workspace_view(roles=ADMINS)
@require_POST
def connect(request, provider):
    spec = _spec(provider)
    if not provider_actions.can_connect(spec):
        raise Http404("This provider is not connected from a form.")
    form = spec.settings_form(request.POST)
    if form.is_valid():
        try:
            result = provider_actions.connect_provider(
                spec=spec, workspace=request.workspace, data=form.cleaned_data, actor=request.user
            )
        except ProviderError as exc:
            form.add_error(provider_actions.error_field(exc, form.fields), exc.safe_message)
        else:
            messages.success(request, f"{spec.label} is connected.")
            once = _shown_once(spec, result)
            if not once:
                return _back(request)
            # Rendered, not redirected: the new secret is on this page only, never stored.
            return render(request, TAB, _context(request, revealed={spec.name: once}))
    return render(request, TAB, _context(request, forms={spec.name: form}))


@workspace_view(roles=ADMINS)
@require_POST
def disconnect(request, provider):
    spec = _spec(provider)
    workspace = request.workspace
    done = provider_actions.disconnect_provider(spec=spec, workspace=workspace, actor=request.user)
    messages.success(request, f"{spec.label} is disconnected; its stored credentials are wiped.")
    if done.auto_book_turned_off:
        messages.warning(request, provider_actions.auto_book_off_notice(spec))
    if workspace.booking_provider == spec.name:
        messages.warning(
            request,
            f"{spec.label} was this workspace's booking provider: connect a provider and "
            "choose it, or nothing can be booked.",
        )
    return _back(request)


@workspace_view(roles=ADMINS)
@require_POST
def check(request, provider):
    spec = _spec(provider)
    report = provider_actions.check_provider(
        spec=spec, workspace=request.workspace, actor=request.user
    )
    level = messages.success if report.ok else messages.error
    level(request, f"{spec.label}: {report.summary}")
    return _back(request)


@workspace_view(roles=ADMINS)
@require_POST
def sync(request, provider):
    spec = _spec(provider)
    if not reconcile.can_sync(spec.name):
        raise Http404("This provider has nothing to sync.")
    if not spec.is_connected(request.workspace):
        messages.error(request, f"{spec.label} is not connected: connect it, then sync.")
    elif reconcile.sync_now(provider=spec.name, workspace=request.workspace):
        messages.success(request, f"{spec.label}: a sync is queued; its result shows on the card.")
    else:
        messages.info(
            request,
            f"{spec.label}: a sync is already under way or waiting after a failure; "
            "it runs again by itself.",
        )
    return _back(request)


@workspace_view(roles=ADMINS)
@require_POST
def send_test_event(request, provider):
    spec = _spec(provider)
    if not sample_delivery.can_send(spec):
        raise Http404("This provider has no test event.")
    if not spec.is_connected(request.workspace):
        messages.error(request, f"{spec.label} is not connected: connect it, then send a test.")
        return _back(request)
    sent = sample_delivery.send_test_event(spec=spec, workspace=request.workspace)
    if sent.accepted:
        messages.success(
            request,
            f"{spec.label}: a signed test event went through the webhook endpoint "
            f"({sent.answer}); it arrives in the deliveries below and ends “ignored”.",
        )
    else:
        messages.error(
            request, f"{spec.label}: the webhook endpoint refused the test event ({sent.answer})."
        )
    return _back(request, anchor="deliveries")


@workspace_view(roles=ADMINS)
@require_POST
def booking_provider(request):
    workspace = request.workspace
    form = BookingProviderForm(request.POST, specs=connected_specs(workspace))
    if form.is_valid():
        try:
            changed = booking_settings.choose_booking_provider(
                workspace=workspace,
                provider=form.cleaned_data["booking_provider"],
                actor=request.user,
            )
        except InvalidSetting as exc:
            form.add_error("booking_provider", exc.safe_message)
        else:
            if changed:
                spec = find_spec(workspace.booking_provider)
                messages.success(request, f"{spec.label} now books for this workspace.")
            return _back(request)
    return render(request, TAB, _context(request, provider_form=form))


@workspace_view(roles=ADMINS)
@require_POST
def auto_book(request):
    workspace = request.workspace
    form = AutoBookForm(request.POST)
    if form.is_valid():
        try:
            changed = booking_settings.set_auto_book(
                workspace=workspace, enabled=form.wanted, actor=request.user
            )
        except InvalidSetting as exc:
            form.add_error("enabled", exc.safe_message)
        else:
            if changed:
                state = "on" if workspace.auto_book_enabled else "off"
                messages.success(request, f"Auto-booking is {state}.")
            if not _is_htmx(request):
                return _back(request)
            form = None
    if _is_htmx(request):
        return render(
            request, "integrations/_booking_settings.html", _context(request, auto_book_form=form)
        )
    return render(request, TAB, _context(request, auto_book_form=form))


@workspace_view(roles=ADMINS)
@require_POST
def replay(request, delivery_id):
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, workspace=request.workspace)
    replayed = inbox.replay_delivery(
        delivery_id=delivery.pk, workspace=request.workspace, actor=request.user
    )
    if _is_htmx(request):
        delivery.refresh_from_db()
        found = delivery_links.links_for(
            workspace=request.workspace, bodies={delivery.pk: delivery.raw_body}
        )
        row = delivery_rows([delivery], found)[0]
        return render(
            request,
            "integrations/_delivery_row.html",
            {"row": row, "workspace": request.workspace},
        )
    if replayed:
        messages.success(request, f"Delivery #{delivery.pk} is queued to be processed again.")
    else:
        messages.info(request, f"Delivery #{delivery.pk} was already replayed.")
    return _back(request, anchor="deliveries")


@workspace_view(roles=ADMINS)
def deliveries(request):
    context = _deliveries_context(request)
    if _nothing_new(request.GET.get("since", ""), context):
        return HttpResponse(status=204)  # htmx keeps the table as it is (an open payload stays)
    return render(request, "integrations/_deliveries.html", context)


@workspace_view(roles=ADMINS)
@require_POST
def rotate_secret(request, provider):
    spec = _spec(provider)
    rotate = spec.rotate_secret
    if rotate is None:
        raise Http404("This provider has no secret to rotate.")
    try:
        once = rotate(workspace=request.workspace, actor=request.user)
    except ProviderError as exc:
        messages.error(request, exc.safe_message)
        return _back(request)
    messages.success(request, f"{spec.label}: a new secret is made; the old one no longer works.")
    return render(request, TAB, _context(request, revealed={spec.name: once}))


@workspace_view(roles=ADMINS)
@require_POST
def messaging_channel(request):
    workspace = request.workspace
    form = MessagingChannelForm(request.POST, choices=channel_choices(workspace))
    if form.is_valid():
        try:
            changed = choose_messaging_channel(
                workspace=workspace, channel=form.cleaned_data["channel"], actor=request.user
            )
        except ChannelNotConnected as exc:
            form.add_error("messaging_channel", exc.reason)
        else:
            if changed:
                messages.success(request, "The messaging channel is saved.")
            return _back(request)
    return render(request, TAB, _context(request, channel_form=form))


# Helpers


def _shown_once(spec, result) -> dict:
    names = spec.shown_once
    if not isinstance(result, dict):
        return {}
    return {name: result[name] for name in names if result.get(name)}


def _nothing_new(since: str, context: dict) -> bool:
    """A poll that knows the newest delivery shown, while nothing is in progress or newer."""
    rows = context["deliveries"]
    newest = str(rows[0].delivery.pk) if rows else "0"
    return bool(since) and since == newest and not context["deliveries_pending"]


def _spec(provider: str):
    spec = find_spec(provider)
    if spec is None:
        raise Http404("No such provider.")
    return spec


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(request, anchor: str = ""):
    response = redirect("integrations_tab", request.workspace.public_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _context(
    request,
    *,
    forms=None,
    provider_form=None,
    auto_book_form=None,
    revealed=None,
    channel_form=None,
) -> dict:
    workspace = request.workspace
    # The cards, the booking and messaging sections and the summary all ask about the same few
    # connections: read them once for the whole page.
    with selectors.connections_read_once(workspace=workspace):
        cards = build_cards(
            request=request, workspace=workspace, forms=forms or {}, revealed=revealed
        )
        return {
            "cards": cards,
            **_booking_context(request, provider_form=provider_form, auto_book_form=auto_book_form),
            **messaging_context(workspace, form=channel_form),
            **_deliveries_context(request),
            "audit_rows": audit_rows(selectors.audit_log(workspace=workspace)),
            "messaging_summary": messaging_summary(workspace),
        }


def _booking_context(request, *, provider_form=None, auto_book_form=None) -> dict:
    workspace = request.workspace
    connected = connected_specs(workspace)
    current = find_spec(workspace.booking_provider)
    if provider_form is None and connected:
        initial = {"booking_provider": workspace.booking_provider}
        provider_form = BookingProviderForm(
            initial=initial, specs=connected, current_connected=current in connected
        )
    return {
        "workspace": workspace,
        "connected_specs": connected,
        "booking_spec": current,
        "booking_provider_connected": current in connected,
        "provider_form": provider_form,
        "auto_book_form": auto_book_form,
    }


def _deliveries_context(request) -> dict:
    workspace = request.workspace
    state = request.GET.get("state", "")
    state = state if state in WebhookDelivery.State.values else ""
    found = selectors.latest_deliveries(workspace=workspace, state=state)
    bodies = selectors.delivery_bodies(workspace=workspace, ids=[d.pk for d in found])
    rows = delivery_rows(found, delivery_links.links_for(workspace=workspace, bodies=bodies))
    return {
        "workspace": workspace,
        "deliveries": rows,
        "delivery_state": state,
        "delivery_states": WebhookDelivery.State.choices,
        "deliveries_pending": any(r.delivery.state == WebhookDelivery.State.RECEIVED for r in rows),
    }
