"""The web dashboard served at ``/``: one HTML page and its assets, shipped in the package.

Vanilla JavaScript modules (no framework, no build step, nothing from a CDN) under ``static/``:
``app.js`` (routing between the views, the token), ``api.js`` (HTTP calls), ``ui.js`` (DOM and
formatting helpers), ``charts.js`` (SVG line charts and heatmap on a shared time axis),
``markdown.js`` (playbooks), ``views.js`` (engineering, product, business) and ``pages.js``
(alerts, incidents). The page reads everything through the HTTP API.

The few facts the page needs from the server are written into the page as a JSON attribute,
so there is one source for them:

>>> page = index_html({"auth": True})
>>> b'data-settings="{&quot;auth&quot;: true}"' in page
True
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
TEMPLATE = Path(__file__).parent / "index.html"


def index_html(settings: Mapping[str, Any]) -> bytes:
    """The page, with ``settings`` as JSON in ``<body data-settings>``."""
    attribute = html.escape(json.dumps(dict(settings), sort_keys=True), quote=True)
    text = TEMPLATE.read_text(encoding="utf-8")
    return text.replace("{{settings}}", attribute).encode("utf-8")
