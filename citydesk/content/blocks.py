"""A plain-text form of the body that editors type in the admin.

Why not a JSON editor: editors write prose, not JSON. Why not a rich-text editor yet: that
is the newsroom's job (a later app). This form round-trips with the stored blocks:

    ## 小标题                      -> heading
    [图片:12]                      -> image 12 with its own caption and credit
    [图片:12 说明文字|摄影 张三]    -> image 12 with this caption and credit
    [图片:https://… 说明|来源]      -> an image by URL
    [视频:https://…/a.mp4 说明]     -> video
    [分页]                          -> page break
    any other paragraph of text     -> paragraph (inline <b>, <a> etc. are kept, cleaned)

Paragraphs are separated by blank lines or by single line breaks.
"""

import re
from typing import Any

_IMAGE = re.compile(r"^\[图片[:：]\s*(\S+)\s*(.*?)\]$")
_VIDEO = re.compile(r"^\[视频[:：]\s*(\S+)\s*(.*?)\]$")
_PAGEBREAK = {"[分页]", "[pagebreak]"}


def text_to_blocks(text: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line in _PAGEBREAK:
            blocks.append({"type": "pagebreak"})
        elif line.startswith("## "):
            blocks.append({"type": "heading", "text": line[3:].strip()})
        elif m := _IMAGE.match(line):
            target, rest = m.group(1), m.group(2)
            caption, _, credit = rest.partition("|")
            block: dict[str, Any] = {"type": "image"}
            if target.isdigit():
                block["image_id"] = int(target)
            else:
                block["src"] = target
            if caption.strip():
                block["caption"] = caption.strip()
            if credit.strip():
                block["credit"] = credit.strip()
            blocks.append(block)
        elif m := _VIDEO.match(line):
            blocks.append({"type": "video", "src": m.group(1), "caption": m.group(2).strip()})
        else:
            blocks.append({"type": "paragraph", "text": line})
    return blocks


def blocks_to_text(blocks: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "paragraph":
            lines.append(block.get("text", ""))
        elif kind == "heading":
            lines.append("## " + block.get("text", ""))
        elif kind == "pagebreak":
            lines.append("[分页]")
        elif kind == "image":
            target = str(block.get("image_id") or block.get("src") or "")
            tail = block.get("caption", "")
            if block.get("credit"):
                tail += "|" + block["credit"]
            lines.append(f"[图片:{target} {tail}]".replace(" ]", "]"))
        elif kind == "video":
            lines.append(
                f"[视频:{block.get('src', '')} {block.get('caption', '')}]".replace(" ]", "]")
            )
    return "\n\n".join(lines)
