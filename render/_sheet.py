"""An A4 page with the house style of every PDF: fonts, colours, boxes, label/value rows, footer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos

from ._format import latin1

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (173, 181, 189)
SHADE = (233, 236, 239)
STRIPE = (248, 249, 250)
FONT = "helvetica"  # a core font: nothing to embed, latin-1 covers Spanish


class Sheet(FPDF):
    """A4 portrait, 15 mm margins, page numbers and a one-line note in the footer."""

    def __init__(self, title: str, author: str, footer_note: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_note = latin1(footer_note).strip(" -")  # no dangling dash without an issuer
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=20)
        self.set_title(latin1(title))
        self.set_author(latin1(author))
        self.set_creator("Ventanilla")
        self.set_lang("es-AR")
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.set_line_width(0.25)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-14)
        self.style(7, color=MUTED)
        self.cell(self.epw * 0.75, 5, self.footer_note)
        self.cell(self.epw * 0.25, 5, f"Página {self.page_no()} de {{nb}}", align="R")

    # --- text ------------------------------------------------------------------------
    def style(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*color)

    def put(
        self,
        x: float,
        y: float,
        w: float,
        text: str,
        size: float = 9,
        bold: bool = False,
        align: str = "L",
        color: tuple[int, int, int] = INK,
        h: float = 5,
    ) -> None:
        """One line of text at an exact place, shrunk to fit `w` (header blocks use coordinates)."""
        text = latin1(text)
        self.style(size, bold, color)
        while size > 6 and self.get_string_width(text) > w - 2 * self.c_margin:
            size -= 0.5
            self.style(size, bold, color)
        self.set_xy(x, y)
        self.cell(w, h, text, align=align)

    def line_text(
        self,
        text: str,
        size: float = 9,
        bold: bool = False,
        color: tuple[int, int, int] = INK,
        align: str = "L",
        h: float = 5,
    ) -> None:
        """A paragraph across the page, wrapping, continuing below."""
        self.style(size, bold, color)
        self.multi_cell(0, h, latin1(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def room(self, height: float) -> None:
        """Start a new page unless `height` mm still fit above the bottom margin."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def section(self, title: str) -> None:
        """A shaded band that opens a part of the document."""
        self.ln(3)
        self.set_fill_color(*SHADE)
        self.style(9, bold=True)
        self.cell(0, 6, latin1(title).upper(), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def fields(self, rows: Sequence[tuple[str, str]], x: float, w: float, label_w: float = 34) -> float:
        """Label/value rows in a column starting at the current y; returns where they end."""
        y = self.get_y()
        for label, value in rows:
            self.put(x, y, label_w, f"{label}:", color=MUTED)
            self.set_xy(x + label_w, y)
            self.style(9)
            self.multi_cell(w - label_w, 5, latin1(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            y = self.get_y()
        return y

    def two_columns(
        self,
        left: Sequence[tuple[str, str]],
        right: Sequence[tuple[str, str]],
        label_w: tuple[float, float] = (24, 40),
    ) -> None:
        """Two columns of label/value rows, continuing below the taller one."""
        top = self.get_y()
        half = self.epw / 2
        end_left = self.fields(left, self.l_margin + 2, half - 4, label_w[0])
        self.set_y(top)
        end_right = self.fields(right, self.l_margin + half + 2, half - 4, label_w[1])
        self.set_y(max(end_left, end_right))

    def boxed(self, draw: Callable[[], object], padding: float = 2.5) -> None:
        """Run `draw` and frame what it wrote in a rectangle across the page."""
        top = self.get_y()
        self.set_y(top + padding)
        draw()
        bottom = self.get_y() + padding
        self.rect(self.l_margin, top, self.epw, bottom - top)
        self.set_y(bottom)

    # --- tables ----------------------------------------------------------------------
    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
        total: Sequence[str] | None = None,
    ) -> None:
        """A table with a shaded heading (repeated on every page), striped rows and a bold total."""
        self.style(8.5)
        heading = FontFace(emphasis="BOLD", fill_color=SHADE, color=INK)
        with self.table(
            col_widths=tuple(widths),
            width=self.epw,
            text_align=tuple(align),
            headings_style=heading,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            cell_fill_mode=TableCellFillMode.EVEN_ROWS,
            cell_fill_color=STRIPE,
            line_height=5.2,
            padding=(0.8, 1.2),
            align="L",
        ) as table:
            table.row([latin1(h) for h in headings])
            for values in rows:
                table.row([latin1(v) for v in values])
            if total is not None:
                table.row([latin1(v) for v in total], style=FontFace(emphasis="BOLD", fill_color=SHADE))

    def long_grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
        total: Sequence[str] | None = None,
    ) -> None:
        """`grid` for long lists of one-line rows (a statement's open items): plain cells, the
        heading repeated on every page. fpdf2's table measures and wraps every cell, some 10 ms a
        row; a 10,000-item statement took minutes with it (bench/README.md, "Documents")."""
        height = 5.2
        left, right = self.l_margin, self.l_margin + sum(widths)

        def line(values: Sequence[str], fill: tuple[int, int, int] | None, bold: bool, h: float) -> None:
            if fill:
                self.set_fill_color(*fill)
            self.style(8.5, bold=bold)
            for text, w, a in zip(values, widths, align, strict=True):
                self.cell(w, h, latin1(text), align=a, fill=fill is not None)
            self.ln(h)

        def heading() -> None:
            line(headings, SHADE, True, height + 0.8)

        heading()
        for index, values in enumerate(rows):
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                heading()
            line(values, STRIPE if index % 2 else None, False, height)
            self.line(left, self.get_y(), right, self.get_y())
        if total is not None:
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
            line(total, SHADE, True, height + 0.8)
        self.ln(1)

    def output_bytes(self) -> bytes:
        return bytes(self.output())
