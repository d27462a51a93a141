from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citydesk.content.models import Article


class Transition(models.Model):
    """One step of an article's workflow: who moved it, when, from which state to which,
    and why. Written by citydesk.newsroom.workflow and never changed afterwards."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("文章")
    )
    # The name is kept as well: the record outlives the account.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Article.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Article.Status.choices)
    stage = models.PositiveSmallIntegerField(_("审核进度"), default=0)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("流程记录")
        verbose_name_plural = _("流程记录")

    def __str__(self) -> str:
        return f"{self.actor_name}: {self.from_status} → {self.to_status}"


class Revision(models.Model):
    """The article's text as one save left it (`applied`), or as a save that was refused
    because someone else had saved first (not applied: kept, so no edit is ever lost)."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("文章")
    )
    # The article version this save made, or, for a refused save, the one it was made on.
    version = models.PositiveIntegerField(_("版本"))
    applied = models.BooleanField(_("已保存"), default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("修改人"),
    )
    author_name = models.CharField(_("修改人姓名"), max_length=150)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    fields = models.JSONField(_("内容"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["article", "-at"], name="revision_article_at")]
        verbose_name = _("修订版本")
        verbose_name_plural = _("修订版本")

    def __str__(self) -> str:
        return f"v{self.version} {self.author_name} {self.at:%Y-%m-%d %H:%M}"


class EditLock(models.Model):
    """Who has the article open for editing: a soft lock, shown to the others, not a
    refusal (the stale-save check is what keeps edits safe). It lapses unless renewed."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, related_name="edit_lock", verbose_name=_("文章")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("编辑")
    )
    user_name = models.CharField(_("编辑姓名"), max_length=150)
    since = models.DateTimeField(_("开始时间"), default=timezone.now)
    expires = models.DateTimeField(_("到期时间"))

    class Meta:
        verbose_name = _("编辑锁")
        verbose_name_plural = _("编辑锁")

    def __str__(self) -> str:
        return f"{self.user_name} 正在编辑"


class SensitiveWord(models.Model):
    """A word the sensitive-word check (citydesk.newsroom.sensitive) flags before a piece is
    submitted or published. Kept by chief editors and administrators in the admin."""

    word = models.CharField(_("敏感词"), max_length=50, unique=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("添加时间"), default=timezone.now)

    class Meta:
        ordering = ["word"]
        verbose_name = _("敏感词")
        verbose_name_plural = _("敏感词")

    def __str__(self) -> str:
        return self.word
