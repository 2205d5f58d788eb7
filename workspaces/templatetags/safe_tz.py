"""Django's ``tz`` template library, with conversions that never fail on a stored value.

Installed as ``tz`` (TEMPLATES' ``libraries`` in config/settings.py), so every ``{% load tz %}``
gets it. A time at the calendar's edge (year 1 in New York is year 0) can't be converted: it is
shown in UTC instead of making the page a 500 for everyone.
"""

from datetime import UTC

from django import template
from django.templatetags import tz as django_tz

register = template.Library()
register.tags.update(django_tz.register.tags)
register.filters.update(django_tz.register.filters)


def _in_utc(value):
    return value.astimezone(UTC) if hasattr(value, "astimezone") else value


@register.filter("localtime")
def localtime(value):
    try:
        return django_tz.localtime(value)
    except (OverflowError, ValueError):
        return _in_utc(value)


@register.filter("utc")
def utc(value):
    try:
        return django_tz.utc(value)
    except (OverflowError, ValueError):
        return _in_utc(value)


@register.filter("timezone")
def do_timezone(value, arg):
    try:
        return django_tz.do_timezone(value, arg)
    except (OverflowError, ValueError):
        return _in_utc(value)
