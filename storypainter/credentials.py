"""One rule for credentials in settings: refused before anything is written.

A run's settings go to request.json, manifest.json, checkpoints.sqlite and error lines, so
a setting that looks like a credential is refused when the settings are validated (exit 2,
before a run directory exists); secrets come from environment variables only
(``llm_options.api_key_env``). Looks like a credential, at any depth of ``llm_options`` /
``painter_options`` (headers, query parameters, nested clients) and in ``chroma_url``:

- a key whose name, lower-cased, contains ``token`` (not ``tokens``, a count such as
  ``max_tokens``), ``secret``, ``passw``, ``authoriz``, ``authentic``, ``credential`` or
  ``cookie``, or ends in ``key`` or ``auth`` (``api-key``, ``apiKey``, ``X-Api-Key``,
  ``key``); names of environment variables (ending in ``env``, such as ``api_key_env``)
  are not;
- a URL with user info (``http://user:pass@host``) or a query parameter with such a name
  (``?key=...``, ``?token=...``);
- a value that is an authorization scheme and one long opaque word (``Bearer <16+
  characters>``) or starts with a well-known key prefix (``sk-``, ``ghp_``, ``hf_``, ...).

Messages name the setting, never its value.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SECRET_PARTS = ("secret", "passw", "authoriz", "authentic", "credential", "cookie")
SECRET_ENDINGS = ("key", "auth")
# a scheme and one long opaque word ('Basic shapes' is a prompt, not a header), or a key's prefix
SECRET_VALUE = re.compile(r"^\s*(bearer|basic)\s+[A-Za-z0-9+/=._~-]{16,}\s*$|^(sk|rk|pk)-[A-Za-z0-9_-]{16,}"
                          r"|^(gh[pousr]|hf|xox[abpr])_[A-Za-z0-9_-]{16,}", re.IGNORECASE)


def secret_name(name: str) -> bool:
    """Whether a setting's name is a credential's (``api-key``, ``Authorization``, ``token``, ...)."""
    plain = str(name).lower()
    if plain.endswith("env"):
        return False
    return ("token" in plain.replace("tokens", "") or any(part in plain for part in SECRET_PARTS)
            or plain.endswith(SECRET_ENDINGS))


def url_problem(value: str) -> str | None:
    """Why a URL carries a credential (user info, a key-like query parameter), or None."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.username or parts.password:
        return "carries user info (user:password@)"
    if any(secret_name(name) for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return "carries a credential in its query"
    return None


def credential_problem(value: Any, where: str) -> str | None:
    """'<where.path> ...' for the first credential-like entry in ``value`` (any depth), or None."""
    stack = [(value, where)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if secret_name(key):
                    return f"{path}.{key} looks like a credential"
                stack.append((item, f"{path}.{key}"))
        elif isinstance(node, list | tuple):
            stack.extend((item, f"{path}.{number}") for number, item in enumerate(node))
        elif isinstance(node, str):
            if "://" in node and (problem := url_problem(node)):
                return f"{path} {problem}"
            if SECRET_VALUE.search(node):
                return f"{path} looks like a credential"
    return None


def refuse_credentials(value: Any, where: str) -> None:
    """Raise the one-line ValueError for a credential-like entry (the setting named, not its value)."""
    if problem := credential_problem(value, where):
        raise ValueError(f"{problem}; secrets are never written: pass them in environment variables "
                         "(api_key_env names a model's key)")
