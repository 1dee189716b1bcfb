"""The apology letter ("Thư xin lỗi") of a case, as PDF (font embedded) and DOCX for signing.

Layout of a Vietnamese administrative letter (Nghị định 30/2020/NĐ-CP, simplified): top left
the superior body and the office's name in capitals with the document number line; top right
the national motto block "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc" and
under it "<place>, ngày dd tháng mm năm yyyy" (a zero before days under 10 and months under 3);
the title; "Kính gửi: …"; the body; then "Nơi nhận" on the left and the signature block
(title, "(Ký, ghi rõ họ tên và đóng dấu)", name) on the right.

The body is an editable template: ``assets/letters/thu-xin-loi.txt`` by default, or the file in
the office's ``alerts.letter_template`` — plain UTF-8 text with ``$placeholders``, paragraphs
separated by blank lines, ``#`` lines are comments. The layout around it is fixed here.

The PDF embeds DejaVu Serif (Bitstream Vera licence, free to embed; Debian fonts-dejavu-core),
which covers every Vietnamese letter; fpdf2 subsets it so a letter stays ~30 kB. The DOCX
names Times New Roman 13 pt, the administrative standard, which Word on every office PC has.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

from sync.text import nfc

__all__ = ["DEFAULT_TEMPLATE", "LetterError", "LetterText", "date_line", "docx_bytes", "fill", "pdf_bytes"]

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TEMPLATE = ROOT / "assets" / "letters" / "thu-xin-loi.txt"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
TITLE = "THƯ XIN LỖI"
SIGN_HINT = "(Ký, ghi rõ họ tên và đóng dấu)"


class LetterError(ValueError):
    """The template or the letter's fields are unusable; the message says which and how to fix."""


@dataclass(frozen=True)
class LetterText:
    """Everything printed on one letter, already in words."""

    authority: str
    office_name: str
    place: str
    day: date
    citizen: str
    paragraphs: list[str]
    signer_title: str
    signer_name: str

    @property
    def date_line(self) -> str:
        return date_line(self.place, self.day)


def date_line(place: str, day: date) -> str:
    """``Bến Thành, ngày 03 tháng 12 năm 2026`` (zero before days < 10 and months < 3)."""
    dd = f"{day.day:02d}" if day.day < 10 else str(day.day)
    mm = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {dd} tháng {mm} năm {day.year}"


def fill(template_text: str, values: dict[str, str]) -> list[str]:
    """The template's paragraphs with ``values`` put in; unknown ``$names`` are an error."""
    lines = [line for line in nfc(template_text).splitlines() if not line.lstrip().startswith("#")]
    try:
        body = Template("\n".join(lines)).substitute(values)
    except KeyError as exc:
        raise LetterError(f"letter template: unknown placeholder ${exc.args[0]} "
                          f"(known: {', '.join('$' + k for k in sorted(values))})") from None
    except ValueError as exc:
        raise LetterError(f"letter template: {exc} (write $$ for a dollar sign)") from None
    paragraphs = [" ".join(p.split()) for p in body.split("\n\n")]
    return [p for p in paragraphs if p]


def read_template(path: Path | None) -> str:
    path = path or DEFAULT_TEMPLATE
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LetterError(f"alerts.letter_template: cannot read {path}: {exc}") from None


def _font(bold: bool) -> Path:
    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf"
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise LetterError(f"font {name} not found: install Debian's fonts-dejavu-core (scripts/install-system-deps)")


# --- PDF -------------------------------------------------------------------------------------------


def pdf_bytes(letter: LetterText) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(25, 20, 18)  # left 30 mm is the decree's; 25 keeps long names on one line
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("Serif", "", str(_font(False)))
    pdf.add_font("Serif", "B", str(_font(True)))
    pdf.set_title(f"{TITLE} — {letter.office_name}")
    pdf.set_creator("Thước Đo")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    left_w, right_w = width * 0.42, width * 0.58
    top = pdf.get_y()

    pdf.set_xy(pdf.l_margin, top)
    if letter.authority:
        pdf.set_font("Serif", "", 12)
        pdf.multi_cell(left_w, 6, letter.authority.upper(), align="C")
        pdf.set_x(pdf.l_margin)
    pdf.set_font("Serif", "B", 12)
    pdf.multi_cell(left_w, 6, letter.office_name.upper(), align="C")
    pdf.set_x(pdf.l_margin)
    pdf.set_font("Serif", "", 12)
    pdf.multi_cell(left_w, 8, "Số:        /TXL", align="C")
    left_bottom = pdf.get_y()

    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font("Serif", "B", 11.5)
    pdf.cell(right_w, 6, MOTTO[0], align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Serif", "B", 12.5)
    pdf.cell(right_w, 6, MOTTO[1], align="C", new_x="LEFT", new_y="NEXT")
    motto_w = pdf.get_string_width(MOTTO[1])
    x0 = pdf.l_margin + left_w + (right_w - motto_w) / 2
    pdf.line(x0, pdf.get_y(), x0 + motto_w, pdf.get_y())
    pdf.ln(4)
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font("Serif", "", 12.5)
    pdf.cell(right_w, 6, letter.date_line, align="C")
    pdf.set_y(max(left_bottom, pdf.get_y() + 6) + 8)

    pdf.set_font("Serif", "B", 14)
    pdf.cell(width, 8, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Serif", "", 13)
    pdf.cell(width, 7, f"Kính gửi: {letter.citizen}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for paragraph in letter.paragraphs:
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, 6.5, "      " + paragraph, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    pdf.ln(6)
    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()
    block = pdf.get_y()
    pdf.set_font("Serif", "B", 11)
    pdf.set_xy(pdf.l_margin, block)
    pdf.cell(left_w, 6, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 10.5)
    for line in ("- Như trên;", "- Lưu: VT, Bộ phận Một cửa."):
        pdf.cell(left_w, 5.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + left_w, block)
    pdf.set_font("Serif", "B", 12.5)
    pdf.multi_cell(right_w, 6.5, letter.signer_title.upper(), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Serif", "", 11)
    pdf.cell(right_w, 6, SIGN_HINT, align="C", new_x="LEFT", new_y="NEXT")
    pdf.ln(24)
    if letter.signer_name:
        pdf.set_x(pdf.l_margin + left_w)
        pdf.set_font("Serif", "B", 13)
        pdf.cell(right_w, 7, letter.signer_name, align="C")
    return bytes(pdf.output())


# --- DOCX ------------------------------------------------------------------------------------------


def docx_bytes(letter: LetterText) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    style.paragraph_format.space_after = Pt(0)

    def line(cell_or_doc, text: str, *, bold=False, italic=False, size=13, align=WD_ALIGN_PARAGRAPH.CENTER,
             first=False):
        para = cell_or_doc.paragraphs[0] if first else cell_or_doc.add_paragraph()
        para.alignment = align
        run = para.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)
        return para

    header = doc.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(9.5)
    first = True
    if letter.authority:
        line(left, letter.authority.upper(), size=12, first=True)
        first = False
    line(left, letter.office_name.upper(), bold=True, size=12, first=first)
    line(left, "Số:        /TXL", size=12)
    line(right, MOTTO[0], bold=True, size=12, first=True)
    line(right, MOTTO[1], bold=True, size=13).runs[0].underline = True
    line(right, letter.date_line, italic=True, size=13)

    doc.add_paragraph()
    line(doc, TITLE, bold=True, size=14)
    line(doc, f"Kính gửi: {letter.citizen}")
    doc.add_paragraph()
    for paragraph in letter.paragraphs:
        para = line(doc, paragraph, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        para.paragraph_format.first_line_indent = Cm(1)
        para.paragraph_format.space_after = Pt(6)

    doc.add_paragraph()
    footer = doc.add_table(rows=1, cols=2)
    left, right = footer.rows[0].cells
    line(left, "Nơi nhận:", bold=True, italic=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT, first=True)
    line(left, "- Như trên;", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    line(left, "- Lưu: VT, Bộ phận Một cửa.", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    line(right, letter.signer_title.upper(), bold=True, first=True)
    line(right, SIGN_HINT, italic=True, size=12)
    for _ in range(4):
        right.add_paragraph()
    if letter.signer_name:
        line(right, letter.signer_name, bold=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
