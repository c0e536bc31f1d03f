"""Background workers: the outbox dispatcher and the handlers it calls per topic."""

from __future__ import annotations

from postal.workers import webhooks
from postal.workers.outbox import OutboxHandler

# Topic → handler. Webhooks, citizen notifications and carrier sync register here.
HANDLERS: dict[str, OutboxHandler] = {**webhooks.HANDLERS}
