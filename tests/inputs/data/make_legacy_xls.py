"""Write ``legacy_ledger.xls``: a small ledger in the Excel 97–2003 format, as an office sends it.

Run once, by hand, to regenerate the committed fixture::

    .venv/bin/python -m pip install xlwt          # only for this script; not a dependency
    .venv/bin/python tests/inputs/data/make_legacy_xls.py

``xlwt`` is a legacy writer of the real BIFF8 ``.xls`` format (the bytes start with the OLE2
signature D0 CF 11 E0), so the tests read a file no modern library wrote. The workbook holds
the habits the readers must cope with: title rows, a 序号 column and other bookkeeping columns
(填报人, 联系电话, 备注), a 合计 row, a wide indicator layout with names instead of codes, a
date-formatted cell and an Excel serial date in General format (45291 = 2023-12-31), and a
hidden 申报村 sheet. Villages are real (NBS 2023): 横山村委会 340722106206, 育才村委会
340722106214 and 新华村委会 340722106218 in 横埠镇, 枞阳县.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import xlwt

OUT = Path(__file__).with_name("legacy_ledger.xls")


def main() -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")

    v = wb.add_sheet("村庄名录")
    v.write(0, 0, "枞阳县横埠镇村庄名录（2023年）")
    for j, h in enumerate(["序号", "村庄代码", "村名", "村庄类型", "户籍人口（人）", "户数", "填报人", "联系电话"]):
        v.write(1, j, h)
    rows = [(1, "340722106206", "横山村", "省级中心村", 4008, 1448),
            (2, "340722106214", "育才村", "一般村", 3078, 1039),
            (3, "340722106218", "新华村", "精品示范村", 2100, 700)]
    for i, r in enumerate(rows, start=2):
        for j, x in enumerate(r):
            v.write(i, j, x)
        v.write(i, 6, "张三")
        v.write(i, 7, "0556-1234567")
    v.write(5, 0, "合计")
    v.write(5, 4, 9186)
    v.write(5, 5, 3187)

    o = wb.add_sheet("指标数据")
    o.write(0, 0, "2023年横埠镇和美乡村指标")
    for j, h in enumerate(["序号", "县区", "乡镇", "村名", "年份", "卫生厕所普及率（%）",
                           "村集体经营性收入（万元）", "通硬化路", "备注"]):
        o.write(1, j, h)
    data = [("横山村", 85, 12.5, "是"), ("育才村", 79, 8, "是"), ("新华村", 90, 15.2, "否")]
    for i, (name, toilet, income, road) in enumerate(data, start=2):
        for j, x in enumerate([i - 1, "枞阳县", "横埠镇", name, 2023, toilet, income, road]):
            o.write(i, j, x)

    p = wb.add_sheet("项目台账")
    for j, h in enumerate(["项目编号", "村庄代码", "所属任务", "项目名称", "开工日期", "计划完工日期",
                           "投资（万元）", "项目状态"]):
        p.write(0, j, h)
    p.write(1, 0, "P1")
    p.write(1, 1, "340722106206")
    p.write(1, 2, "T02")
    p.write(1, 3, "改厕")
    p.write(1, 4, datetime.date(2023, 3, 1), date)
    p.write(1, 5, 45291)  # a date that lost its format: 2023-12-31 as Excel's serial number
    p.write(1, 6, 120)
    p.write(1, 7, "在建")

    a = wb.add_sheet("申报村")
    a.visibility = 1  # hidden
    a.write(0, 0, "村庄代码")
    a.write(0, 1, "申报年份")
    a.write(1, 0, "340722106214")
    a.write(1, 1, 2023)

    wb.save(str(OUT))


if __name__ == "__main__":
    main()
