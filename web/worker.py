"""The gunicorn worker: greenlets for connections, native threads for searches.

A connection costs a greenlet, not a thread, so clients that send their request slowly (one
byte a second) hold nothing the others need. Searches are CPU work: they run in a small pool
of native threads (``THREADS`` per worker, like gunicorn's threaded worker), so a long search
does not stop the others. Threads are not monkey-patched: the search engine's locks and
thread-local searchers stay native.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile

from gevent import monkey
from gunicorn import util as gunicorn_util
from gunicorn.workers.ggevent import GeventWorker


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's answer to a request it cannot parse (414, 431, 400…), in the API's one
    error shape instead of gunicorn's HTML page."""
    code = reason.lower().replace(" ", "_")
    body = json.dumps({"error": {"status": status_int, "code": code, "message": mesg[:300]}})
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    gunicorn_util.write_nonblock(sock, (head + body).encode("latin1"))


class SearchWorker(GeventWorker):
    """gunicorn's gevent worker without patching threads; a native pool for searches."""

    def patch(self):
        monkey.patch_all(thread=False)
        self.sockets = [
            socket.socket(s.FAMILY, socket.SOCK_STREAM, fileno=s.sock.detach())
            for s in self.sockets
        ]

    def init_process(self):
        import gevent

        from web.params import use_thread_pool

        # Threads take turns at the interpreter every millisecond (5 by default): a cheap
        # search next to a costly one waits less for its turns.
        sys.setswitchinterval(0.001)
        pool = gevent.get_hub().threadpool
        pool.maxsize = max(1, self.cfg.threads)
        # One lock file per server (named after the master): one costly search at a time.
        use_thread_pool(
            pool, os.path.join(tempfile.gettempdir(), f"mops-search-{os.getppid()}.heavy")
        )
        gunicorn_util.write_error = write_json_error  # read by Worker.handle_error
        super().init_process()
