"""The demo's attached files: small real photos, screenshots and PDFs, the same bytes for the same name.

Each file a demo ticket attaches (`foto_router.jpg`, `comprobante_pago.pdf` ...) is drawn once
from its name: a JPEG photo, a PNG screenshot or a one-page PDF that Ventanilla's own upload
checks accept (rules/uploads.py), so that a demo attachment downloads as a file that opens.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from functools import cache

from fpdf import FPDF
from PIL import Image, ImageDraw

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}


def content_type_of(filename: str) -> str:
    return CONTENT_TYPES[filename.rpartition(".")[2]]


@cache
def demo_file(filename: str) -> bytes:
    """The bytes of the demo file `filename` (.jpg, .png or .pdf): the same for the same name."""
    extension = filename.rpartition(".")[2]
    if extension == "pdf":
        return _pdf(filename)
    return _picture(filename, "JPEG" if extension == "jpg" else "PNG")


def _picture(filename: str, format: str) -> bytes:
    """A small picture with shapes in colours drawn from the name."""
    seed = hashlib.sha256(filename.encode()).digest()
    image = Image.new("RGB", (320, 240), (seed[0], seed[1], seed[2]))
    draw = ImageDraw.Draw(image)
    for i in range(6):
        x, y = seed[3 + i] % 260, seed[9 + i] % 180
        colour = (seed[15 + i], seed[21 + i] % 200, 255 - seed[i])
        shape = draw.ellipse if i % 2 else draw.rectangle
        shape((x, y, x + 40 + seed[27 - i] % 60, y + 30 + seed[i + 1] % 50), fill=colour)
    draw.text((12, 212), filename, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format=format, **({"quality": 80} if format == "JPEG" else {"optimize": True}))
    return out.getvalue()


def _pdf(filename: str) -> bytes:
    """A one-page PDF titled after the file, dated at a fixed instant so its bytes never change."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=UTC))
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    title = filename.rpartition(".")[0].replace("_", " ").capitalize()
    pdf.cell(text=title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(w=0, text="Documento de ejemplo del portal de demostración de Ventanilla.")
    return bytes(pdf.output())
