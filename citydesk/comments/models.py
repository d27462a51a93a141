"""Readers' comments (评论) under articles, moderated under Chinese rules: each channel
reviews them first (先审后发, the default) or publishes them first (先发后审)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citydesk.content.models import Article, Channel

MAX_BODY = 500  # characters
MAX_NICKNAME = 20


class CommentPolicy(models.Model):
    """How one channel takes comments; a channel without one reviews them first."""

    class Mode(models.TextChoices):
        REVIEW_FIRST = "review_first", _("先审后发")
        PUBLISH_FIRST = "publish_first", _("先发后审")

    channel = models.OneToOneField(
        Channel, primary_key=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("栏目"),
    )  # fmt: skip
    mode = models.CharField(
        _("审核方式"), max_length=16, choices=Mode.choices, default=Mode.REVIEW_FIRST
    )
    closed = models.BooleanField(_("关闭评论"), default=False)

    class Meta:
        verbose_name = _("评论设置")
        verbose_name_plural = _("评论设置")

    def __str__(self) -> str:
        return f"{self.channel}：{self.get_mode_display()}"


class ClosedArticle(models.Model):
    """An article closed to comments by the desk (its channel's setting aside)."""

    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    closed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.article)


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待审")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未通过")
        DELETED = "deleted", _("已删除")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="comments", verbose_name=_("稿件")
    )
    nickname = models.CharField(_("昵称"), max_length=MAX_NICKNAME)
    # Never shown to readers: for the desk to reach the writer, and for 实名制 later.
    contact = models.CharField(_("手机或邮箱"), max_length=100, blank=True)
    # What an identity check (citydesk.comments.identity) vouched for; empty: none.
    verified_as = models.CharField(_("实名核验"), max_length=100, blank=True)
    body = models.TextField(_("内容"), max_length=MAX_BODY)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # The writer's network (an IPv4 address or an IPv6 /64): rate limits and the desk.
    network = models.CharField(_("网络"), max_length=64)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reports = models.PositiveIntegerField(_("举报数"), default=0)
    # Why it waits for review when its channel publishes first (a listed word), or why
    # it was rejected: for the moderators.
    note = models.CharField(_("审核说明"), max_length=200, blank=True)
    official_reply = models.TextField(_("官方回复"), max_length=MAX_BODY, blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("审核人"),
    )  # fmt: skip
    moderated_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评论")
        verbose_name_plural = _("评论")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["article", "status", "-created_at"], name="comment_shown"),
            models.Index(fields=["status", "-reports", "created_at"], name="comment_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.nickname}：{self.body[:30]}"


class Report(models.Model):
    """A reader's 举报 of a comment: one per network per comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(max_length=64)
    reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "network"], name="one_report_per_network")
        ]

    def __str__(self) -> str:
        return f"{self.comment_id} {self.network}"
