"""Carrier adapters (SPEC §9): one package per postal operator, in the karrio style.

Each adapter has a ``proxy`` that only does I/O (an aiohttp client session injected by the caller),
pure ``build``/``parse`` functions turning our data into the operator's requests and its answers
into ours, and a ``statuses`` table mapping the operator's status codes to our lifecycle events.
:mod:`postal.carriers.sim` is a local simulator of the VNPost API for tests and the demo.

Nothing here touches the database: the services (``postal.services.carriers``) decide what to do
with what the adapters return.
"""

CARRIERS = ("vnpost",)
"""Carriers a post office may be bound to (``postal post-office set-carrier CODE vnpost|none``)."""
