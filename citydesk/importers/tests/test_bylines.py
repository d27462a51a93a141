import pytest

from citydesk.importers.bylines import parse_byline, take_byline

W, P, V, T = "writer", "photographer", "video_editor", "text_editor"


@pytest.mark.parametrize(
    ("inner", "organization", "credits", "editor"),
    [
        # "label：names", one label after another (the broadcast transcripts)
        ("视频编辑：甲乙丙 文字编辑：丁戊己", "", [(V, "甲乙丙"), (T, "丁戊己")], ""),
        ("视频编辑:甲乙丙 文字编辑:丁戊己", "", [(V, "甲乙丙"), (T, "丁戊己")], ""),
        ("视频编辑：甲乙丙\u3000文字编辑：丁戊己", "", [(V, "甲乙丙"), (T, "丁戊己")], ""),
        ("视频编辑：\xa0甲乙丙 文字编辑：丁戊己", "", [(V, "甲乙丙"), (T, "丁戊己")], ""),
        ("文字编辑：庚辛 壬癸", "", [(T, "庚辛"), (T, "壬癸")], ""),
        ("视频编辑：甲乙丙、丁戊己", "", [(V, "甲乙丙"), (V, "丁戊己")], ""),
        ("记者：子丑寅", "", [(W, "子丑寅")], ""),
        ("文：vhaha", "", [(W, "vhaha")], ""),
        ("责编：卯辰", "", [], "卯辰"),
        ("文字编辑：丁戊己 责任编辑：卯辰", "", [(T, "丁戊己")], "卯辰"),
        ("晨光日报记者：子丑寅", "晨光日报", [(W, "子丑寅")], ""),
        ("晨光日报 记者：子丑寅", "晨光日报", [(W, "子丑寅")], ""),
        # the role in front: "文/names"
        ("文/未申酉", "", [(W, "未申酉")], ""),
        ("文/记者 未申酉", "", [(W, "未申酉")], ""),
        ("文/晨光日报记者 未申酉", "晨光日报", [(W, "未申酉")], ""),
        ("文/甲乙 丙丁/摄", "", [(W, "甲乙"), (P, "丙丁")], ""),
        # the role after: "names/文"
        ("巳午/文", "", [(W, "巳午")], ""),
        ("张三 / 文", "", [(W, "张三")], ""),
        ("实习生巳午/文", "", [(W, "巳午")], ""),
        (
            "晨光融媒记者 甲乙 丙丁/文 戊己/摄",
            "晨光融媒",
            [(W, "甲乙"), (W, "丙丁"), (P, "戊己")],
            "",
        ),
        (
            "苏报融媒记者 朱一 钱二/文 王三/摄",
            "苏报融媒",
            [(W, "朱一"), (W, "钱二"), (P, "王三")],
            "",
        ),
        ("记者 张三 通讯员 李四/文 王五/视频", "", [(W, "张三"), (W, "李四"), (V, "王五")], ""),
        ("苏州日报记者张三/图文", "苏州日报", [(W, "张三"), (P, "张三")], ""),
        ("通讯员 李四 记者 张三/摄", "", [(P, "李四"), (P, "张三")], ""),
        ("甲乙/文 丙丁/摄像", "", [(W, "甲乙"), (V, "丙丁")], ""),
        # titles alone: the names wrote the piece; 本报 is no organisation
        ("记者 戌亥", "", [(W, "戌亥")], ""),
        ("本报记者 张三", "", [(W, "张三")], ""),
        ("晨光日报记者张三、李四", "晨光日报", [(W, "张三"), (W, "李四")], ""),
        ("张三 通讯员 李四", "", [(W, "张三"), (W, "李四")], ""),
    ],
)
def test_parse_byline(inner, organization, credits, editor):
    byline = parse_byline(inner)
    assert byline is not None
    assert (byline.organization, byline.credits, byline.responsible_editor) == (
        organization,
        credits,
        editor,
    )


@pytest.mark.parametrize(
    "inner",
    [
        "完",
        "甲乙丙",  # bare names with no role
        "除署名外",
        "编辑根据速记整理，未经过讲者本人确认",
        "图/视觉中国 2018",
        "CPI",
        "3月5日",
        "18:30",
        "2018/11/02",
        "记者注：未核实",
        "本报记者",  # a title and no name
        "张三 视频编辑：李四",  # names before the first label that are no organisation
        "记者段倩倩对本文亦有贡献",
    ],
)
def test_parse_byline_refuses_what_is_not_a_byline(inner):
    assert parse_byline(inner) is None


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("（视频编辑：甲乙丙 文字编辑：丁戊己）", ""),
        ("第一段。\n（视频编辑：甲乙丙 文字编辑：丁戊己）\n", "第一段。"),
        ("会议闭幕。(视频编辑:甲乙丙 文字编辑:丁戊己)  ", "会议闭幕。"),
    ],
)
def test_take_byline_alone_or_after_the_last_sentence(text, rest):
    assert take_byline(text) == (rest, parse_byline("视频编辑：甲乙丙 文字编辑：丁戊己"))


@pytest.mark.parametrize(
    "text",
    [
        "他说（记者注：未核实）。",  # inside the sentence
        "今天晴。（完）",  # at the end, but not a byline
        "（甲乙/文）\n最后一段。",  # not at the end
        "会议闭幕。(文字编辑：丁戊己",  # never closed
    ],
)
def test_take_byline_leaves_other_text_as_it_is(text):
    assert take_byline(text) == (text, None)
