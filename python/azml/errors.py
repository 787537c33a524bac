"""The exceptions azml raises, named like azure-core's so Azure users know them.

Every one derives from :class:`AzureError` and carries ``status`` (HTTP status or None),
``code`` (the ARM error code or None), ``message`` and ``request_id`` (``x-ms-request-id``
of the failing response or None).
"""

from __future__ import annotations

import concurrent.futures
from typing import Optional

__all__ = [
    "AuthorizationError",
    "AzureError",
    "ClientAuthenticationError",
    "HttpResponseError",
    "OperationFailedError",
    "OperationTimeoutError",
    "PollerCancelledError",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "ServiceRequestError",
    "ThrottledError",
    "ValidationError",
]


class AzureError(Exception):
    """Root of every azml exception."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        text = f"({self.code}) {self.message}" if self.code else self.message
        if self.status is not None:
            extra = f"status {self.status}"
            if self.request_id:
                extra += f", request id {self.request_id}"
            text += f" [{extra}]"
        return text

    def __reduce__(self):  # keep the attributes through pickle (multiprocessing)
        return (
            _rebuild,
            (type(self), self.message, self.status, self.code, self.request_id),
        )


def _rebuild(cls, message, status, code, request_id):
    return cls(message, status=status, code=code, request_id=request_id)


class HttpResponseError(AzureError):
    """The service answered with an error status."""


class ResourceNotFoundError(HttpResponseError):
    """404."""


class ResourceExistsError(HttpResponseError):
    """409 on create: the resource exists already."""


class ClientAuthenticationError(HttpResponseError):
    """No token could be obtained, or the service answered 401."""


class AuthorizationError(HttpResponseError):
    """403: the identity may not do this."""


class ThrottledError(HttpResponseError):
    """429, after the retries were used up."""


class OperationFailedError(AzureError):
    """A long-running operation ended Failed or Canceled."""


class ValidationError(AzureError, ValueError):
    """Bad input, caught before any request was sent."""


class ServiceRequestError(AzureError):
    """The request could not be sent or its response not read (connection, TLS, DNS)."""


class OperationTimeoutError(AzureError, TimeoutError):
    """An operation took longer than allowed."""


class PollerCancelledError(AzureError, concurrent.futures.CancelledError):
    """The poller's `cancel()` was called: it stopped following the operation, which goes
    on in Azure (resume its continuation token to follow it again)."""
