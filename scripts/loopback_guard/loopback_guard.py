"""Refuses, inside one Python process, every connection and name lookup that would leave the
machine.

This is the net under the tests where no network namespace can be made (see
scripts/loopback-only): the suites' conftest installs it, and the sitecustomize beside this file
installs it in every Python process started under `scripts/loopback-only` in its guard mode (the
az CLI and the children of the tests among them). A refusal raises at once, before any packet
is sent, and is also written to stderr: a library that swallows network errors (a credential
chain probing a metadata endpoint, say) cannot hide that a test reached for the network.

Allowed: loopback addresses (127.0.0.0/8, ::1, IPv4-mapped loopback), the names `localhost` and
`*.localhost` (resolved here, without DNS), Unix and netlink sockets.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any, Callable, Optional

__all__ = ["LoopbackOnlyError", "install", "installed", "is_loopback_host"]


class LoopbackOnlyError(PermissionError):
    """A connection or lookup the loopback-only guard refused."""


_LOCAL_FAMILIES = {
    getattr(socket, name) for name in ("AF_UNIX", "AF_NETLINK") if hasattr(socket, name)
}
_IP_FAMILIES = {socket.AF_INET, getattr(socket, "AF_INET6", socket.AF_INET)}

_original: dict = {}


def _localhost_name(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host == "localhost" or host.endswith(".localhost")


def _ip(host: str) -> Optional[ipaddress._BaseAddress]:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def is_loopback_host(host: Any) -> bool:
    """Whether `host` (a name or an address, str or bytes) stays on this machine."""
    if isinstance(host, (bytes, bytearray)):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]")
    if _localhost_name(host):
        return True
    ip = _ip(host)
    if ip is None:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def _refuse(what: str, target: str) -> LoopbackOnlyError:
    message = (
        f"loopback-only guard: refused {what} {target}: not a loopback address "
        "(the tests must reach nothing but this machine)"
    )
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except Exception:  # a closed stderr must not turn the refusal into another error
        pass
    return LoopbackOnlyError(13, message)


def _check_address(family: int, address: Any, what: str) -> None:
    if family in _LOCAL_FAMILIES:
        return
    if family in _IP_FAMILIES and isinstance(address, tuple) and address:
        if is_loopback_host(address[0]):
            return
        port = address[1] if len(address) > 1 else "?"
        raise _refuse(what, f"{address[0]}:{port}")
    raise _refuse(what, repr(address))


def _guard_method(name: str, what: str, address_at: int) -> Callable[..., Any]:
    original = getattr(socket.socket, name)

    def guarded(self: socket.socket, *args: Any) -> Any:
        if len(args) > address_at and args[address_at] is not None:
            _check_address(self.family, args[address_at], what)
        return original(self, *args)

    guarded.__name__ = name
    guarded.__doc__ = original.__doc__
    _original[name] = original
    return guarded


def _guard_lookup(name: str) -> Callable[..., Any]:
    original = getattr(socket, name)

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback_host(host):
            text = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
            # An address needs no lookup; only a name would ask a DNS server.
            if _ip(text.strip("[]")) is None:
                raise _refuse("a name lookup of", repr(text))
        elif isinstance(host, str) and _localhost_name(host):
            host = "localhost"
        return original(host, *args, **kwargs)

    guarded.__name__ = name
    guarded.__doc__ = original.__doc__
    _original[name] = original
    return guarded


def installed() -> bool:
    return bool(_original)


def install() -> None:
    """Installs the guard in this process (idempotent)."""
    if installed():
        return
    # sendto(data, address) / sendto(data, flags, address): the address is the last argument.
    methods = {
        "connect": _guard_method("connect", "a connection to", 0),
        "connect_ex": _guard_method("connect_ex", "a connection to", 0),
        "sendmsg": _guard_method("sendmsg", "a datagram to", 3),
    }
    original_sendto = socket.socket.sendto
    _original["sendto"] = original_sendto

    def sendto(self: socket.socket, *args: Any) -> Any:
        if len(args) >= 2:
            _check_address(self.family, args[-1], "a datagram to")
        return original_sendto(self, *args)

    methods["sendto"] = sendto
    lookups = {
        name: _guard_lookup(name)
        for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex")
        if hasattr(socket, name)
    }
    for name, fn in methods.items():
        setattr(socket.socket, name, fn)
    for name, fn in lookups.items():
        setattr(socket, name, fn)
