"""Bearer tokens for the write endpoints.

Tokens come from the environment variables named in ``server.token_env`` (read once when the
app is built). With no token configured, writes are open: the service binds to 127.0.0.1
unless told otherwise.

>>> auth = BearerAuth({"s3cret"})
>>> auth.allows("Bearer s3cret"), auth.allows("Bearer nope"), auth.allows(None)
(True, False, False)
>>> BearerAuth(set()).allows(None)
True
"""

from __future__ import annotations

import hmac
from collections.abc import Collection


class BearerAuth:
    def __init__(self, tokens: Collection[str]) -> None:
        self._tokens = tuple(t.encode() for t in tokens if t)

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    def allows(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header value carries one of the tokens."""
        if not self._tokens:
            return True
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        given = presented.strip().encode()
        # compare against every token so the time taken does not tell which one matched
        matches = [hmac.compare_digest(given, token) for token in self._tokens]
        return any(matches)
