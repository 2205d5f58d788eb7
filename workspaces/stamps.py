"""Applying a provider's events in the order they happened, by the provider's own time.

Deliveries arrive late and out of order, and a pruned delivery can be sent again: the newest
time applied to each object is kept (not with the delivery, which is pruned), so an older
event is recognised whenever it comes.
"""

from datetime import datetime

from workspaces.models import ProviderEventStamp, Workspace


def advance(*, workspace: Workspace, provider: str, object_id: str, stamped_at: datetime) -> bool:
    """Records ``stamped_at`` for the object and returns True, unless a newer event was already
    applied (False: leave the object as it is). The same time again is True (a retry of the
    event that set it). Call it inside the transaction that applies the event, so both are
    kept or neither; the row lock serialises two events for one object."""
    row, created = ProviderEventStamp.objects.select_for_update().get_or_create(
        workspace=workspace,
        provider=provider,
        object_id=object_id,
        defaults={"stamped_at": stamped_at},
    )
    if created:
        return True
    if stamped_at < row.stamped_at:
        return False
    if stamped_at > row.stamped_at:
        row.stamped_at = stamped_at
        row.save(update_fields=["stamped_at"])
    return True
