"""The newsroom minimum: the Django admin over every content model, in zh-hans."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citydesk.content import actions, images
from citydesk.content.blocks import blocks_to_text, text_to_blocks
from citydesk.content.models import (
    Article,
    ArticleCredit,
    Channel,
    Image,
    Person,
    Tag,
    Topic,
    TopicArticle,
)
from citydesk.newsroom import records as newsroom_records
from citydesk.search import queries as search_queries

admin.site.site_header = _("citydesk 编辑部")
admin.site.site_title = _("citydesk 编辑部")
admin.site.index_title = _("内容管理")

BODY_HELP = _(
    "每段一行。“## 小标题”为小标题；“[图片:编号 说明|摄影]”插入图片库中的图片；"
    "“[视频:网址 说明]”插入视频；“[分页]”为分页符。"
)


def _focal_field(label: Any, help_text: Any) -> forms.FloatField:
    # Optional: an upload without a focal point is cropped around its centre.
    return forms.FloatField(
        label=label, required=False, min_value=0, max_value=1, initial=0.5, help_text=help_text
    )


class ArticleForm(forms.ModelForm):
    source_url = forms.URLField(
        label=_("原文链接"), required=False, max_length=500, assume_scheme="https"
    )
    body_text = forms.CharField(
        label=_("正文"),
        widget=forms.Textarea(attrs={"rows": 24, "style": "width: 95%; font-size: 15px"}),
        required=False,
        help_text=BODY_HELP,
    )
    cover_focal_x = _focal_field(_("封面焦点横向位置"), _("裁切封面时保留的位置：0 最左，1 最右"))
    cover_focal_y = _focal_field(_("封面焦点纵向位置"), _("0 最上，1 最下"))
    # The version the form was opened on: a save after someone else's is refused.
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = Article
        fields = [
            "title", "subtitle", "summary", "kind", "source", "source_url",
            "byline_organization", "responsible_editor", "channels", "tags", "cover",
            "cover_focal_x", "cover_focal_y",
            "status", "published_at", "is_headline", "is_recommended", "is_slideshow",
            "is_pinned", "external_id",
        ]  # fmt: skip
        help_texts = {
            "published_at": _(
                "定时发布：状态选“已定时”并填写将来的时间，到点自动发布（误差不超过 2 秒）；"
                "状态选“已发布”而时间在将来的，同样按定时处理。"
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["body_text"].initial = blocks_to_text(self.instance.body)
            self.fields["base_version"].initial = self.instance.version

    def clean_cover(self) -> Any:
        cover = self.cleaned_data.get("cover")
        if cover:
            images.validate_upload(cover)
        return cover

    def clean_body_text(self) -> str:
        text: str = self.cleaned_data["body_text"]
        ids = [b["image_id"] for b in text_to_blocks(text) if b.get("image_id")]
        missing = set(ids) - set(Image.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if missing:
            raise forms.ValidationError(
                _("图片库中没有编号为 %(ids)s 的图片"),
                params={"ids": "、".join(str(i) for i in sorted(missing))},
            )
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        for name in ("cover_focal_x", "cover_focal_y"):
            if cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = 0.5
        base = cleaned.get("base_version")
        if self.instance.pk and base is not None:
            stored = Article.objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            if stored and stored[0] != base:
                raise forms.ValidationError(
                    _(
                        "这篇稿件在你打开之后已被他人保存（现为第%(v)d版），你的修改没有保存。"
                        "请复制你的修改，重新打开后再改；修订记录中可以看到对方的修改。"
                    ),
                    params={"v": stored[0]},
                )
        if cleaned.get("status") == Article.Status.SCHEDULED:
            at = cleaned.get("published_at")
            if at is None or at <= timezone.now():
                self.add_error("published_at", _("定时发布需要填写一个将来的发布时间"))
        return cleaned

    def save(self, commit: bool = True) -> Article:
        self.instance.body = actions.resolve_images(
            text_to_blocks(self.cleaned_data.get("body_text", ""))
        )
        article: Article = super().save(commit=commit)
        return article


class ArticleCreditInline(admin.TabularInline):
    model = ArticleCredit
    extra = 1
    autocomplete_fields = ["person"]


class TopicArticleInline(admin.TabularInline):
    model = TopicArticle
    extra = 1
    autocomplete_fields = ["article"]


class ChannelFilter(admin.SimpleListFilter):
    """栏目, with its sub-channels, by EXISTS: the stock filter joins the link table and
    makes the list SELECT DISTINCT over every column, seconds at 87,000 articles."""

    title = _("栏目")
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(c.pk), c.name) for c in Channel.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        ids = Channel.objects.filter(Q(pk=value) | Q(parent_id=value)).values("pk")
        links = Article.channels.through.objects.filter(
            article_id=OuterRef("pk"), channel_id__in=ids
        )
        return queryset.filter(Exists(links))


class ArticleChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> Any:
        # A list row never shows the body, the bulk of each article's row.
        return super().get_queryset(request, exclude_parameters).defer("body")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = ["title", "status", "published_at", "source", "is_headline", "is_recommended"]
    list_filter = [
        "status",
        ChannelFilter,
        "published_at",
        "kind",
        "is_headline",
        "is_recommended",
        "is_slideshow",
    ]
    # Searched by get_search_results; no date_hierarchy: its year links scan the archive.
    search_fields = ["title", "external_id"]
    autocomplete_fields = ["responsible_editor", "tags"]
    filter_horizontal = ["channels"]
    inlines = [ArticleCreditInline]
    readonly_fields = ["view_count", "created_at", "updated_at"]
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) over a large archive is slow on every page
    SEARCH_LIMIT = 2000
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "subtitle", "summary", "kind", "body_text", "base_version"]}),
        (
            _("署名与来源"),
            {"fields": ["source", "source_url", "byline_organization", "responsible_editor"]},
        ),
        (_("栏目与标签"), {"fields": ["channels", "tags"]}),
        (_("图片"), {"fields": ["cover", "cover_focal_x", "cover_focal_y"]}),
        (
            _("发布"),
            {
                "fields": [
                    "status",
                    "published_at",
                    "is_headline",
                    "is_recommended",
                    "is_slideshow",
                    "is_pinned",
                ]
            },
        ),
        (
            _("统计"),
            {
                "fields": ["view_count", "external_id", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ArticleChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Article], search_term: str
    ) -> tuple[QuerySet[Article], bool]:
        """Live articles through the search index (Chinese words, not LIKE over 87,000
        titles; the newest SEARCH_LIMIT matches), the rest (drafts, submitted, taken
        down: few) by their titles, and an exact external id."""
        term = search_term.strip()
        if not term:
            return queryset, False
        live = search_queries.live_ids_matching(term, limit=self.SEARCH_LIMIT)
        not_live = [s for s in Article.Status.values if s != Article.Status.PUBLISHED]
        others = Article.objects.filter(
            Q(status__in=not_live, title__icontains=term) | Q(external_id=term)
        ).values_list("pk", flat=True)[: self.SEARCH_LIMIT]
        # One list of ids: an OR of the conditions would make the database test every row.
        return queryset.filter(pk__in=[*live, *others]), False

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        # The form has already changed `obj` in memory; the database still holds the old
        # state, which decides the pages that showed the article before this save.
        # Kept on the object, not on this admin, which every request thread shares.
        obj._state_before = actions.article_state(obj.pk) if change else None  # type: ignore[attr-defined]
        obj._status_before = (  # type: ignore[attr-defined]
            Article.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            if change
            else None
        )
        if obj.status == Article.Status.PUBLISHED:
            if obj.published_at is None:
                obj.published_at = timezone.now()
            elif obj.published_at > timezone.now():
                # Only the worker makes an article live later, so its pages are purged then.
                obj.status = Article.Status.SCHEDULED
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = getattr(form.instance, "_state_before", None)
        # The admin is the administrators' way in: its saves are kept and audited like
        # the newsroom editor's (a revision each, a workflow record for a status change).
        newsroom_records.admin_saved(
            request.user, form.instance, getattr(form.instance, "_status_before", None)
        )
        actions.announce_article_change(form.instance.pk, before)

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        before = actions.article_state(obj.pk)
        pk = obj.pk
        super().delete_model(request, obj)
        actions.announce_article_change(pk, before)

    @admin.action(description=_("发布所选文章"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            actions.do_publish_article(article)
        self.message_user(request, _("已发布 %d 篇文章") % queryset.count(), messages.SUCCESS)

    @admin.action(description=_("撤下所选文章"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            actions.do_unpublish_article(article)
        self.message_user(request, _("已撤下 %d 篇文章") % queryset.count(), messages.SUCCESS)


class AnnounceChangesMixin:
    """Channel, topic, person and tag edits refresh every page that names them."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        actions.announce_related_change(form.instance)


@admin.register(Channel)
class ChannelAdmin(AnnounceChangesMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "parent", "position", "in_nav"]
    list_editable = ["position", "in_nav"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(AnnounceChangesMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "is_published", "position", "created_at"]
    inlines = [TopicArticleInline]


@admin.register(Person)
class PersonAdmin(AnnounceChangesMixin, admin.ModelAdmin):
    list_display = ["name", "organization", "title"]
    search_fields = ["name", "organization"]


@admin.register(Tag)
class TagAdmin(AnnounceChangesMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]


class ImageForm(forms.ModelForm):
    focal_x = _focal_field(_("焦点横向位置"), _("裁切时保留的焦点：0 为最左，1 为最右，0.5 居中"))
    focal_y = _focal_field(_("焦点纵向位置"), _("0 为最上，1 为最下，0.5 居中"))

    class Meta:
        model = Image
        fields = ["file", "title", "caption", "credit", "focal_x", "focal_y"]

    def clean_file(self) -> Any:
        file = self.cleaned_data.get("file")
        if file:
            images.validate_upload(file)
        return file

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        for name in ("focal_x", "focal_y"):
            if cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = 0.5
        return cleaned


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageForm
    list_display = ["id", "title", "caption", "credit", "width", "height", "created_at"]
    search_fields = ["title", "caption", "credit"]
