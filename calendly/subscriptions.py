"""The workspace's webhook subscription at Calendly: exactly one, for the four invitee events,
pointing at this workspace's URL, signed with a key we hold.

``ensure`` is the health check and the repair in one (on connect, from the card's Repair button,
and every ten minutes from beat). It first reads the user's role in the organization: an owner's
or admin's subscription is organization-scoped (every host's bookings), anyone else's
user-scoped (``calendly.organization``). Then it lists the subscriptions for our URL, keeps ours
when it is active, in that scope and signed with the key we hold, and creates one when none is
left; every other one for our URL (a disabled one, a leftover, one whose key we never stored,
the other scope's once ours is made) is deleted. So a subscription
whose key we lost can't stay: with a personal access token the key is generated and stored,
encrypted and committed, before the subscription is created with it (DOMAIN.md, Lessons). With
OAuth, Calendly signs with the OAuth app's key (``CALENDLY_WEBHOOK_SIGNING_KEY``).

One run at a time per workspace: a run takes a short lease on the ``Subscription`` row (one
conditional UPDATE), so a second click, or a click during the beat's check, does nothing. The
beat's check of each workspace comes at the workspace's slot in the ten minutes
(``integrations.spread``) and does nothing when the last check was less than five minutes ago.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderPermissionError,
)
from workspaces.models import Workspace

from .account import (
    AUTH_TOKEN,
    account_for,
    client_for,
    ensure_signing_key,
    key_fingerprint,
    mark_needs_reauth,
    webhook_url,
)
from .client import CalendlyClient
from .dialect import CalendlyConflict
from .models import Subscription
from .organization import ORGANIZATION, role_of, scope_for
from .payloads import INVITEE_CANCELED, INVITEE_CREATED, NO_SHOW_CREATED, NO_SHOW_DELETED
from .types import WebhookSubscription

logger = logging.getLogger(__name__)

EVENTS = (INVITEE_CREATED, INVITEE_CANCELED, NO_SHOW_CREATED, NO_SHOW_DELETED)
LEASE = timedelta(minutes=2)
REMOVE_TIMEOUT = 5.0  # seconds: disabling must not hang on an unreachable Calendly
State, Signing = Subscription.State, Subscription.Signing


@dataclass(frozen=True)
class Outcome:
    """What a run left. ``busy``: another run holds the lease, nothing was done."""

    state: str
    detail: str = ""
    busy: bool = False


@dataclass(frozen=True)
class Removal:
    ok: bool
    detail: str = ""


def ensure(*, workspace: Workspace, checked_before=None) -> Outcome:
    """Check the subscription and repair it: see the module doc. With ``checked_before`` (the
    beat's check, at the workspace's slot) nothing is done when the last check came after it:
    a late or second beat's copy."""
    subscription = _claim(workspace, checked_before=checked_before)
    if subscription is None:
        return Outcome(state="busy", detail="Another check is running.", busy=True)
    try:
        return _ensure(workspace, subscription)
    finally:
        Subscription.objects.filter(pk=subscription.pk).update(ensuring_until=None)


def _ensure(workspace: Workspace, subscription: Subscription) -> Outcome:
    try:
        account = account_for(workspace, usable_only=False, need_event_type=False)
    except ProviderAuthError as exc:
        return _record(subscription, State.ERROR, error=exc.safe_message)
    except ProviderError:
        return _record(subscription, State.NEVER, error="Calendly is not connected.")
    signing = Signing.OURS if account.auth == AUTH_TOKEN else Signing.APP
    if signing == Signing.APP and not settings.CALENDLY_WEBHOOK_SIGNING_KEY:
        return _record(
            subscription,
            State.ERROR,
            error="CALENDLY_WEBHOOK_SIGNING_KEY is not set, so deliveries to a workspace "
            "connected with OAuth could not be verified: set it to the OAuth app's webhook "
            "signing key (Calendly developer portal).",
        )
    # Stored and committed before anything at Calendly may be signed with it.
    key = ensure_signing_key(workspace=workspace) if signing == Signing.OURS else ""
    wanted = _Wanted(
        url=webhook_url(workspace),
        signing=signing,
        key=key,
        fingerprint=key_fingerprint(key),
    )
    found = ""
    try:
        with client_for(account) as client:
            role = role_of(client, user=account.user_uri, organization=account.organization_uri)
            wanted = replace(wanted, scope=scope_for(role), role=role)
            # Made in the wanted scope before the other scope's is deleted, so a scope change
            # (a new token, a role gained or lost) leaves no gap; an overlap is deduplicated.
            found, kept, others = _sort_out(client, account, subscription, wanted)
            if kept is None:
                kept = _create(client, account, subscription, wanted)
            for uri in others - {kept.uri}:
                _delete_replaced(client, uri)
    except ProviderAuthError as exc:
        mark_needs_reauth(workspace=workspace, error=exc.safe_message)
        return _record(subscription, State.ERROR, error=exc.safe_message)
    except ProviderError as exc:
        logger.warning("Calendly subscription of %s not ensured: %s", workspace.pk, exc.detail)
        return _record_unrepaired(subscription, found, exc)
    return _record(subscription, State.ACTIVE, kept=kept, wanted=wanted, found=found)


def _record_unrepaired(subscription: Subscription, found: str, exc: ProviderError) -> Outcome:
    """The check got as far as seeing ours disabled or gone (a disabled one is deleted before
    the new one is made), but could not make the new one: the card must say so, not "error"."""
    if found not in (State.DISABLED, State.MISSING):
        return _record(subscription, State.ERROR, error=exc.safe_message)
    why = "Calendly had disabled it" if found == State.DISABLED else "it was gone at Calendly"
    return _record(
        subscription,
        State.MISSING,
        error=f"No webhook subscription: {why}, and making a new one failed: {exc.safe_message}",
    )


@dataclass(frozen=True)
class _Wanted:
    url: str
    signing: str
    key: str
    fingerprint: str
    scope: str = "user"
    role: str = ""


def _sort_out(
    client: CalendlyClient, account, subscription: Subscription, wanted: _Wanted
) -> tuple[str, WebhookSubscription | None, set[str]]:
    """What the check found (active, disabled, missing, never), the subscription to keep, and
    the other scope's to delete once ours is there. Those of the wanted scope that can't be
    kept are deleted now: Calendly allows one per URL and scope."""
    ours = _listed(client, account, wanted.url, admin=wanted.scope == ORGANIZATION)
    same = [sub for sub in ours if sub.scope == wanted.scope]
    kept = next((sub for sub in same if _reusable(sub, subscription, wanted)), None)
    for sub in same:
        if sub is not kept:
            logger.info("Deleting Calendly subscription %s (%s)", sub.uri, sub.state)
            client.delete_webhook_subscription(sub.uri)
    others = {sub.uri for sub in ours if sub.scope != wanted.scope}
    if subscription.uri and subscription.scope and subscription.scope != wanted.scope:
        others.add(subscription.uri)  # a non-admin can no longer list the organization's
    recorded = next((sub for sub in ours if sub.uri == subscription.uri), None)
    if kept is not None:
        found = State.ACTIVE
    elif recorded is not None and recorded.scope == wanted.scope and not recorded.is_active:
        found = State.DISABLED
    elif subscription.uri and subscription.uri not in others:
        found = State.MISSING
    else:
        found = State.NEVER
    return found, kept, others


def _listed(client: CalendlyClient, account, url: str, *, admin: bool) -> list:
    """Our URL's subscriptions in the user's scope, and the organization's when it may list
    them."""
    found = client.list_webhook_subscriptions(
        account.organization_uri, "user", user=account.user_uri
    )
    if admin:
        try:
            found += client.list_webhook_subscriptions(account.organization_uri, ORGANIZATION)
        except ProviderPermissionError as exc:  # the role was lost since the last check
            logger.info("Organization subscriptions not listable: %s", exc.safe_message)
    return [sub for sub in found if _same_url(sub.callback_url, url)]


def _delete_replaced(client: CalendlyClient, uri: str) -> None:
    """The replaced one goes; when Calendly refuses (a role just lost), it is left to Calendly:
    what it still sends repeats what the new one sends, and is deduplicated."""
    logger.info("Deleting Calendly subscription %s (replaced)", uri)
    try:
        client.delete_webhook_subscription(uri)
    except (ProviderPermissionError, ProviderBadRequest) as exc:
        logger.warning("Old Calendly subscription %s not deleted: %s", uri, exc.safe_message)


def _reusable(sub: WebhookSubscription, subscription: Subscription, wanted: _Wanted) -> bool:
    if not sub.is_active or not set(EVENTS) <= set(sub.events):
        return False
    recorded = sub.uri == subscription.uri and subscription.scope in ("", wanted.scope)
    if wanted.signing == Signing.OURS:
        # Only what we created with the key we hold now: any other was signed with a key we
        # don't have (or can't prove we have), and every delivery it sends would be refused.
        return (
            recorded
            and subscription.signing == Signing.OURS
            and subscription.key_fingerprint == wanted.fingerprint
        )
    # OAuth subscriptions are signed with the app's key, unless we made it with our own.
    return not (recorded and subscription.signing == Signing.OURS)


def _create(
    client: CalendlyClient, account, subscription: Subscription, wanted: _Wanted
) -> WebhookSubscription:
    def create() -> WebhookSubscription:
        return client.create_webhook_subscription(
            wanted.url,
            EVENTS,
            account.organization_uri,
            wanted.scope,
            user=account.user_uri if wanted.scope == "user" else None,
            signing_key=wanted.key or None,
        )

    try:
        return create()
    except CalendlyConflict:
        # One appeared for our URL since we listed (or our own create's answer was lost and
        # the client's retry met it): sort again, then keep it or make ours.
        _, kept, _ = _sort_out(client, account, subscription, wanted)
        return kept if kept is not None else create()


def _record(
    subscription: Subscription,
    state: str,
    *,
    error: str = "",
    kept: WebhookSubscription | None = None,
    wanted: _Wanted | None = None,
    found: str = "",
) -> Outcome:
    now = timezone.now()
    subscription.state = state
    subscription.checked_at = now
    subscription.last_error = error[:500]
    if kept is not None and wanted is not None:
        subscription.uri = kept.uri
        subscription.callback_url = kept.callback_url
        subscription.signing = wanted.signing
        subscription.key_fingerprint = wanted.fingerprint
        subscription.scope = wanted.scope
        subscription.role = wanted.role
    detail = error
    if found in (State.DISABLED, State.MISSING):
        subscription.repaired_at = now
        subscription.repair_reason = (
            "Calendly had disabled it" if found == State.DISABLED else "it was gone at Calendly"
        )
        detail = f"Recreated: {subscription.repair_reason}."
    subscription.ensuring_until = None
    subscription.save()
    return Outcome(state=state, detail=detail)


def _claim(workspace: Workspace, *, checked_before=None) -> Subscription | None:
    Subscription.objects.get_or_create(workspace=workspace)
    now = timezone.now()
    free = Q(ensuring_until__isnull=True) | Q(ensuring_until__lt=now)
    if checked_before is not None:
        free &= Q(checked_at__isnull=True) | Q(checked_at__lte=checked_before)
    claimed = (
        Subscription.objects.filter(workspace=workspace)
        .filter(free)
        .update(ensuring_until=now + LEASE)
    )
    return Subscription.objects.get(workspace=workspace) if claimed else None


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


# Disabling


def remove(*, workspace: Workspace) -> Removal:
    """Delete every subscription for our URL at Calendly, as far as it can be reached; the
    record forgets its key either way, so a leftover is never reused."""
    subscription, _ = Subscription.objects.get_or_create(workspace=workspace)
    try:
        account = account_for(workspace, usable_only=False, need_event_type=False)
    except ProviderError as exc:
        if not subscription.uri or subscription.state in (State.NEVER, State.REMOVED):
            return _removed(subscription, Removal(ok=True))  # nothing was ever made there
        return _removed(subscription, Removal(ok=False, detail=exc.safe_message))
    url = webhook_url(workspace)
    try:
        with client_for(account, timeout=REMOVE_TIMEOUT) as client:
            uris = {subscription.uri} if subscription.uri else set()
            admin = subscription.scope == ORGANIZATION
            uris |= {sub.uri for sub in _listed(client, account, url, admin=admin)}
            for uri in uris:
                client.delete_webhook_subscription(uri)
    except ProviderError as exc:
        logger.warning("Calendly subscription of %s not removed: %s", workspace.pk, exc.detail)
        return _removed(subscription, Removal(ok=False, detail=exc.safe_message))
    return _removed(subscription, Removal(ok=True))


def _removed(subscription: Subscription, removal: Removal) -> Removal:
    subscription.state = State.REMOVED if removal.ok else State.ORPHANED
    subscription.last_error = removal.detail[:500]
    subscription.checked_at = timezone.now()
    subscription.signing = ""
    subscription.key_fingerprint = ""
    if removal.ok:
        subscription.uri = ""
        subscription.scope = ""
    subscription.save()
    return removal
