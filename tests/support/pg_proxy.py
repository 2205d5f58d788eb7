"""A TCP proxy in front of PostgreSQL that makes the database answer slowly, for real.

Point a connection at ``proxy.port`` instead of PostgreSQL's and every chunk the server sends
back waits ``delay`` seconds first (a database far away, or too busy to answer quickly). With
``stall()`` the proxy accepts connections and forwards nothing back at all (a server that took
the connection and never answers, or a pooler waiting for a free server connection).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from tests.support.redis_server import free_port

CHUNK = 65536


class DelayingProxy:
    def __init__(self, *, upstream_host: str, upstream_port: int, delay: float = 0.0):
        self.upstream = (upstream_host, int(upstream_port))
        self.delay = delay
        self.port = free_port()
        self._stalled = threading.Event()
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> DelayingProxy:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.2)
        threading.Thread(target=self._accept_loop, daemon=True, name="pg-proxy").start()
        return self

    def stall(self) -> None:
        self._stalled.set()

    def stop(self) -> None:
        self._closing.set()
        with self._lock:
            for sock in [self._listener, *self._sockets]:
                if sock is not None:
                    _close(sock)
            self._sockets.clear()

    # Pumping

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        try:
            while not self._closing.is_set():
                data = source.recv(CHUNK)
                if not data:
                    break
                if answers:
                    self._hold_back()
                target.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(target)

    def _hold_back(self) -> None:
        while self._stalled.is_set() and not self._closing.is_set():
            time.sleep(0.05)
        if self.delay:
            time.sleep(self.delay)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
