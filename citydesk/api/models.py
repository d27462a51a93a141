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


class Event(models.TextChoices):
    PUBLISH = "publish", _("发布")
    UPDATE = "update", _("更新")
    UNPUBLISH = "unpublish", _("撤下")
    RETRACT = "retract", _("撤稿")


def _all_events() -> list[str]:
    return list(Event.values)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """A partner's webhook: each change of a live article is POSTed to `url`, signed
    with `secret` (HMAC-SHA256, docs/api.md)."""

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("回调地址"), max_length=500)
    # Kept as is: signing needs it. Shown to the administrator who gives it to the partner.
    secret = models.CharField(_("签名密钥"), max_length=100, default=_new_secret)
    events = models.JSONField(_("事件"), default=_all_events)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回调订阅")
        verbose_name_plural = _("回调订阅")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One event to one subscriber: its log, kept beside the durable task that sends it."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, editable=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("订阅")
    )
    event = models.CharField(_("事件"), max_length=12, choices=Event.choices)
    article_id = models.PositiveBigIntegerField(_("文章编号"))
    payload = models.JSONField(_("内容"))
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_status = models.PositiveIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("回调投递")
        verbose_name_plural = _("回调投递")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_event_display()} #{self.article_id} → {self.subscription}"


class PushDay(models.Model):
    """A day (Beijing time) of pushes to Baidu's 普通收录 API: what its quota left."""

    day = models.DateField(_("日期"), primary_key=True)
    pushed = models.PositiveIntegerField(_("已推送"), default=0)
    remain = models.IntegerField(_("剩余配额"), null=True, blank=True)
    exhausted = models.BooleanField(_("配额用尽"), default=False)
    last_reply = models.TextField(_("最近回复"), blank=True)

    class Meta:
        verbose_name = _("百度推送")
        verbose_name_plural = _("百度推送")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)
