"""Cursors for the API's lists: the last entry's sort key, so a list read page by page
while articles are added neither repeats nor skips an entry (keyset pagination; an
offset would shift by every article published meanwhile).

A cursor is signed: a caller cannot forge one that makes the database walk an
unindexed range, and a cursor made for one ordering is refused by another.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.core import signing

SALT = "citydesk.api.cursor"


class BadCursor(ValueError):
    """A cursor this server did not make (or made for another list)."""


def make(order: str, when: datetime, pk: int) -> str:
    value = json.dumps([order, when.isoformat(), pk], separators=(",", ":"))
    signed = signing.Signer(salt=SALT).sign(value)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def read(cursor: str, order: str) -> tuple[datetime, int]:
    """The (time, id) a cursor of the list ordered by `order` continues after."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        signed = base64.urlsafe_b64decode(padded.encode()).decode()
        value: Any = json.loads(signing.Signer(salt=SALT).unsign(signed))
        kind, when, pk = value
        if kind != order or not isinstance(pk, int):
            raise BadCursor("cursor is for another list")
        return datetime.fromisoformat(when), pk
    except BadCursor:
        raise
    except (signing.BadSignature, binascii.Error, UnicodeError, ValueError, TypeError) as exc:
        raise BadCursor("cursor is not valid") from exc
