"""What the gateway may show of its upstream: URLs without credentials, backends by name only.

Upstream URLs can carry credentials (``http://user:password@host/v1``, ``?api_key=...``) and
client error messages quote them. Everything the server shows to a client or writes to its log
goes through :func:`redact_urls`; completion bodies and ``/health`` show only
:func:`backend_name`.
"""

from __future__ import annotations

import re

# scheme://[userinfo@]rest — userinfo is whatever precedes the first '@' in the authority.
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<authority>[^\s/?#'\"<>]*)(?P<rest>[^\s'\"<>]*)"
)
_SECRET_QUERY = re.compile(
    r"(?i)([?&](?:api[_-]?key|key|token|access_token|password|secret|sig)=)[^&#\s'\"]*"
)


def _redact_one(match: re.Match[str]) -> str:
    authority = match["authority"]
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    rest = _SECRET_QUERY.sub(r"\1***", match["rest"])
    return match["scheme"] + authority + rest


def redact_urls(text: str) -> str:
    """``text`` with every URL's user-info (and secret-looking query values) replaced by ``***``.

    >>> redact_urls("openai-compatible http://user:pw@host:8080/v1?api_key=sk-1&x=2")
    'openai-compatible http://***@host:8080/v1?api_key=***&x=2'
    """
    if "://" not in text:
        return text
    return _URL.sub(_redact_one, text)


def backend_name(backend: str) -> str:
    """A client-safe name for an upstream description: the words before any URL or path.

    ``"openai-compatible http://u:p@host/v1"`` -> ``"openai-compatible"``; ``"replay
    /srv/rec.jsonl"`` -> ``"replay"``; ``"local SmolLM2-135M (offline stand-in)"`` is kept.
    """
    words = []
    for word in backend.split():
        if (
            "://" in word
            or word.startswith(("/", "~", "\\", "."))
            or re.match(r"^[A-Za-z]:\\", word)
        ):
            break
        words.append(word)
    return " ".join(words) or "upstream"
