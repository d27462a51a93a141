from django.db import migrations

# The nine channels of the reference page's nav, in its order.
CHANNELS = [
    ("滚动", "gundong", "rolling", "全部稿件，按时间排列"),
    ("苏州", "suzhou", "list", "本地新闻"),
    ("专题", "zhuanti", "topics", "专题报道"),
    ("国内", "guonei", "list", "国内新闻"),
    ("评论", "pinglun", "list", "评论与观点"),
    ("视频", "shipin", "video", "视频新闻"),
    ("学习", "xuexi", "list", "理论学习"),
    ("文旅", "wenlv", "list", "文化与旅游"),
    ("城事", "chengshi", "list", "城市生活"),
]


def seed(apps, schema_editor):
    Channel = apps.get_model("content", "Channel")
    for position, (name, slug, kind, description) in enumerate(CHANNELS):
        Channel.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "kind": kind, "position": position, "description": description},
        )


def unseed(apps, schema_editor):
    apps.get_model("content", "Channel").objects.filter(slug__in=[c[1] for c in CHANNELS]).delete()


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
