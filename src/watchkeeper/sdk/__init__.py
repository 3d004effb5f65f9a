"""The Python SDK: log predictions, labels and business outcomes to a watchkeeper service.

>>> from watchkeeper.sdk import Client
>>> Client("localhost:8000")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
watchkeeper.errors.ConfigError: url: must be an http:// or https:// URL ... (got 'localhost:8000')
"""

from __future__ import annotations

from watchkeeper.sdk.client import Client, ClientStats
from watchkeeper.sdk.delivery import DeliveryError, RetryPolicy

__all__ = ["Client", "ClientStats", "DeliveryError", "RetryPolicy"]
