"""One HTTP POST to a checked address, through connection pools kept across invocations.

A pool per (scheme, address, port, host name) lives at module level, so a warm
Lambda environment reuses its keep-alive connections from one batch to the
next. The pool connects to the address ``ssrf.destination`` checked, never to
the name, and sends the name as Host and TLS server name (certificates are
still verified against it). Redirects are not followed, nothing is retried
here (the queue retries), and the reply is read up to a size cap.

Socket timeouts bound each read, not the whole exchange: a receiver that drips
one byte at a time could hold a send for as long as it liked. So every send
also has a total deadline (connect + read timeout); a watchdog shuts the
connection's socket down when it passes, which ends any blocked read at once.
"""

import socket
import threading
from collections import OrderedDict
from dataclasses import dataclass

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError

#: Enough pools for every origin a busy sender talks to; the oldest is dropped after.
MAX_POOLS = 256

_pools = OrderedDict()
_lock = threading.Lock()
#: The connection each sending thread is using, for the watchdog to cut.
_in_flight = {}


class _Tracked:
    """Mixin: note which connection this thread is sending on."""

    def request(self, *args, **kwargs):
        _in_flight[threading.get_ident()] = self
        return super().request(*args, **kwargs)


class _TrackedHTTPConnection(_Tracked, HTTPConnection):
    pass


class _TrackedHTTPSConnection(_Tracked, HTTPSConnection):
    pass


@dataclass(frozen=True)
class Reply:
    status: int
    headers: object  # urllib3's HTTPHeaderDict: case-insensitive, as HTTP headers are
    body: bytes
    truncated: bool


class TransportError(Exception):
    """No HTTP reply: connect or read timeout, refused or reset connection, TLS failure."""


def _pool(dest, maxsize):
    key = (dest.scheme, dest.address, dest.port, dest.host)
    with _lock:
        pool = _pools.get(key)
        if pool is not None:
            _pools.move_to_end(key)
            return pool
        options = {"maxsize": maxsize, "block": False, "retries": False}
        if dest.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                dest.address,
                dest.port,
                server_hostname=dest.host,
                assert_hostname=dest.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
                **options,
            )
            pool.ConnectionCls = _TrackedHTTPSConnection
        else:
            pool = urllib3.HTTPConnectionPool(dest.address, dest.port, **options)
            pool.ConnectionCls = _TrackedHTTPConnection
        _pools[key] = pool
        while len(_pools) > MAX_POOLS:
            _pools.popitem(last=False)[1].close()
        return pool


def pool_count():
    return len(_pools)


def close_all():
    with _lock:
        while _pools:
            _pools.popitem()[1].close()


def post(dest, body, headers, *, connect_timeout, read_timeout, max_bytes, maxsize=10):
    """POST ``body`` to ``dest``; the reply, or ``TransportError``, within connect + read time."""
    default_port = 443 if dest.scheme == "https" else 80
    host = dest.host if ":" not in dest.host else f"[{dest.host}]"
    host_header = host if dest.port == default_port else f"{host}:{dest.port}"
    total = connect_timeout + read_timeout
    thread = threading.get_ident()
    cut = threading.Event()

    def watchdog():
        connection = _in_flight.get(thread)
        sock = getattr(connection, "sock", None)
        cut.set()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(total, watchdog)
    timer.daemon = True
    timer.start()
    reply = None
    try:
        reply = _pool(dest, maxsize).urlopen(
            "POST",
            dest.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            preload_content=False,
            assert_same_host=False,
        )
        data = bytearray()
        while len(data) <= max_bytes:
            chunk = reply.read1(min(65536, max_bytes + 1 - len(data)))
            if not chunk:
                break
            data += chunk
        if cut.is_set():
            raise TransportError(f"timed out: no complete reply within {total:g} s")
        truncated = len(data) > max_bytes
        if truncated:
            reply.close()  # the rest is never read: drop the connection, not reuse it
        else:
            reply.release_conn()
        return Reply(reply.status, reply.headers, bytes(data[:max_bytes]), truncated)
    except TransportError:
        _discard(reply)
        raise
    except (HTTPError, OSError) as exc:
        _discard(reply)
        if cut.is_set():
            raise TransportError(f"timed out: no complete reply within {total:g} s") from exc
        raise TransportError(_describe(exc)) from exc
    finally:
        timer.cancel()
        _in_flight.pop(thread, None)


def _discard(reply):
    """A reply we stopped reading must not hand its connection to the next request."""
    if reply is not None:
        reply.close()


def _describe(exc):
    reason = getattr(exc, "reason", None) or exc
    name = type(reason).__name__
    if "Timeout" in name or "Timeout" in type(exc).__name__:
        return f"timed out ({name})"
    return f"{name}: {reason}"
