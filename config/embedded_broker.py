"""The embedded broker: kombu's filesystem transport (a folder of message files, no server),
with one fix so that a worker never reads a message half-written.

kombu's own ``_put`` creates the message file under its final name and then writes it; a worker
listing the folder in between moves the empty file away and fails to decode it, and the task is
lost. Here the message is written under a name no queue matches and renamed into place, which
is atomic on one file system. Registered as the ``embedded://`` broker URL."""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "embedded"


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A fresh checkout has no folder yet; kombu expects one.
        os.makedirs(self.data_folder_in, exist_ok=True)
        os.makedirs(self.data_folder_out, exist_ok=True)

    def _put(self, queue, payload, **kwargs):
        # Zero-padded, so the folder's sorted listing is the publishing order across processes
        # (the monotonic clock is the machine's, not the process's).
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.partial"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add {name!r} to the embedded broker's folder") from exc


class Transport(filesystem.Transport):
    Channel = Channel
    global_state = filesystem.virtual.BrokerState()
    driver_type = driver_name = SCHEME


def register() -> None:
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
