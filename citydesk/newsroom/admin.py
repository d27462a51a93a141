"""The newsroom's tables in the admin: the sensitive-word list (kept by chief editors
and administrators), the workflow's record (read-only), and the articles, whose state
changes here only through the workflow's steps (citydesk.newsroom.workflow), checked
and recorded as in the newsroom."""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from citydesk.content import actions as content
from citydesk.content.admin import (
    CleanedPicturesForm,
    focal_field,
    inline_rows,
    saved_by_the_door,
)
from citydesk.content.blocks import blocks_to_text, text_to_blocks
from citydesk.content.models import Article, ArticleCredit, Channel, Image
from citydesk.core.rows import planned_rows
from citydesk.newsroom import actions as newsroom
from citydesk.newsroom import records, revisions, sensitive, workflow
from citydesk.newsroom.models import SensitiveWord, Transition
from citydesk.newsroom.roles import Action, allows, role_of
from citydesk.search import queries as search_queries

Status = Article.Status


@admin.register(SensitiveWord)
class SensitiveWordAdmin(admin.ModelAdmin):
    list_display = ["word", "note", "created_at"]
    search_fields = ["word", "note"]
    fields = ["word", "note"]


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    """The audit trail is written by the workflow only, and never changed."""

    list_display = ["at", "article", "actor_name", "action", "from_status", "to_status"]
    list_filter = ["action", "to_status"]
    search_fields = ["actor_name", "comment"]
    raw_id_fields = ["article", "actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# Articles ---------------------------------------------------------------------------------
# The admin's article form edits fields; the state changes only through the workflow's
# steps (流程操作), checked and recorded as in the newsroom: no one can do here what the
# newsroom refuses them.

BODY_HELP = _(
    "每段一行。“## 小标题”为小标题；“[图片:编号 说明|摄影]”插入图片库中的图片；"
    "“[视频:网址 说明]”插入视频；“[分页]”为分页符。"
)
NO_STEP = ("", _("（不改变状态）"))
RELEASED = (Status.PUBLISHED, Status.SCHEDULED)


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class ArticleForm(CleanedPicturesForm):
    source_url = forms.URLField(
        label=_("原文链接"), required=False, max_length=500, assume_scheme="https"
    )
    body_text = forms.CharField(
        label=_("正文"),
        widget=forms.Textarea(attrs={"rows": 24, "style": "width: 95%; font-size: 15px"}),
        required=False,
        help_text=BODY_HELP,
    )
    cover_focal_x = focal_field(_("封面焦点横向位置"), _("裁切封面时保留的位置：0 最左，1 最右"))
    cover_focal_y = focal_field(_("封面焦点纵向位置"), _("0 最上，1 最下"))
    # The version the form was opened on: a save after someone else's is refused.
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    step = forms.ChoiceField(
        label=_("流程操作"),
        required=False,
        choices=[NO_STEP],
        help_text=_("保存修改后执行所选的流程步骤（只列出你的角色和稿件状态允许的步骤）"),
    )
    step_comment = forms.CharField(
        label=_("流程意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("退回意见、撤稿原因必填"),
    )
    override_reason = forms.CharField(
        label=_("敏感词放行理由"),
        required=False,
        max_length=500,
        help_text=_("稿件含有敏感词时，签发编辑填写理由后放行；理由记入流程记录"),
    )
    # Who fills the form (ArticleAdmin.get_form sets it on the class it makes per request);
    # None: no workflow step is offered.
    user: User | None = None

    class Meta:
        model = Article
        fields = [
            "title", "subtitle", "summary", "kind", "source", "source_url",
            "byline_organization", "responsible_editor", "channels", "tags", "cover",
            "cover_focal_x", "cover_focal_y",
            "published_at", "is_headline", "is_recommended", "is_slideshow",
            "is_pinned", "external_id",
        ]  # fmt: skip
        help_texts = {
            "published_at": _(
                "定时发布：在“流程操作”中选择“定时发布”，并在这里填写将来的时间，到点自动发布"
                "（误差不超过 2 秒）。已发布的稿件可以改为更早的时间。"
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["body_text"].initial = blocks_to_text(self.instance.body)
            self.fields["base_version"].initial = self.instance.version
        steps = workflow.offered(self.user, self.workflow_article()) if self.user else []
        step_field = cast(forms.ChoiceField, self.fields["step"])
        step_field.choices = [NO_STEP, *((s.name, s.label) for s in steps)]
        self.edit_note = ""  # the revision's note: words let through in an edit

    def workflow_article(self) -> Article:
        """The article the steps are taken on: as stored, or the draft a new one will be."""
        if self.instance.pk:
            return self.instance
        return Article(status=Status.DRAFT, created_by=self.user)

    def clean_body_text(self) -> str:
        text: str = self.cleaned_data["body_text"]
        ids = [b["image_id"] for b in text_to_blocks(text) if b.get("image_id")]
        missing = set(ids) - set(Image.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if missing:
            raise forms.ValidationError(
                _("图片库中没有编号为 %(ids)s 的图片"),
                params={"ids": "、".join(str(i) for i in sorted(missing))},
            )
        self.cleaned_data["body"] = content.resolve_images(text_to_blocks(text))
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        for name in ("cover_focal_x", "cover_focal_y"):
            if cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = 0.5
        stored = Article.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        base = cleaned.get("base_version")
        if stored is not None and base is not None and stored.version != base:
            raise forms.ValidationError(
                _(
                    "这篇稿件在你打开之后已被他人保存（现为第%(v)d版），你的修改没有保存。"
                    "请复制你的修改，重新打开后再改；修订记录中可以看到对方的修改。"
                ),
                params={"v": stored.version},
            )
        if self.user is None or self.errors:
            return cleaned
        self._clean_time(stored, cleaned)
        # The text as it will be once saved: what the sensitive-word checks read.
        text = {
            name: cleaned[name] if name in cleaned else getattr(self.instance, name)
            for name in sensitive.FIELDS
        }
        override = cleaned.get("override_reason", "")
        try:
            if stored is not None and stored.status in RELEASED:
                # As the editor does for a released piece: only words it did not hold.
                self.edit_note = revisions.new_words_note(self.user, stored, text, override)
            if cleaned.get("step"):
                newsroom.check(
                    self.user,
                    stored or self.workflow_article(),
                    cleaned["step"],
                    cleaned.get("step_comment", ""),
                    override_reason=override,
                    text=text,
                )
        except newsroom.SensitiveWords as exc:
            where = "；".join(f"{hit.where}：{hit.word}" for hit in exc.hits)
            self.add_error("override_reason", f"{exc}（{where}）")
        except (newsroom.WorkflowError, PermissionDenied) as exc:
            self.add_error("step", str(exc))
        return cleaned

    def _clean_time(self, stored: Article | None, cleaned: dict[str, Any]) -> None:
        """发布时间: the time of 定时发布; otherwise only an earlier time of a released
        piece, so that no time takes a piece off the site or on it outside the workflow."""
        if "published_at" not in self.fields:
            return  # read-only for this user
        at = cleaned.get("published_at")
        now = timezone.now()
        if cleaned.get("step") == "schedule":
            if at is None or at <= now:
                self.add_error("published_at", _("定时发布需要填写一个将来的发布时间"))
            return
        if "published_at" not in self.changed_data:
            return
        if stored is not None and stored.status == Status.SCHEDULED:
            self.add_error(
                "published_at",
                _("改定时发布的时间，请在“流程操作”中选择“定时发布”；立即发布请选择“签发”"),
            )
        elif at is not None and at > now:
            self.add_error(
                "published_at", _("发布时间不能在将来；定时发布请在“流程操作”中选择“定时发布”")
            )

    def changes(self) -> dict[str, Any]:
        """The article's fields this form changes (all of a new one's), for
        content.edit_article; the time of 定时发布 is the step's, not an edit."""
        names = [n for n in self._meta.fields or [] if n in self.cleaned_data]
        names = [n for n in names if n in content.EDITABLE]
        if self.instance.pk:
            names = [n for n in names if n in self.changed_data]
        if self.cleaned_data.get("step") == "schedule":
            names = [n for n in names if n != "published_at"]
        # construct_instance has put the cleaned values on the instance (files included).
        found = {name: getattr(self.instance, name) for name in names}
        if "body" in self.cleaned_data and (
            not self.instance.pk or "body_text" in self.changed_data
        ):
            found["body"] = self.cleaned_data["body"]
        return found

    def links(self) -> dict[str, list[Any]]:
        """The channels and tags to store (content.edit_article's arguments): those the
        form changes, all of a new article's."""
        return {
            name: list(self.cleaned_data[name])
            for name in ("channels", "tags")
            if name in self.cleaned_data and (not self.instance.pk or name in self.changed_data)
        }

    def save(self, commit: bool = True) -> Article:
        if commit:
            raise ValueError(
                "文章只经 citydesk.content.actions 保存（见 ArticleAdmin.save_related）"
            )
        article: Article = super().save(commit=False)
        return article


class ArticleCreditInline(admin.TabularInline):
    model = ArticleCredit
    extra = 1
    autocomplete_fields = ["person"]


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


class ArchivePaginator(Paginator):
    """The article list's pages: on PostgreSQL a list the planner expects to hold over
    ESTIMATED_ABOVE articles is counted by that estimate, shown as about so many, since
    COUNT(*) reads every row of it (most of the list's time at 1,000,000 articles);
    smaller lists (a search, a filter of a few) are counted exactly."""

    ESTIMATED_ABOVE = 20_000
    estimated = False

    @cached_property
    def count(self) -> int:
        planned = planned_rows(cast(QuerySet[Article], self.object_list))
        if planned is not None and planned > self.ESTIMATED_ABOVE:
            self.estimated = True
            return planned
        return super().count

    def validate_number(self, number: Any) -> int:
        # Past an estimate's last page there may be more (it was low): such a page is
        # shown, empty if there is nothing there, instead of refused.
        if self.count and self.estimated and str(number).isdigit() and int(number) >= 1:
            return int(number)
        return super().validate_number(number)


class ArticleChangeList(ChangeList):
    def get_ordering_field(self, field_name: Any) -> Any:
        # A column the list offers no sort for is not sorted by from a typed-in ?o= either.
        sortable = field_name in (self.sortable_by or ())
        return super().get_ordering_field(field_name) if sortable else None

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
    readonly_fields = ["status", "review_stage", "view_count", "created_at", "updated_at"]
    # Sorted by an index only: any other column sorts the whole archive (0.7 s at
    # 1,000,000 articles); status and the flags have their filters.
    sortable_by = ["title", "published_at"]
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
            _("流程"),
            {
                "fields": [
                    "status",
                    "review_stage",
                    "step",
                    "step_comment",
                    "override_reason",
                    "published_at",
                ]
            },
        ),
        (_("推荐"), {"fields": ["is_headline", "is_recommended", "is_slideshow", "is_pinned"]}),
        (
            _("统计"),
            {
                "fields": ["view_count", "external_id", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]

    # Who may do what: the newsroom's rules over Django's permissions ---------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        role = role_of(request.user)
        return super().has_add_permission(request) and allows(role, Action.CREATE)

    def get_queryset(self, request: HttpRequest) -> Any:
        """The embargo as in the newsroom: without the `read_others` cell, the pieces not
        live yet are one's own only (newsroom.actions.may_read)."""
        articles = super().get_queryset(request)
        user = _user(request)
        if user is None or allows(role_of(user), Action.READ_OTHERS):
            return articles
        live = Article.objects.published().values("pk")
        return articles.filter(Q(created_by=user) | Q(pk__in=live))

    def has_change_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        """Changing a piece is for those who may edit it in the newsroom (a writer their
        own draft; editors any piece but a retracted one); others see it read-only."""
        allowed = super().has_change_permission(request, obj)
        user = _user(request)
        if obj is None or not allowed or user is None:
            return allowed and user is not None
        return newsroom.may_edit(user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        user = _user(request)
        if not allowed or user is None:
            return False
        return role_of(user) is not None if obj is None else newsroom.may_delete(user, obj)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return allows(role_of(request.user), Action.PUBLISH)

    def has_unpublish_permission(self, request: HttpRequest) -> bool:
        return allows(role_of(request.user), Action.UNPUBLISH)

    def get_readonly_fields(self, request: HttpRequest, obj: Article | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not allows(role_of(request.user), Action.SCHEDULE):
            fields.append("published_at")  # the time is the signing editors'
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Article | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the state and the record, not the boxes of a step one cannot take.
        steps = {"step", "step_comment", "override_reason", "base_version"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in steps]})
            for name, options in fieldsets
        ]

    def get_form(
        self, request: HttpRequest, obj: Article | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = cast(type[ArticleForm], super().get_form(request, obj, change=change, **kwargs))
        # modelform_factory made this class for this request alone.
        form.user = _user(request)
        return form

    paginator = ArchivePaginator

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

    # Saving: the one door, the newsroom's records, the workflow ---------------------------

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        """Stored by save_related, which has the inline's credits too: one change (a new
        article is created there, as the user's draft)."""
        if not change:
            obj.created_by = _user(request)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        article: Article = form.instance
        credits = None
        for formset in formsets:
            if formset.model is ArticleCredit and (not change or formset.has_changed()):
                credits = [(row["role"], row["person"]) for row in inline_rows(formset)]
            saved_by_the_door(formset)
        records.admin_save(
            request.user,
            article,
            form.changes(),
            credits=credits,
            note=form.edit_note,
            **form.links(),
        )
        name = form.cleaned_data.get("step")
        if name:
            self._take(request, article, name, form)

    def _take(self, request: HttpRequest, article: Article, name: str, form: Any) -> None:
        """The chosen step, for the user, after the save (the form checked it already;
        this refusal is a race: someone moved the piece in between)."""
        label = workflow.STEPS[name].label
        user = _user(request)
        try:
            if user is None:
                raise PermissionDenied("请先登录")
            newsroom.take(
                user,
                article,
                name,
                form.cleaned_data.get("step_comment", ""),
                override_reason=form.cleaned_data.get("override_reason", ""),
                at=form.cleaned_data.get("published_at"),
            )
        except (newsroom.WorkflowError, PermissionDenied) as exc:
            self.message_user(request, f"修改已保存，但没有{label}：{exc}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"《{article.title}》：{label}，现为“{article.get_status_display()}”",
                messages.SUCCESS,
            )

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        user = _user(request)
        if user is None:
            raise PermissionDenied("请先登录")
        newsroom.delete(user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            self.delete_model(request, article)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Pieces the user may not delete are listed as such: the confirmation page says
        so, and confirming answers 403 (Django's own refusal), deleting none."""
        deleted, counts, refused, protected = super().get_deleted_objects(objs, request)
        # An article's workflow record goes with it (nobody deletes it on its own).
        refused.discard(str(Transition._meta.verbose_name))
        user = _user(request)
        for article in objs:
            if user is None or not newsroom.may_delete(user, article):
                refused.add(f"稿件《{article.title}》")
        return deleted, counts, refused, protected

    # Bulk steps: each article through the workflow, each refusal said -------------------

    @admin.action(description=_("签发所选稿件"), permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._bulk(request, queryset, "publish")

    @admin.action(description=_("撤下所选稿件"), permissions=["unpublish"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._bulk(request, queryset, "unpublish")

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Article], name: str) -> None:
        step = workflow.STEPS[name]
        user = _user(request)
        done = 0
        for article in queryset.order_by("pk"):
            try:
                if user is None:
                    raise PermissionDenied("请先登录")
                newsroom.take(user, article, name)
            except (newsroom.WorkflowError, PermissionDenied) as exc:
                self.message_user(
                    request, f"《{article.title}》没有{step.label}：{exc}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, f"已{step.label} {done} 篇稿件", messages.SUCCESS)
