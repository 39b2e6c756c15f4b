"""Secrets in configs: values that must not reach run records or printed configs.

An entry is secret when its key looks like one (``password``, ``db_password``,
``api_key``, ``token``, ``secret``, ``credentials``, ``private_key`` ...); its value
is shown as ``***``. Credentials inside URLs (``postgresql://user:pw@host/db``) are
masked wherever they appear in a string value. The config the code receives is never
changed: masking applies to what is stored and printed.
"""

from __future__ import annotations

from typing import Any

MASK = "***"
_SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "access_key", "private_key",
                 "credential", "auth")


def is_secret_key(key: str) -> bool:
    """Whether a config key names a secret: ``password``, ``db_password``, ``hf_token``, ``apiKey``.

    Example:
        >>> is_secret_key("wandb_api_key"), is_secret_key("tokenizer")
        (True, False)
    """
    words = key.lower().replace("-", "_")
    if words in ("tokenizer", "tokens", "max_tokens", "num_tokens", "author", "authors"):
        return False
    return any(word in words for word in _SECRET_WORDS)


def mask_url(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` replaced by ``***``
    (a user name alone, often a token as in ``https://<token>@github.com``, is masked too).

    Example:
        >>> mask_url("postgresql://ba3l:hunter2@db:5432/runs")
        'postgresql://ba3l:***@db:5432/runs'
    """
    if "://" not in text or "@" not in text:
        return text
    out, start = [], 0
    while (scheme := text.find("://", start)) != -1:
        begin = scheme + 3
        end = _authority_end(text, begin)
        at = text.rfind("@", begin, end)
        colon = text.find(":", begin, at) if at != -1 else -1
        if colon != -1:
            out.append(text[start : colon + 1] + MASK)
            start = at
        elif at != -1:
            out.append(text[start:begin] + MASK)
            start = at
        else:
            out.append(text[start:begin])
            start = begin
    out.append(text[start:])
    return "".join(out)


def _authority_end(text: str, begin: int) -> int:
    for index in range(begin, len(text)):
        if text[index] in "/?# \t\n'\"":
            return index
    return len(text)


def mask_secrets(tree: Any) -> Any:
    """A copy of a config tree with secret entries and URL credentials masked."""
    if isinstance(tree, dict):
        return {key: MASK if is_secret_key(key) and value not in (None, "") else mask_secrets(value)
                for key, value in tree.items()}
    if isinstance(tree, list):
        return [mask_secrets(item) for item in tree]
    if isinstance(tree, str):
        return mask_url(tree)
    return tree
