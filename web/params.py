"""The request's search parameters, checked by ``search.request`` (the one set of checks)."""

from __future__ import annotations

import fcntl
import time

from flask import current_app, request

from search.budget import Deadline, SearchTimeout
from search.engines import Engine
from search.request import SearchRequest, parse_request


def engine() -> Engine:
    return current_app.extensions["search_engine"]


_pool = None  # the gevent worker's pool of native threads, when serving under it
_heavy_gate = None  # admits few costly searches at a time (a gevent semaphore)
HEAVY_AT_ONCE = 1  # per worker process: the other threads stay free for cheap searches


_service_gate = None  # an OS lock shared by the workers: one costly search in the service


def use_thread_pool(pool, service_lock: str | None = None) -> None:
    """Called by the gevent worker: searches then run in its native threads; costly ones
    take turns within the worker and, given a lock file, across the whole service."""
    global _pool, _heavy_gate, _service_gate
    from gevent.lock import BoundedSemaphore

    _pool, _heavy_gate = pool, BoundedSemaphore(HEAVY_AT_ONCE)
    _service_gate = open(service_lock, "a+") if service_lock else None  # noqa: SIM115


def _take_service_turn(deadline: float) -> bool:
    """Wait (polling, so the worker's other connections go on) for the service-wide turn."""
    import gevent

    while True:
        try:
            fcntl.flock(_service_gate, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            gevent.sleep(0.005)


def offload(fn, *args, **kwargs):
    """Run CPU-bound search work off the event loop when served by the gevent worker (in its
    pool of native threads), so other connections are read and answered meanwhile."""
    if _pool is not None:
        return _pool.apply(fn, args, kwargs)
    return fn(*args, **kwargs)


def offload_search(req: SearchRequest):
    """Run a search; costly ones wait (without holding a thread) for their turn, within the
    search's time budget, so that a burst of them cannot slow everyone's cheap searches."""
    search = engine().search
    args = (req.q,)
    kwargs = {"page": req.page, "per_page": req.per_page, "filters": req.filters}
    kwargs["correct"] = req.correct
    if _heavy_gate is None or not engine().is_heavy(req.q):
        return offload(search, *args, **kwargs)
    budget = current_app.extensions["settings"].search_budget_s
    deadline = time.monotonic() + budget
    busy = "The service is busy with costly searches; try again in a moment."
    if not _heavy_gate.acquire(timeout=budget):
        raise SearchTimeout(busy)
    try:
        if _service_gate is not None and not _take_service_turn(deadline):
            raise SearchTimeout(busy)
        try:
            # The wait counted against the budget: the search gets only what is left of it.
            return offload(search, *args, **kwargs, deadline=Deadline(deadline))
        finally:
            if _service_gate is not None:
                fcntl.flock(_service_gate, fcntl.LOCK_UN)
    finally:
        _heavy_gate.release()


def default_per_page() -> int:
    return current_app.extensions["settings"].per_page


def search_params(required: bool = True) -> SearchRequest:
    """q, page, per_page, year, source and sort from the query string; QueryError if invalid."""
    return parse_request(request.args, default_per_page(), required)
