"""The Django admin over channels, topics, people, tags and the image library, in zh-hans.

Every save and delete goes through citydesk.content.actions (the one door), which
refreshes every page that names what changed. The article admin is the newsroom's
(citydesk.newsroom.admin): an article's state changes only through its workflow.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from citydesk.content import actions, images
from citydesk.content.models import Channel, Image, Person, Tag, Topic, TopicArticle

admin.site.site_header = _("citydesk 编辑部")
admin.site.site_title = _("citydesk 编辑部")
admin.site.index_title = _("内容管理")


def focal_field(label: Any, help_text: Any) -> forms.FloatField:
    """A focal point's coordinate, 0 to 1. Optional: an upload without a focal point is
    cropped around its centre."""
    return forms.FloatField(
        label=label, required=False, min_value=0, max_value=1, initial=0.5, help_text=help_text
    )


class CleanedPicturesForm(forms.ModelForm):
    """A model form whose every new picture upload is stored re-encoded
    (`images.cleaned`: no trailing bytes, no EXIF or GPS), or refused with the reason."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if isinstance(field, forms.ImageField) and value:
                try:
                    cleaned[name] = images.cleaned_upload(value)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned


def saved_by_the_door(formset: BaseFormSet) -> None:
    """An inline formset whose rows were stored through the door, not formset.save():
    the admin's change message reads these lists, which formset.save() would fill."""
    formset.new_objects = []  # type: ignore[attr-defined]
    formset.changed_objects = []  # type: ignore[attr-defined]
    formset.deleted_objects = []  # type: ignore[attr-defined]


def inline_rows(formset: BaseFormSet) -> list[dict[str, Any]]:
    """The kept rows of an inline formset (not deleted, not left empty), ordered by their
    `position` (then as listed)."""
    rows = [
        (form.cleaned_data.get("position") or 0, index, form.cleaned_data)
        for index, form in enumerate(formset.forms)
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
    return [data for _position, _index, data in sorted(rows, key=lambda row: row[:2])]


class TopicArticleInline(admin.TabularInline):
    model = TopicArticle
    extra = 1
    autocomplete_fields = ["article"]


class RelatedAdmin(admin.ModelAdmin):
    """Channels, topics, people and tags: saved and deleted through the door, which
    refreshes every page that names them."""

    form = CleanedPicturesForm  # a person's photo, a topic's cover

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        """Stored by save_related, with a topic's articles: one change, one refresh."""

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        # Their forms have no many-to-many fields; a topic's articles are its inline.
        articles = None
        for formset in formsets:
            if formset.model is TopicArticle and (not change or formset.has_changed()):
                articles = [row["article"] for row in inline_rows(formset)]
            saved_by_the_door(formset)
        actions.save_related(form.instance, topic_articles=articles)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        actions.delete_related(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            actions.delete_related(obj)


@admin.register(Channel)
class ChannelAdmin(RelatedAdmin):
    list_display = ["name", "slug", "kind", "parent", "position", "in_nav"]
    list_editable = ["position", "in_nav"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(RelatedAdmin):
    list_display = ["title", "slug", "is_published", "position", "created_at"]
    inlines = [TopicArticleInline]


@admin.register(Person)
class PersonAdmin(RelatedAdmin):
    list_display = ["name", "organization", "title", "user"]
    search_fields = ["name", "organization"]
    raw_id_fields = ["user"]


@admin.register(Tag)
class TagAdmin(RelatedAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]


class ImageForm(CleanedPicturesForm):
    focal_x = focal_field(_("焦点横向位置"), _("裁切时保留的焦点：0 为最左，1 为最右，0.5 居中"))
    focal_y = focal_field(_("焦点纵向位置"), _("0 为最上，1 为最下，0.5 居中"))

    class Meta:
        model = Image
        fields = ["file", "title", "caption", "credit", "focal_x", "focal_y"]

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

    def save_model(self, request: HttpRequest, obj: Image, form: ModelForm, change: bool) -> None:
        actions.save_image(obj)

    def delete_model(self, request: HttpRequest, obj: Image) -> None:
        actions.delete_image(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Image]) -> None:
        for image in queryset:
            actions.delete_image(image)
