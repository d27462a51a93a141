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


class Proposal(models.Model):
    """报题 and 选题: a story a reporter proposes, which the planning meeting (选题会)
    approves, merges into another, or rejects with a reason; approved, it gets
    assignments, and it is done when its pieces are. citydesk.newsroom.planning moves it
    through PLAN_STEPS."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("已报题")
        APPROVED = "approved", _("已通过")
        MERGED = "merged", _("已合并")
        REJECTED = "rejected", _("未通过")
        DONE = "done", _("已完成")

    class Media(models.TextChoices):
        TEXT = "text", _("文字")
        PHOTO = "photo", _("图片")
        VIDEO = "video", _("视频")
        LIVE = "live", _("直播")

    title = models.CharField(_("题目"), max_length=100)
    angle = models.TextField(_("角度"), blank=True)
    channel = models.ForeignKey(
        "content.Channel", on_delete=models.PROTECT, related_name="+", verbose_name=_("栏目")
    )
    expected_at = models.DateTimeField(_("预计刊发时间"))
    media = models.JSONField(_("所需形式"), default=list)  # Media values
    sources = models.TextField(_("线索来源"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    reason = models.TextField(_("意见"), blank=True)  # why rejected, or merged
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged",
        verbose_name=_("并入"),
    )  # fmt: skip
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("报题人"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("报题时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("审批人"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        ordering = ["expected_at", "id"]
        indexes = [models.Index(fields=["status", "expected_at"], name="proposal_plan")]
        verbose_name = _("选题")
        verbose_name_plural = _("选题")

    def __str__(self) -> str:
        return self.title

    def media_labels(self) -> str:
        return "、".join(str(self.Media(m).label) for m in self.media if m in self.Media.values)


class Assignment(models.Model):
    """派单: one person's part of an approved 选题 (文, 摄 or 视频) by a deadline. Opening
    it makes the draft, linked to the 选题, with the assignee in its byline."""

    class Role(models.TextChoices):
        WRITER = "writer", _("文")
        PHOTOGRAPHER = "photographer", _("摄")
        VIDEO = "video", _("视频")

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("选题")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments",
        verbose_name=_("承担人"),
    )  # fmt: skip
    role = models.CharField(_("分工"), max_length=12, choices=Role.choices)
    deadline = models.DateTimeField(_("截稿时间"))
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments",
        verbose_name=_("稿件"),
    )  # fmt: skip
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("派单人"),
    )  # fmt: skip
    assigned_at = models.DateTimeField(_("派单时间"), default=timezone.now)

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "person", "role"], name="assignment_once_per_role"
            )
        ]
        verbose_name = _("派单")
        verbose_name_plural = _("派单")

    def __str__(self) -> str:
        return f"{self.proposal}：{self.get_role_display()}"


class Notice(models.Model):
    """An in-app notice to one member of the newsroom (a new assignment), shown on their
    dashboard until they read it. A deadline drawing near needs no row: the dashboard
    works it out from the assignments (planning.due_soon)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices",
        verbose_name=_("收件人"),
    )  # fmt: skip
    text = models.CharField(_("内容"), max_length=200)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_unread")]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        return self.text
