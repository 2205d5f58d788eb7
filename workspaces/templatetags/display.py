"""Template filters that write times and providers the same way on every page."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from workspaces import provider_choices
from workspaces.formatting import format_time

register = template.Library()


@register.filter
def when(moment: datetime | None, zone) -> str:
    """``{{ appt.start_at|when:tz }}`` -> 'Tue Dec 1, 10:00 AM EST' (the zone named)."""
    if moment is None:
        return ""
    return format_time(moment, zone)


@register.filter
def provider_name(name: str) -> str:
    """'calendly' -> 'Calendly', 'ghl' -> 'GoHighLevel': the product, as its users know it."""
    return dict(provider_choices.choices()).get(name, name)


@register.filter
def older_than(moment: datetime | None, seconds) -> bool:
    """True when ``moment`` is more than ``seconds`` ago: a job still not started by then has no
    worker on it ("waiting for a worker")."""
    if not isinstance(moment, datetime):
        return False
    return (timezone.now() - moment).total_seconds() > int(seconds)
