"""The content model: channels, topics, people, tags, images and articles."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citydesk.content.sanitize import clean_blocks
from citydesk.core import shown
from citydesk.core.urls import reverse


class Channel(models.Model):
    class Kind(models.TextChoices):
        LIST = "list", _("栏目")
        ROLLING = "rolling", _("滚动")
        TOPICS = "topics", _("专题")
        VIDEO = "video", _("视频")

    name = models.CharField(_("名称"), max_length=50)
    slug = models.SlugField(_("网址名"), max_length=50, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级栏目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.LIST)
    position = models.PositiveIntegerField(_("排序"), default=0)
    description = models.TextField(_("简介"), blank=True)
    in_nav = models.BooleanField(_("显示在导航"), default=True)
    # 三审: an article in this channel passes three reviews before it may be published
    # (初审, 复审, 终审 by a chief editor), not one.
    three_stage_review = models.BooleanField(_("三审"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("栏目")
        verbose_name_plural = _("栏目")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        shown.note(self)
        if self.kind == self.Kind.TOPICS:
            return reverse("portal:topic_list")
        return reverse("portal:channel", args=[self.slug])


class Person(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    slug = models.SlugField(_("网址名"), max_length=80, unique=True, allow_unicode=True)
    organization = models.CharField(_("单位"), max_length=100, blank=True)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    bio = models.TextField(_("简介"), blank=True)
    photo = models.ImageField(_("照片"), upload_to="people/", blank=True)
    # The newsroom account whose byline this is: their own 稿费 and dashboard find it
    # by this link, not by a display name two people may share.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="byline_person", verbose_name=_("编辑部账号"),
        help_text=_("本人登录编辑部时，按此账号查看自己的稿费"),
    )  # fmt: skip

    class Meta:
        ordering = ["name"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        shown.note(self)
        return reverse("portal:person", args=[self.slug])


class Tag(models.Model):
    name = models.CharField(_("名称"), max_length=50, unique=True)
    slug = models.SlugField(_("网址名"), max_length=80, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("标签")
        verbose_name_plural = _("标签")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        shown.note(self)
        return reverse("portal:tag", args=[self.slug])


class Image(models.Model):
    file = models.ImageField(
        _("图片文件"), upload_to="images/%Y/%m/", width_field="width", height_field="height"
    )
    title = models.CharField(_("标题"), max_length=200, blank=True)
    caption = models.CharField(_("图片说明"), max_length=300, blank=True)
    credit = models.CharField(_("图片来源/摄影"), max_length=100, blank=True)
    width = models.PositiveIntegerField(_("宽"), default=0, editable=False)
    height = models.PositiveIntegerField(_("高"), default=0, editable=False)
    # The point a crop keeps in view, as fractions of the width and height (0.5: centre).
    focal_x = models.FloatField(_("焦点横向位置"), default=0.5)
    focal_y = models.FloatField(_("焦点纵向位置"), default=0.5)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("图片")
        verbose_name_plural = _("图片")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="image_focal_point_inside",
            )
        ]

    def __str__(self) -> str:
        return self.title or self.caption or str(self.file.name)


class Rendition(models.Model):
    """One size of a library image, as WebP, made once by the worker
    (citydesk.content.tasks.make_renditions), never on a reader's request."""

    image = models.ForeignKey(
        Image, on_delete=models.CASCADE, related_name="renditions", verbose_name=_("图片")
    )
    spec = models.CharField(_("规格"), max_length=20)  # a key of images.SPECS
    file = models.ImageField(
        _("文件"), upload_to="renditions/%Y/%m/", width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(_("宽"), default=0)
    height = models.PositiveIntegerField(_("高"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "spec"], name="rendition_once_per_spec")
        ]
        verbose_name = _("图片规格")
        verbose_name_plural = _("图片规格")

    def __str__(self) -> str:
        return f"{self.image_id} {self.spec}"


class Topic(models.Model):
    title = models.CharField(_("标题"), max_length=100)
    slug = models.SlugField(_("网址名"), max_length=80, unique=True)
    intro = models.TextField(_("导语"), blank=True)
    cover = models.ImageField(_("封面"), upload_to="topics/", blank=True)
    is_published = models.BooleanField(_("已发布"), default=True)
    position = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    articles: "models.ManyToManyField[Article, TopicArticle]" = models.ManyToManyField(
        "Article", through="TopicArticle", related_name="topics", verbose_name=_("文章")
    )

    class Meta:
        ordering = ["position", "-created_at"]
        verbose_name = _("专题")
        verbose_name_plural = _("专题")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        shown.note(self)
        return reverse("portal:topic", args=[self.slug])


class TopicArticle(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, verbose_name=_("专题"))
    article = models.ForeignKey("Article", on_delete=models.CASCADE, verbose_name=_("文章"))
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "id"]
        unique_together = [("topic", "article")]
        verbose_name = _("专题文章")
        verbose_name_plural = _("专题文章")

    def __str__(self) -> str:
        return f"{self.topic} / {self.article}"


class ArticleQuerySet(models.QuerySet["Article"]):
    def published(self) -> "ArticleQuerySet":
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        # The newsroom's review (citydesk/newsroom/workflow.py): submitted for review,
        # returned to the writer with a comment, approved for publishing.
        SUBMITTED = "submitted", _("待审")
        RETURNED = "returned", _("退回")
        APPROVED = "approved", _("已审核")
        PUBLISHED = "published", _("已发布")
        # Goes live at published_at, when the worker publishes it (citydesk/worker).
        SCHEDULED = "scheduled", _("已定时")
        UNPUBLISHED = "unpublished", _("已撤下")
        RETRACTED = "retracted", _("已撤稿")

    class Kind(models.TextChoices):
        ARTICLE = "article", _("文章")
        VIDEO = "video", _("视频")

    title = models.CharField(_("标题"), max_length=200)
    subtitle = models.CharField(_("副标题"), max_length=200, blank=True)
    summary = models.TextField(_("摘要"), blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.ARTICLE)
    cover = models.ImageField(_("封面图"), upload_to="covers/%Y/%m/", blank=True)
    # Where a cropped cover (a card's 4:3, the headline's wide frame) stays centred, as
    # fractions of the width and height, like a library image's focal point.
    cover_focal_x = models.FloatField(
        _("封面焦点横向位置"), default=0.5, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    cover_focal_y = models.FloatField(
        _("封面焦点纵向位置"), default=0.5, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    source = models.CharField(_("来源"), max_length=100, blank=True)
    source_url = models.URLField(_("原文链接"), max_length=500, blank=True)
    byline_organization = models.CharField(_("署名单位"), max_length=100, blank=True)
    responsible_editor = models.ForeignKey(
        Person,
        verbose_name=_("责编"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="edited_articles",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    channels = models.ManyToManyField(
        Channel, verbose_name=_("栏目"), related_name="articles", blank=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), related_name="articles", blank=True)
    is_headline = models.BooleanField(_("头条"), default=False)
    is_recommended = models.BooleanField(_("推荐"), default=False)
    is_slideshow = models.BooleanField(_("幻灯"), default=False)
    is_pinned = models.BooleanField(_("置顶"), default=False)
    body = models.JSONField(_("正文"), default=list, blank=True)
    # Bumped by every newsroom save (citydesk.newsroom.revisions): a save made on an
    # older version is refused instead of overwriting what someone else saved meanwhile.
    version = models.PositiveIntegerField(_("版本"), default=0)
    # How many review stages it has passed since it was last submitted (三审: three).
    review_stage = models.PositiveSmallIntegerField(_("审核进度"), default=0)
    view_count = models.PositiveIntegerField(_("阅读数"), default=0)
    # Stable identity of an imported item ("xwlb:VIDE…"), so a second import adds nothing.
    external_id = models.CharField(
        _("外部编号"), max_length=120, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    # The newsroom account that wrote it (imports and scripts leave it empty).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作者账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("文章")
        verbose_name_plural = _("文章")
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_pub"),
            # The newsroom's list: every status, newest first, 50 a page.
            models.Index(fields=["-published_at", "-id"], name="article_pub_id"),
            models.Index(fields=["view_count"], name="article_views"),
            # The newsroom's list sorted by title (ties by id: an incremental sort).
            models.Index(fields=["title"], name="article_title"),
            # Partners syncing through the API read changes oldest first (updated_since).
            models.Index(fields=["updated_at", "id"], name="article_updated"),
            # The flags pick a handful of articles out of an archive of ~100,000: partial
            # indexes make each pick a short index walk instead of a scan of every row.
            *[
                models.Index(
                    fields=["status", "-published_at"],
                    condition=models.Q(**{flag: True}),
                    name=f"article_{flag}",
                )
                for flag in ("is_headline", "is_slideshow", "is_recommended", "is_pinned")
            ],
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body = clean_blocks(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        shown.note(self)
        return reverse("portal:article", args=[self.pk])

    @property
    def cover_position(self) -> str:
        """The cover's focal point as CSS object-position: the browser crops around it."""
        return f"{self.cover_focal_x * 100:g}% {self.cover_focal_y * 100:g}%"

    def page_url(self, number: int) -> str:
        if number <= 1:
            return self.get_absolute_url()
        return reverse("portal:article_page", args=[self.pk, number])

    @property
    def is_live(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    def pages(self) -> list[list[dict[str, Any]]]:
        """The body split at page breaks; an empty page (two breaks in a row) is dropped."""
        pages: list[list[dict[str, Any]]] = [[]]
        for block in self.body:
            if block.get("type") == "pagebreak":
                pages.append([])
            else:
                pages[-1].append(block)
        return [page for page in pages if page] or [[]]

    @property
    def page_count(self) -> int:
        return len(self.pages())

    def plain_text(self) -> str:
        from django.utils.html import strip_tags

        return "\n".join(
            strip_tags(b.get("text", ""))
            for b in self.body
            if b.get("type") in ("paragraph", "heading")
        )


class ArticleCredit(models.Model):
    """One person named in an article's byline, in a role."""

    class Role(models.TextChoices):
        WRITER = "writer", _("文")
        PHOTOGRAPHER = "photographer", _("摄")
        VIDEO_EDITOR = "video_editor", _("视频编辑")
        TEXT_EDITOR = "text_editor", _("文字编辑")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="credits", verbose_name=_("文章")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="credits", verbose_name=_("人员")
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "id"]
        unique_together = [("article", "person", "role")]
        verbose_name = _("署名")
        verbose_name_plural = _("署名")

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class LiveCoverage(models.Model):
    """图文直播: an article followed by short updates posted as an event goes on (a
    plenary session, a marathon, a typhoon). Its state follows from its times."""

    class State(models.TextChoices):
        UPCOMING = "upcoming", _("预告")
        LIVE = "live", _("直播中")
        ENDED = "ended", _("已结束")

    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="live",
        verbose_name=_("稿件"),
    )  # fmt: skip
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Seconds between a reader's checks for new updates, as the desk sets it.
    poll_seconds = models.PositiveSmallIntegerField(_("刷新间隔（秒）"), default=3)

    class Meta:
        verbose_name = _("图文直播")
        verbose_name_plural = _("图文直播")

    def __str__(self) -> str:
        return f"{self.article}（{self.state_label()}）"

    def state(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.ends_at is not None and self.ends_at <= now:
            return self.State.ENDED
        return self.State.LIVE if self.starts_at <= now else self.State.UPCOMING

    def state_label(self) -> str:
        return str(self.State(self.state()).label)


class LiveUpdate(models.Model):
    """One update of a live article: text, a picture or a video, with its time and author."""

    class Kind(models.TextChoices):
        TEXT = "text", _("文字")
        PICTURE = "picture", _("图片")
        VIDEO = "video", _("视频")

    coverage = models.ForeignKey(
        LiveCoverage, on_delete=models.CASCADE, related_name="updates", verbose_name=_("直播")
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField(_("内容"), max_length=2000, blank=True)
    image = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("图片"),
    )  # fmt: skip
    video_url = models.URLField(_("视频地址"), max_length=500, blank=True)
    author = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("作者"),
    )  # fmt: skip
    posted_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    edited_at = models.DateTimeField(_("修改时间"), null=True, blank=True)
    pinned = models.BooleanField(_("置顶"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("账号"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("直播更新")
        verbose_name_plural = _("直播更新")
        ordering = ["-pinned", "-posted_at", "-id"]
        indexes = [models.Index(fields=["coverage", "-posted_at"], name="live_update_newest")]

    def __str__(self) -> str:
        return self.text[:30] or self.get_kind_display()


class ChannelListing(models.Model):
    """A live article in a channel's list, at its publish time. With TagListing, the
    links of the live articles, copied by the door (`actions.announce_article_change`)
    as each article changes, and read by `queries.channel_articles` and `tag_articles`.

    Why a copy: a list is its newest live articles. Walking the articles' publish-time
    index and testing each for the channel reads every newer article of the others
    first (0.8 s for a big channel whose newest articles are old, 3 s for such a tag, at
    1,000,000 articles); reading a small list's articles by id and sorting them costs a
    table page each (0.1 to 0.5 s for 2,000). These tables' indexes hold each list
    newest first, so a page is a short walk.
    """

    # No index of their own: the two below lead with each (fewer to keep up in imports).
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="channel_listings", db_index=False
    )
    published_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = _("栏目列表条目")
        unique_together = [("article", "channel")]
        indexes = [
            models.Index(
                fields=["channel", "-published_at", "-article"], name="channel_listing_newest"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} / {self.article_id}"


class TagListing(models.Model):
    """A live article in a tag's list, at its publish time (see ChannelListing)."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+", db_index=False)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="tag_listings", db_index=False
    )
    published_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = _("标签列表条目")
        unique_together = [("article", "tag")]
        indexes = [
            models.Index(fields=["tag", "-published_at", "-article"], name="tag_listing_newest")
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} / {self.article_id}"
