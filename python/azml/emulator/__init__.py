"""The embedded emulator of Azure Resource Manager, Entra ID tokens and Microsoft Graph.

    with azml.emulator.start() as emu:
        client = azml.Client(subscription_id=emu.subscription_id,
                             credential=emu.credential, endpoint=emu.url)

`python -m azml.emulator [--port 8443] [--tls] [--latency fast|realistic|instant]` (or
`azml emulator …`) prints `export NAME=value` lines, then serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import ssl
import sys
import threading
import urllib.request
from typing import Any, Dict, List, Optional, Sequence

from .. import _azml

__all__ = ["EmulatorHandle", "ServicePrincipal", "main", "start"]


class ServicePrincipal:
    """A service principal added to a running emulator: it signs in with client
    credentials and holds no role until one is given to it (403 `AuthorizationFailed`)."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        object_id: str,
        credential: _azml.ClientSecretCredential,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        """The application (client) id: what `workspaces.share(user=...)` takes."""
        self.client_secret = client_secret
        """Its secret (it opens only this emulator), for other SDKs' credentials."""
        self.object_id = object_id
        """The object id: the `principalId` of its role assignments."""
        self.credential = credential
        """An azml `ClientSecretCredential` that signs in as this principal here."""

    def __repr__(self) -> str:
        return f"ServicePrincipal(client_id={self.client_id!r}, object_id={self.object_id!r})"


class EmulatorHandle:
    """A running emulator; a context manager that stops it on exit."""

    def __init__(self, inner: _azml.Emulator) -> None:
        self._inner = inner

    @property
    def url(self) -> str:
        return self._inner.url

    @property
    def graph_endpoint(self) -> str:
        """Microsoft Graph of this emulator (it serves `/v1.0/…` on its own URL): pass it
        as `Client(graph_endpoint=…)`."""
        return self._inner.url

    @property
    def subscription_id(self) -> str:
        return self._inner.subscription_id

    @property
    def extra_subscriptions(self) -> List[str]:
        """The subscriptions served besides `subscription_id` (each with its own resources)."""
        return list(self._inner.extra_subscriptions)

    @property
    def tenant_id(self) -> str:
        return self._inner.tenant_id

    @property
    def client_id(self) -> str:
        return self._inner.client_id

    @property
    def ca_file(self) -> Optional[str]:
        ca = self._inner.ca_file
        return None if ca is None else str(ca)

    @property
    def credential(self) -> _azml.ClientSecretCredential:
        """A credential for the emulator's default service principal."""
        return self._inner.credential

    @property
    def running(self) -> bool:
        return self._inner.running

    def env(self) -> Dict[str, str]:
        """Environment variables that point azml, its console script and the Azure SDKs at
        this emulator (they include the service principal's secret)."""
        return self._inner.env()

    def add_user(self, user_principal_name: str, display_name: Optional[str] = None) -> str:
        """Add a Microsoft Graph user (for `workspaces.share`); returns its object id."""
        return self._inner.add_user(user_principal_name, display_name)

    def _admin(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        """A call to the emulator's admin API (`/_emulator/...`, loopback only)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        ctx = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        # The admin API is on this emulator's own loopback address: no proxy applies.
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx)
        )
        with opener.open(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def add_service_principal(
        self, client_id: Optional[str] = None, client_secret: Optional[str] = None
    ) -> ServicePrincipal:
        """Add a service principal (a new application id and secret unless given); it has
        no role assignment: give it one with `workspaces.share` or ARM."""
        body: Dict[str, str] = {}
        if client_id is not None:
            body["appId"] = client_id
        if client_secret is not None:
            body["secret"] = client_secret
        sp = self._admin("POST", "servicePrincipals", body)
        credential = _azml.ClientSecretCredential(
            sp["tenantId"], sp["appId"], sp["secret"], authority=self.url, ca_file=self.ca_file
        )
        return ServicePrincipal(
            sp["tenantId"], sp["appId"], sp["secret"], sp["objectId"], credential
        )

    def assign_role(self, principal_id: str, role: str, scope: Optional[str] = None) -> str:
        """Give a principal (user, service principal or managed identity, by object id) a
        built-in role (name or GUID) over `scope` (default: the subscription), without going
        through ARM; returns the assignment's name."""
        body: Dict[str, str] = {"principalId": principal_id, "role": role}
        if scope is not None:
            body["scope"] = scope
        return self._admin("POST", "roleAssignments", body)["name"]

    def set_provider_registered(self, namespace: str, registered: bool) -> str:
        """Register or unregister a resource-provider namespace at once (unregistered, its
        resource types answer 409 `MissingSubscriptionRegistration`); returns the state."""
        verb = "register" if registered else "unregister"
        return self._admin("POST", f"providers/{namespace}/{verb}")["registrationState"]

    def stop(self, grace: float = 1.0) -> None:
        self._inner.stop(grace)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorHandle(url={self.url!r}, subscription_id={self.subscription_id!r})"


def start(
    port: int = 0,
    host: str = "127.0.0.1",
    tls: bool = False,
    latency: str = "fast",
    page_size: int = 100,
    time_scale: float = 1.0,
    state: Optional[str] = None,
    extra_subscriptions: Optional[Sequence[str]] = None,
) -> EmulatorHandle:
    """Start an emulator in this process (port 0: a free port); returns once it serves.
    `extra_subscriptions`: more subscription ids (GUIDs) it serves besides its own, each with
    its own resources. `state`: a file (written 0600, it holds secrets) that keeps across
    restarts the resources of every subscription, role assignments, provider registrations,
    users, added service principals with their credentials, managed identities, refresh
    tokens and the token keys (tokens issued before a restart stay valid)."""
    extra = None if extra_subscriptions is None else list(extra_subscriptions)
    return EmulatorHandle(
        _azml.Emulator.start(port, host, tls, latency, page_size, time_scale, state, extra)
    )


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Serve the azml emulator; print `export` lines for the shell first.",
    )
    p.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a CA it generates")
    p.add_argument("--latency", choices=["instant", "fast", "realistic"], default="fast")
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument("--state", default=None, help="file to keep the state in across restarts")
    p.add_argument(
        "--extra-subscription",
        action="append",
        default=None,
        metavar="ID",
        help="serve this subscription too, with its own resources (repeatable)",
    )
    return p


def export_lines(env: Dict[str, str]) -> List[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def main(argv: Optional[Sequence[str]] = None, prog: str = "python -m azml.emulator") -> int:
    args = _parser(prog).parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        emu = start(args.port, args.host, args.tls, args.latency, args.page_size,
                    args.time_scale, args.state, args.extra_subscription)  # fmt: skip
        try:
            for line in export_lines(emu.env()):
                print(line)
            sys.stdout.flush()
            # Wait in slices: the signal handler runs between them.
            while not stop.wait(0.2):
                pass
        finally:
            emu.stop()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0
