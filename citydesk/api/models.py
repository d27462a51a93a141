"""Partners' API tokens, stored hashed."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX = "cdk_"


class Scope(models.TextChoices):
    READ = "read", _("读取")
    DRAFTS = "drafts", _("投稿")


def digest(key: str) -> str:
    """SHA-256 of a key: a key is 32 random bytes, so no guessing can walk it back and a
    slow password hash would only slow every request."""
    return hashlib.sha256(key.encode()).hexdigest()


class TokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> "TokenQuerySet":
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    name = models.CharField(_("名称"), max_length=100, help_text=_("合作方或用途"))
    # The first characters of the key, shown in lists so a token can be told apart; the
    # key itself is shown once, when it is made.
    prefix = models.CharField(_("前缀"), max_length=16, editable=False, db_index=True)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("权限"), default=list)
    # A newsroom token reads as this member: pieces not live yet under the embargo rules
    # (newsroom.actions.may_read). A partner's token has none and reads live content only.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编辑部成员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    source = models.CharField(
        _("来源"), max_length=100, blank=True, help_text=_("合作方投稿的来源署名")
    )
    per_minute = models.PositiveIntegerField(_("每分钟请求上限"), default=600)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    objects = TokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name: str, scopes: list[str], **fields: object) -> tuple["ApiToken", str]:
        """A new token and its key (shown once: only its digest is stored)."""
        key = PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name, scopes=sorted(set(scopes)), prefix=key[:12], key_hash=digest(key), **fields
        )
        return token, key

    @classmethod
    def find(cls, key: str) -> "ApiToken | None":
        """The usable token of a key, or None (unknown, revoked or expired)."""
        if not key.startswith(PREFIX) or len(key) > 100:
            return None
        return cls.objects.usable().select_related("user").filter(key_hash=digest(key)).first()

    def allows(self, scope: str) -> bool:
        return scope in self.scopes
