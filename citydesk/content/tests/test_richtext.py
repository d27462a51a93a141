"""The editor's HTML and the stored blocks, both ways, and 字数."""

import pytest

from citydesk.content.richtext import blocks_to_html, char_count, html_to_blocks, split_caption

EDITOR_HTML = (
    "<h2>标题 <strong>粗</strong></h2>"
    '<p>第一段 &amp; <a href="https://x.cn" target="_blank">链接</a><br>下一行</p>'
    '<figure class="figure"><img src="/media/a.jpg" data-file="3" alt="">'
    '<figcaption class="figure-caption">说明文字 | 摄影 张三</figcaption></figure>'
    '<hr class="pagebreak">'
    '<figure class="video"><video src="https://v.cn/a.mp4" controls=""></video>'
    "<figcaption>视频说明</figcaption></figure>"
    "<p></p><script>alert(1)</script><style>p{}</style><p>尾</p>"
)


def test_editor_html_becomes_clean_blocks():
    assert html_to_blocks(EDITOR_HTML) == [
        {"type": "heading", "text": "标题 <strong>粗</strong>"},
        {
            "type": "paragraph",
            "text": (
                '第一段 &amp; <a href="https://x.cn" rel="noopener noreferrer">链接</a><br>下一行'
            ),
        },
        {
            "type": "image",
            "src": "/media/a.jpg",
            "image_id": 3,
            "caption": "说明文字",
            "credit": "摄影 张三",
        },
        {"type": "pagebreak"},
        {"type": "video", "src": "https://v.cn/a.mp4", "caption": "视频说明"},
        {"type": "paragraph", "text": "尾"},  # empty paragraph, script and style dropped
    ]


def test_blocks_round_trip_through_the_editor():
    blocks = html_to_blocks(EDITOR_HTML)
    assert html_to_blocks(blocks_to_html(blocks)) == blocks


def test_unsafe_links_and_attributes_do_not_survive():
    blocks = html_to_blocks(
        '<p onclick="x()"><a href="javascript:alert(1)">点</a></p>'
        '<figure><img src="javascript:alert(1)"><figcaption>假图</figcaption></figure>'
    )
    assert blocks == [{"type": "paragraph", "text": '<a rel="noopener noreferrer">点</a>'}]


def test_caption_and_credit():
    assert split_caption("夜景 | 摄影 张三") == ("夜景", "摄影 张三")
    assert split_caption("只有说明") == ("只有说明", "")
    assert split_caption("a|b|c") == ("a|b", "c")


def test_char_count_counts_what_readers_read():
    blocks = html_to_blocks(EDITOR_HTML)
    # 标题粗 (3) + 第一段&链接下一行 (9) + 尾 (1); captions are not counted.
    assert char_count(blocks) == 13


@pytest.mark.parametrize(
    "text",
    [
        "纯文字，没有标记。",
        " 全角\u3000空格\t与换行\n ",
        "<b>粗体</b>与&amp;号",
        "a &lt; b",
        "<br>",
    ],
)
def test_char_count_is_the_same_with_or_without_parsing(text):
    from citydesk.content.sanitize import clean_text

    parsed = sum(1 for ch in clean_text(text) if not ch.isspace())
    assert char_count([{"type": "paragraph", "text": text}]) == parsed


def test_odd_shapes_from_feeds_and_pasted_html():
    assert html_to_blocks('Hello <b>world</b> <a href="https://x.cn">link</a><br>next') == [
        {
            "type": "paragraph",
            "text": 'Hello <b>world</b> <a href="https://x.cn" rel="noopener noreferrer">link</a>'
            "<br>next",
        }
    ]
    assert html_to_blocks(
        '<figure><img src="/x.jpg"><figcaption><p>夜景 | 摄影</p></figcaption></figure>'
        '<img src="data:image/gif;base64,R0lGOD"><img src="/a.jpg" data-file="²">'
        '<figure class="video"><video src="https://v.cn/a.mp4"></video>'
        "<figcaption>上集 | 下集</figcaption></figure><div>块一</div>"
    ) == [
        {"type": "image", "src": "/x.jpg", "caption": "夜景", "credit": "摄影"},
        {"type": "image", "src": "/a.jpg"},  # a lazy-load placeholder and a bad id dropped
        {"type": "video", "src": "https://v.cn/a.mp4", "caption": "上集 | 下集"},
        {"type": "paragraph", "text": "块一"},
    ]
    huge = '<figure><img src="/x.jpg" data-file="100000000000000000000"></figure>'
    assert html_to_blocks(huge) == [{"type": "image", "src": "/x.jpg"}]
