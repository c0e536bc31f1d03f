"""``postal serve --processes N``: N serving processes on one port (SO_REUSEPORT).

Each child is a fresh interpreter (``spawn``) with its own event loop and its own database pool;
the kernel spreads new connections over the listening sockets. The parent migrates once, starts
the children, and on SIGTERM/SIGINT stops them and waits. Background workers run in child 0 only
(their jobs take rows with ``FOR UPDATE SKIP LOCKED``, so running them in more would also be safe,
just useless work). A child whose parent died exits on its own within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from multiprocessing.process import BaseProcess

from postal import logs
from postal.settings import Settings

log = logging.getLogger(__name__)
PARENT_CHECK_SECONDS = 1.0


def _child(settings: Settings, dsn: str, host: str, port: int, workers: bool, index: int, parent: int) -> None:
    """One serving process (runs in the spawned interpreter)."""
    from postal.server import serve_prepared

    logs.configure(settings.log_level, buffered=settings.log_buffered)

    async def main() -> None:
        server = asyncio.create_task(serve_prepared(settings, dsn, host, port, workers=workers, reuse_port=True,
                                                    index=index))
        while os.getppid() == parent:  # polling: no event tells a child that its parent died
            done, _ = await asyncio.wait([server], timeout=PARENT_CHECK_SECONDS)
            if done:
                break
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


async def serve_processes(settings: Settings, dsn: str, host: str, port: int, *, processes: int,
                          workers: bool) -> None:
    """Start ``processes`` children serving ``host:port`` and wait until a signal or until one dies."""
    context = multiprocessing.get_context("spawn")
    children: list[BaseProcess] = [
        context.Process(target=_child, args=(settings, dsn, host, port, workers and i == 0, i, os.getpid()),
                        name=f"postal-serve-{i}", daemon=False)
        for i in range(processes)
    ]
    for child in children:
        child.start()
    log.info("serving with processes", extra={"pids": [c.pid for c in children], "url": f"http://{host}:{port}"})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set() and all(c.is_alive() for c in children):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PARENT_CHECK_SECONDS)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            await asyncio.to_thread(child.join, 10)
            if child.is_alive():
                child.kill()
    if not stop.is_set():
        log.error("a serving process exited; stopped the others", extra={"exit_codes": [c.exitcode for c in children]})
        raise SystemExit(1)
