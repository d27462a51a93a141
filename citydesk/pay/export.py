"""A report as a table: CSV (UTF-8 with a BOM, so Excel reads the Chinese) and XLSX."""

import csv
import io
from datetime import date

from openpyxl import Workbook

from citydesk.pay.report import Line

HEADER = [
    "姓名", "单位", "稿件数", "原创", "转载", "撤稿", "字数", "图片", "视频", "头条",
    "24小时阅读", "7天阅读", "总阅读", "稿费（元）",
]  # fmt: skip


def text(value: str) -> str:
    """A name as a spreadsheet shows it, never as a formula (=, +, -, @ start one)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def rows(lines: list[Line]) -> list[list[object]]:
    return [
        [
            text(line.name),
            text(line.desk),
            line.pieces,
            line.originals,
            line.reposts,
            line.retracted,
            line.chars,
            line.photos,
            line.videos,
            line.headlines,
            line.views_day,
            line.views_week,
            line.views_total,
            line.rounded(),
        ]
        for line in lines
    ]


def as_csv(lines: list[Line]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows(lines))
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(lines: list[Line], start: date, end: date) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"稿费 {start:%Y%m%d}-{end:%Y%m%d}"
    sheet.append(HEADER)
    for row in rows(lines):
        sheet.append(row)
    for (cell,) in sheet.iter_rows(min_row=2, min_col=len(HEADER), max_col=len(HEADER)):
        cell.number_format = "0.00"  # yuan with fen
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
