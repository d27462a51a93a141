"""The local dictionary: names and places that jieba's own dictionary does not know."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from citydesk.core.text import clean_local_word


class DictionaryWord(models.Model):
    """A word the segmenter keeps whole (沪苏同城化, 姑苏区). People named in bylines are
    words too, without an entry here (see citydesk/search/dictionary.py)."""

    word = models.CharField(
        _("词语"),
        max_length=30,
        unique=True,
        help_text=_(
            "地名、人名、机构名或新词，如“沪苏同城化”。保存后几秒内对新的搜索生效；"
            "已入库文章的排序在重建索引（citydesk reindex --containing 词语）后更准确。"
        ),
    )
    note = models.CharField(_("说明"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("添加时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["word"]
        verbose_name = _("搜索词典词语")
        verbose_name_plural = _("搜索词典")

    def __str__(self) -> str:
        return self.word

    def clean(self) -> None:
        self.word = self.word.strip()
        if not clean_local_word(self.word):
            raise ValidationError({"word": _("词语须有 2 到 30 个汉字、字母或数字")})
