"""实名制: who vouches for a commenter. Chinese rules may require comments from verified
identities (a phone number checked by SMS, or a real-name service); the site chooses a
check with CITYDESK_COMMENT_IDENTITY, a class path. The default vouches for nobody and
refuses nobody. A check that refuses raises IdentityRefused with what to tell the reader."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string


class IdentityRefused(Exception):
    pass


class IdentityCheck:
    """The base, and the default: every commenter is welcome, nobody is vouched for."""

    def verify(self, request: HttpRequest, contact: str) -> str:
        """What the check vouches for ("" for nothing), or IdentityRefused."""
        return ""


def identity_check() -> IdentityCheck:
    path = getattr(settings, "CITYDESK_COMMENT_IDENTITY", "")
    return import_string(path)() if path else IdentityCheck()
