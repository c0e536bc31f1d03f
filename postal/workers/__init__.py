"""Background workers: the outbox dispatcher and the handlers it calls per topic."""

from __future__ import annotations

from postal.workers import notify, webhooks, zalo
from postal.workers.outbox import OutboxHandler

# Topic → handler: webhooks fan out shipment changes, citizen notifications queue messages.
HANDLERS: dict[str, OutboxHandler] = {**webhooks.HANDLERS, **notify.HANDLERS, **zalo.HANDLERS}
