"""Content for the syndication tests, made through the newsroom's actions."""

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image as PILImage

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Topic

PUBLISHED = Article.Status.PUBLISHED
# 08:30 UTC is 16:30 in Suzhou: a feed that printed UTC would show the wrong hour.
BASE_TIME = datetime(2024, 3, 5, 8, 30, 0, tzinfo=UTC)


def para(text: str) -> dict[str, str]:
    return {"type": "paragraph", "text": text}


def jpeg() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (120, 80), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def publish(title: str, at: datetime, **fields: Any) -> Article:
    fields.setdefault("body", [para(f"{title}的正文。")])
    data = ArticleData(title=title, published_at=at, **fields)
    return actions.create_article(data, status=PUBLISHED)


@dataclass
class Newsroom:
    suzhou: list[Article]  # newest first
    guonei: Article
    topic: Topic
    hidden: list[Article] = field(default_factory=list)  # draft, unpublished, retracted, future

    @property
    def live(self) -> list[Article]:
        """Every live article, newest first."""
        # Ties never happen here: every story has its own minute.
        return sorted([*self.suzhou, self.guonei], key=lambda a: a.published_at or 0, reverse=True)


def build_newsroom() -> Newsroom:
    """24 stories in 苏州, one in 国内 (the newest), a topic of three, and four stories a
    reader must never see, each of them newer than every live one."""
    suzhou = [
        publish(
            f"苏州快讯第{n}期",
            BASE_TIME - timedelta(hours=n),
            summary=f"第{n}期摘要。" if n % 2 else "",
            credits=[("writer", f"记者{n % 3}"), ("photographer", "摄影甲")],
            organization="苏报融媒",
            channels=["suzhou"],
            tags=["城市更新", f"街区{n % 2}"],
        )
        for n in range(1, 25)
    ]
    guonei = publish("国内要闻", BASE_TIME, channels=["guonei"], tags=["要闻"])
    draft = actions.create_article(ArticleData(title="草稿不应出现", body=[para("草稿")]))
    unpublished = publish("已撤下的稿件", BASE_TIME + timedelta(minutes=1), channels=["suzhou"])
    actions.do_unpublish_article(unpublished)
    retracted = publish("已撤稿的稿件", BASE_TIME + timedelta(minutes=2), channels=["suzhou"])
    actions.do_retract_article(retracted)
    future = actions.create_article(
        ArticleData(title="定时发布的稿件", body=[para("未来")], channels=["suzhou"])
    )
    actions.do_publish_article(future, at=datetime(2999, 1, 1, tzinfo=UTC))
    topic = actions.create_topic(
        "江南文化季", [suzhou[5], guonei, suzhou[2], retracted], intro="寻访江南文化。"
    )
    return Newsroom(
        suzhou=suzhou, guonei=guonei, topic=topic, hidden=[draft, unpublished, retracted, future]
    )
