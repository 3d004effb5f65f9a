"""Request bodies before decoding: gzip with a size limit, and JSON array versus NDJSON.

>>> import gzip
>>> unpack_body(gzip.compress(b"[]"), "gzip", 100), is_ndjson(None, b'{"id": "a"}')
(b'[]', True)
"""

from __future__ import annotations

import zlib

from watchkeeper.errors import InputError


class BodyError(InputError):
    """The request body cannot be read at all; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def unpack_body(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The body with gzip undone, refusing more than ``limit`` bytes once unpacked."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise BodyError(415, f"unsupported Content-Encoding {encoding!r}; use gzip or none")
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyError(400, f"body is not valid gzip: {exc}") from None
    if len(data) > limit:
        raise BodyError(413, f"body is larger than {limit} bytes once unpacked")
    if not inflater.eof:
        raise BodyError(400, "gzip body is truncated")
    return data


def is_ndjson(content_type: str | None, body: bytes) -> bool:
    if content_type and content_type.split(";")[0].strip().lower() == "application/x-ndjson":
        return True
    return body.lstrip()[:1] != b"["
