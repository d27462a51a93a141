"""A small reader site built through the newsroom's actions, for the portal's tests.

About 25 published articles across the channels, people with a byline and a profile, tags,
a topic, a three-page article with images, two video items, plus the pieces a reader must
never see (a draft, a retracted piece, a scheduled one).
"""

import io
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image as PILImage

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Person, Topic
from citydesk.rankings import actions as rankings

PUBLISHED = Article.Status.PUBLISHED
# 08:30 UTC is 16:30 in Suzhou: a page that printed UTC would show the wrong hour.
BASE_TIME = datetime(2024, 3, 5, 8, 30, 0, tzinfo=UTC)
FILLER_CHANNELS = ["suzhou", "guonei", "pinglun", "xuexi", "wenlv", "chengshi"]


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (120, 80)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def para(text: str) -> dict[str, str]:
    return {"type": "paragraph", "text": text}


@dataclass
class Site:
    feature: Article  # shaped like the reference page: byline, 责编, headings, photos
    paged: Article  # three pages split at page breaks
    video: Article
    video_without_src: Article
    draft: Article
    retracted: Article
    scheduled: Article
    topic: Topic
    writer: Person
    photographer: Person
    editor: Person
    fillers: list[Article] = field(default_factory=list)

    @property
    def published(self) -> list[Article]:
        return [self.feature, self.paged, self.video, self.video_without_src, *self.fillers]


def publish(data: ArticleData, *, minutes_ago: int = 0, views: int = 0) -> Article:
    data.published_at = data.published_at or BASE_TIME - timedelta(minutes=minutes_ago)
    article = actions.create_article(data, status=PUBLISHED)
    rankings.record_views(article, [time.time()] * views)
    return article


def filler_articles(count: int, *, start: int = 0) -> list[Article]:
    """Ordinary stories, each with a byline, a tag and (every other one) a cover."""
    articles = []
    for n in range(start, start + count):
        channel = FILLER_CHANNELS[n % len(FILLER_CHANNELS)]
        article = publish(
            ArticleData(
                title=f"城市快讯第{n + 1}期：街区微更新持续推进",
                summary=f"第{n + 1}期快讯摘要。",
                body=[para(f"快讯正文第{n + 1}段。")],
                source="苏州日报",
                organization="苏报融媒",
                credits=[("writer", f"记者{n % 4 + 1}号"), ("photographer", "摄影记者甲")],
                channels=[channel],
                tags=[f"街区{n % 3 + 1}", "城市更新"],
                is_recommended=n % 5 == 0,
                is_slideshow=n % 4 == 0,
            ),
            minutes_ago=60 + n * 30,
            views=n % 7,
        )
        if n % 2 == 0:
            actions.set_article_cover(article, f"cover-{n}.jpg", jpeg((40 + n * 8, 90, 140)))
        articles.append(article)
    return articles


def build_site() -> Site:
    feature = publish(
        ArticleData(
            title="古城保护更新工作推进会召开",
            subtitle="十项重点工程年内开工",
            summary="会议部署古城保护更新十项重点工程。",
            source="引力播",
            organization="苏报融媒",
            credits=[("writer", "李明"), ("writer", "王芳"), ("photographer", "张伟")],
            responsible_editor="陈静",
            channels=["suzhou"],
            tags=["古城保护", "城市更新"],
            is_headline=True,
            is_recommended=True,
            body=[
                para("春风送暖，<b>古城</b>保护更新工作推进会今天召开。"),
                {"type": "image", "credit": "引力播"},
                {"type": "heading", "text": "守住古城风貌 做优人居环境"},
                para("与会代表表示，将坚持保护为先、利用为要。"),
                {"type": "image", "src": "/media/demo/pingjiang.jpg", "caption": "平江路街景"},
                {"type": "heading", "text": "十项工程年内开工"},
                para("会议明确，十项重点工程年内全部开工。"),
            ],
        ),
        views=40,
    )
    paged = publish(
        ArticleData(
            title="图解：一年来城市建设十件大事",
            source="名城苏州",
            credits=[("writer", "李明"), ("video_editor", "赵磊")],
            responsible_editor="陈静",
            channels=["chengshi"],
            tags=["城市更新"],
            body=[
                para("第一页独有的导语段落。"),
                {
                    "type": "image",
                    "src": "/media/demo/p1.jpg",
                    "caption": "第一页图片",
                    "credit": "张伟",
                },
                {"type": "pagebreak"},
                {"type": "heading", "text": "第二页小标题"},
                para("第二页独有的正文段落。"),
                {
                    "type": "image",
                    "src": "/media/demo/p2.jpg",
                    "caption": "第二页图片",
                    "credit": "张伟",
                },
                {"type": "pagebreak"},
                para("第三页独有的结尾段落。"),
            ],
        ),
        minutes_ago=10,
        views=25,
    )
    video = publish(
        ArticleData(
            title="航拍：春日里的金鸡湖",
            kind=Article.Kind.VIDEO,
            source="名城苏州",
            credits=[("video_editor", "赵磊")],
            channels=["suzhou"],
            body=[
                {
                    "type": "video",
                    "src": "/media/demo/jinjihu.mp4",
                    "poster": "/media/demo/jinjihu.jpg",
                    "caption": "金鸡湖畔樱花盛开",
                },
                para("镜头带你俯瞰金鸡湖。"),
            ],
        ),
        minutes_ago=20,
        views=12,
    )
    actions.set_article_cover(video, "video.jpg", jpeg((20, 60, 120)))
    video_without_src = publish(
        ArticleData(
            title="视频：评弹进社区",
            kind=Article.Kind.VIDEO,
            source="名城苏州",
            body=[{"type": "video", "poster": "/media/demo/pingtan.jpg", "caption": "评弹表演"}],
        ),
        minutes_ago=25,
    )
    fillers = filler_articles(21)
    draft = actions.create_article(
        ArticleData(title="草稿不应出现", body=[para("草稿正文")], channels=["suzhou"])
    )
    retracted = publish(
        ArticleData(title="已撤下的稿件", body=[para("撤下正文")], channels=["suzhou"])
    )
    actions.do_unpublish_article(retracted)
    scheduled = actions.create_article(
        ArticleData(title="定时发布的稿件", body=[para("未来正文")], channels=["suzhou"])
    )
    actions.do_publish_article(scheduled, at=datetime(2999, 1, 1, tzinfo=UTC))

    topic = actions.create_topic(
        "江南文化季",
        [fillers[4], feature, fillers[10]],
        intro="寻访江南文化的当代表达。",
        cover=("topic.jpg", jpeg((150, 40, 40), (200, 100))),
    )
    writer = Person.objects.get(name="李明")
    actions.set_person_profile(writer, title="首席记者", bio="长期关注城市建设与古城保护。")
    return Site(
        feature=feature,
        paged=paged,
        video=video,
        video_without_src=video_without_src,
        draft=draft,
        retracted=retracted,
        scheduled=scheduled,
        topic=topic,
        writer=writer,
        photographer=Person.objects.get(name="张伟"),
        editor=Person.objects.get(name="陈静"),
        fillers=fillers,
    )
