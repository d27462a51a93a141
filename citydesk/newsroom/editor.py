"""The newsroom's article editor: its form and the rich-text editor's configuration.

The body is edited in django-prose-editor (ProseMirror) as HTML of a fixed shape and
stored as blocks (citydesk.content.richtext). The editor offers exactly what a block can
hold: paragraphs with inline marks and links, headings, figures (a library image with its
caption and credit), video and page breaks; the last two and the library-image id are
this app's own ProseMirror extensions (static/newsroom/editor-extensions.js, named
in settings.DJANGO_PROSE_EDITOR_EXTENSIONS).
"""

from typing import Any

from django import forms
from django_prose_editor.widgets import ProseEditorWidget

from citydesk.content.admin import CleanedPicturesForm
from citydesk.content.models import Article, Channel, Image
from citydesk.content.richtext import blocks_to_html, html_to_blocks
from citydesk.newsroom.revisions import TEXT_FIELDS

EXTENSIONS: dict[str, Any] = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "HardBreak": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "Heading": {"levels": [2]},  # a body block has one heading level: 小标题
    "Figure": True,
    "Image": True,
    "Caption": True,
    "LibraryImage": True,
    "Video": True,
    "PageBreak": True,
    "Placeholder": {"placeholder": "在这里写正文……"},
}


class BodyField(forms.CharField):
    """The editor's HTML in, blocks out."""

    widget = ProseEditorWidget(config={"extensions": EXTENSIONS}, preset="configurable")

    def prepare_value(self, value: Any) -> Any:
        return blocks_to_html(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        return html_to_blocks(str(value or ""))


class ArticleEditForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200)
    subtitle = forms.CharField(label="副标题", max_length=200, required=False)
    summary = forms.CharField(
        label="摘要", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    body = BodyField(label="正文", required=False)
    source = forms.CharField(label="来源", max_length=100, required=False)
    source_url = forms.URLField(
        label="原文链接", max_length=500, required=False, assume_scheme="https"
    )
    byline_organization = forms.CharField(label="署名单位", max_length=100, required=False)
    channels = forms.ModelMultipleChoiceField(
        label="栏目",
        queryset=Channel.objects.order_by("position", "pk"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cover_focal_x = forms.FloatField(
        label="封面焦点（横）",
        min_value=0,
        max_value=1,
        required=False,
        help_text="裁切封面时保留的位置：0 最左，1 最右",
    )
    cover_focal_y = forms.FloatField(
        label="封面焦点（纵）",
        min_value=0,
        max_value=1,
        required=False,
        help_text="0 最上，1 最下",
    )
    # The version the writer opened: a save on an older one is refused (no lost edits).
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    TEXT = TEXT_FIELDS

    def clean_body(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = self.cleaned_data["body"]
        ids = {b["image_id"] for b in blocks if b.get("image_id")}
        known = set(Image.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if ids - known:
            raise forms.ValidationError(
                "图片库中没有编号为 %(ids)s 的图片",
                params={"ids": "、".join(str(i) for i in sorted(ids - known))},
            )
        return blocks

    def text_changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.TEXT}

    @classmethod
    def for_article(cls, article: Article, data: Any = None) -> "ArticleEditForm":
        initial = {name: getattr(article, name) for name in cls.TEXT}
        initial["channels"] = list(article.channels.all()) if article.pk else []
        initial["base_version"] = article.version
        initial["cover_focal_x"] = article.cover_focal_x
        initial["cover_focal_y"] = article.cover_focal_y
        return cls(data, initial=initial)


class ImageUploadForm(CleanedPicturesForm):
    """An image uploaded from the editor into the library."""

    class Meta:
        model = Image
        fields = ["file", "caption", "credit"]
