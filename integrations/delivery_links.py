"""What a delivery was about (its lead and appointment), for the deliveries table.

Appointments live in ``booking``, which ``integrations`` never imports: ``booking`` registers a
finder here when the apps load (``booking.apps``), as the providers register themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryLink:
    lead_id: int
    lead_name: str
    appointment_id: int | None = None
    appointment_start: object = None  # an aware datetime, or None
    appointment_status: str = ""


# (workspace, {delivery pk: raw body}) -> {delivery pk: DeliveryLink}
Finder = Callable[..., dict[int, DeliveryLink]]
_finder: Finder | None = None


def set_finder(finder: Finder | None) -> None:
    global _finder
    _finder = finder


def links_for(*, workspace, bodies: dict[int, bytes]) -> dict[int, DeliveryLink]:
    if _finder is None or not bodies:
        return {}
    return _finder(workspace=workspace, bodies=bodies)
