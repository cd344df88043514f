"""PDF printing with the system's Chromium over its DevTools pipe (hemei_tools.render.pdf): A4 pages
from the page's own @page rules (a landscape page for a wide table, page numbers in the margin
boxes), no process or profile left behind, a clear error without Chromium, and PDFs joined in
order with one bookmark each."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from browser_support import CHROMIUM

from hemei_tools.render import pdf as pdf_mod
from hemei_tools.render.pdf import Chromium, PdfError, find_chromium, merge_pdfs, print_pdfs

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is not installed (CI installs it: apt-get install chromium)")
pypdf = pytest.importorskip("pypdf")

A4 = (595, 842)  # points, portrait
PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title><style>
@page {{ size: A4; margin: 15mm; @bottom-center {{ content: "第" counter(page) "页，共" counter(pages) "页"; }} }}
@page wide {{ size: A4 landscape; }}
.wide {{ page: wide; }}
</style></head><body><h1>{title}</h1><p>正文</p><div class="wide"><table><thead><tr>{heads}</tr></thead>
<tbody><tr>{cells}</tr></tbody></table></div><p>结语</p></body></html>"""


def _write_page(path: Path, title: str) -> Path:
    path.write_text(PAGE.format(title=title, heads="".join(f"<th>列{i}</th>" for i in range(12)),
                                cells="".join(f"<td>{i}</td>" for i in range(12))), encoding="utf-8")
    return path


def _sizes(pdf: Path) -> list[tuple[int, int]]:
    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pypdf.PdfReader(str(pdf)).pages]


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def test_a_page_prints_on_a4_with_a_landscape_page_for_the_wide_table_and_page_numbers(tmp_path):
    page = _write_page(tmp_path / "r.html", "枞阳县报告")
    with Chromium(CHROMIUM) as browser:
        assert browser.version.startswith("Chrome/") or browser.version.startswith("HeadlessChrome/")
        pid, profile = browser.proc.pid, Path(browser._profile)
        written = browser.print_pdf(page, tmp_path / "r.pdf")
    assert written == tmp_path / "r.pdf"
    # portrait (h1, 正文), landscape (the wide table on a page of its own), portrait (结语)
    assert _sizes(written) == [A4, A4[::-1], A4]
    reader = pypdf.PdfReader(str(written))
    assert "第1页，共3页" in reader.pages[0].extract_text() and "第3页，共3页" in reader.pages[2].extract_text()
    assert reader.metadata.title == "枞阳县报告"
    assert _gone(pid) and not profile.exists(), "no browser process or profile left behind"
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_browser_is_killed_when_the_caller_stops_midway(tmp_path):
    browser = Chromium(CHROMIUM)
    pid = browser.proc.pid
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        browser.close()
    assert _gone(pid)
    browser.close()  # twice is harmless


def test_a_browser_that_dies_is_a_pdf_error_not_a_hang(tmp_path):
    page = _write_page(tmp_path / "r.html", "x")
    with Chromium(CHROMIUM) as browser:
        os.killpg(browser.proc.pid, signal.SIGKILL)
        with pytest.raises(PdfError, match="浏览器"):
            browser.print_pdf(page, tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_no_chromium_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(pdf_mod.CHROMIUM_ENV, str(tmp_path / "no-such-browser"))
    with pytest.raises(PdfError, match="HEMEI_CHROMIUM"):
        find_chromium()
    monkeypatch.delenv(pdf_mod.CHROMIUM_ENV)
    monkeypatch.setattr(pdf_mod.shutil, "which", lambda name: None)
    with pytest.raises(PdfError, match="apt-get install chromium"):
        print_pdfs([(tmp_path / "r.html", tmp_path / "r.pdf")])
    assert print_pdfs([]) == []  # nothing to print needs no browser


def test_pdfs_are_joined_in_order_with_one_bookmark_each(tmp_path):
    pages = [(_write_page(tmp_path / f"{n}.html", title), tmp_path / f"{n}.pdf")
             for n, title in (("a", "索引"), ("b", "枞阳县报告"))]
    print_pdfs(pages, CHROMIUM)
    joined = merge_pdfs([(pdf, title) for (_, pdf), title in zip(pages, ("报告索引", "枞阳县"), strict=True)],
                        tmp_path / "all.pdf")
    reader = pypdf.PdfReader(str(joined))
    assert len(reader.pages) == 6
    assert [o.title for o in reader.outline if not isinstance(o, list)] == ["报告索引", "枞阳县"]
    assert "第1页，共3页" in reader.pages[3].extract_text()  # each report keeps its own page numbers


def test_copied_text_reads_as_written_not_as_radicals(tmp_path):
    """Chromium's ToUnicode maps pick the lowest code point of a glyph: in Noto Sans CJK that is a
    radical for 页, 文, 风, 长, 门…; the printed PDF maps them back."""
    page = tmp_path / "r.html"
    words = "乡风文明 第1页 长期 门户 马车 贝壳 见面 飞鸟 鱼 黄麦 青龙 食品 一二人入 户口"
    page.write_text(f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body><p>{words}</p>'
                    "</body></html>", encoding="utf-8")
    with Chromium(CHROMIUM) as browser:
        pdf = browser.print_pdf(page, tmp_path / "r.pdf")
    text = pypdf.PdfReader(str(pdf)).pages[0].extract_text()
    assert " ".join(text.split()) == words
    assert not any(0x2E80 <= ord(c) <= 0x2FDF or 0x31C0 <= ord(c) <= 0x31EF for c in text)


def test_the_radical_table_is_the_fonts_own_glyph_sharing():
    """cjk_radicals.csv: each radical with the lowest ideograph on the same glyph of Noto Sans CJK
    SC (the dependency's font), e.g. ⻚ → 页, and ⼾ → 户 where NFKC would give 戶."""
    from importlib import resources

    from matplotlib import ft2font

    from hemei_tools.render.pdf import radical_map

    font = str(resources.files("noto_cjk_sans_otc") / "NotoSansCJK-Regular.ttc")
    faces = [ft2font.FT2Font(font, face_index=i) for i in range(ft2font.FT2Font(font).num_faces)]
    charmap = next(f for f in faces if f.family_name == "Noto Sans CJK SC").get_charmap()
    ideograph = {}
    for cp, glyph in sorted(charmap.items()):
        if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2FFFF:
            ideograph.setdefault(glyph, cp)
    expected = {cp: ideograph[g] for cp, g in charmap.items()
                if (0x2E80 <= cp <= 0x2FDF or 0x31C0 <= cp <= 0x31EF) and g in ideograph}
    table = radical_map()
    assert table == expected
    assert (chr(table[0x2EDA]), chr(table[0x2F42]), chr(table[0x2F3E])) == ("页", "文", "户")


def test_mending_leaves_what_it_does_not_need_to_touch(tmp_path):
    from hemei_tools.render.pdf import mend_cjk_text

    assert mend_cjk_text(b"not a pdf") == b"not a pdf"
    page = tmp_path / "r.html"
    page.write_text("<html><body><p>plain latin text</p></body></html>", encoding="utf-8")
    with Chromium(CHROMIUM) as browser:
        pdf = browser.print_pdf(page, tmp_path / "r.pdf")
    data = pdf.read_bytes()
    assert mend_cjk_text(data) == data
