"""Uploaded files: what a deployment accepts, told by the content itself, and photos without their location.

`check_uploads(files, limits)` takes every file of one request and returns them as they may be
stored, or raises before anything is kept (docs/files.md):

- at most `limits.per_request` files (`LIMIT_REACHED`);
- none empty, none over `limits.max_bytes` (`FILE_TOO_LARGE`);
- the type is read from the bytes (JPEG, PNG, WebP, PDF) and must be accepted; a file whose name
  or declared type says otherwise lies about itself (`INVALID_FILE`);
- an image must decode whole with Pillow (verify, then load: a truncated photo is refused) and
  have at most `limits.max_pixels` pixels (a decompression bomb is `FILE_TOO_LARGE` before it
  is decoded); a PDF must parse with pypdf, have pages and no password;
- a photo's EXIF location (the GPS IFD) and its XMP packet are dropped, re-encoding it with the
  rest of its EXIF (orientation) and its colour profile; a photo without them is kept byte for byte.

Plain functions without I/O: they take CPU time, so callers run them off the event loop.
"""

from __future__ import annotations

import io
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import ExifTags, Image

from ..errors import ApiError, ErrorCode
from ..settings import Settings

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
# The types a file's first bytes can show, and Pillow's name of each image format.
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
_NAMES = {JPEG: "JPEG", PNG: "PNG", WEBP: "WebP", PDF: "PDF"}
# Declared types that say nothing (curl's and browsers' default for an unknown file).
_UNSAID = {"", "application/octet-stream", "binary/octet-stream"}
_ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG, "image/x-png": PNG, "application/x-pdf": PDF}
# Python's own table (not the machine's /etc/mime.types), as connectors/sql/functions.py reads it.
_BY_EXTENSION = mimetypes.MimeTypes().types_map[True]
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")
MAX_NAME = 200  # the native attachments.filename column


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What one deployment accepts ([files] in ventanilla.toml)."""

    per_request: int = 5
    max_bytes: int = 10 * 1024 * 1024
    types: frozenset[str] = frozenset({JPEG, PNG, WEBP, PDF})
    max_pixels: int = 50_000_000

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        return cls(
            per_request=settings.max_files_per_request,
            max_bytes=settings.max_file_bytes,
            types=frozenset(_ALIASES.get(t.lower(), t.lower()) for t in settings.file_types),
            max_pixels=settings.max_image_pixels,
        )


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as a request sent it: its name, its bytes and the type the client declared (if any)."""

    filename: str
    content: bytes
    declared_type: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file that may be stored: its bytes as they will be kept, the type they are, a clean name."""

    filename: str
    content: bytes
    content_type: str

    @property
    def size(self) -> int:
        return len(self.content)


def check_uploads(
    files: Sequence[Upload], limits: UploadLimits, field: str = "attachments"
) -> list[CheckedFile]:
    """Every file of one request, checked and cleaned; the first refusal raises (nothing is kept)."""
    if len(files) > limits.per_request:
        raise ApiError(
            ErrorCode.LIMIT_REACHED,
            field=[field],
            detail=f"hasta {limits.per_request} archivos por envío",
            detail_en=f"at most {limits.per_request} files per request",
        )
    return [check_upload(file, limits, [field, str(i)]) for i, file in enumerate(files)]


def check_upload(file: Upload, limits: UploadLimits, field: list[str] | None = None) -> CheckedFile:
    """One file, checked and cleaned (see the module's docstring), or an ApiError."""
    name = clean_filename(file.filename)
    refuse = _Refusal(name, limits, field)
    if not file.content:
        raise refuse.invalid("está vacío", "it is empty")
    if len(file.content) > limits.max_bytes:
        megabytes = f"{limits.max_bytes / 1024 / 1024:g} MB"
        raise refuse.too_large(f"pesa más de {megabytes}", f"it has more than {megabytes}")
    kind = sniff(file.content)
    if kind is None or kind not in limits.types:
        raise refuse.invalid(
            "su contenido no es de un tipo aceptado", "its content is not of an accepted type"
        )
    said = [_ALIASES.get(t, t) for t in (_type_of_name(name), _declared(file.declared_type)) if t]
    if any(t != kind for t in said):
        raise refuse.invalid(
            f"su nombre o su tipo no coinciden con su contenido ({_NAMES[kind]})",
            f"its name or type does not match its content ({_NAMES[kind]})",
        )
    content = (
        _checked_pdf(file.content, refuse) if kind == PDF else _checked_image(file.content, kind, refuse)
    )
    return CheckedFile(name, content, kind)


def sniff(content: bytes) -> str | None:
    """The type the first bytes show: JPEG, PNG, WebP or PDF; None for anything else."""
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(b"%PDF-"):
        return PDF
    return None


def clean_filename(name: str) -> str:
    """The name without folders (a browser may send C:\\fakepath\\foto.jpg) or control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _UNSAFE.sub("", base).strip().lstrip(".")
    return base[-MAX_NAME:] or "archivo"


def _type_of_name(name: str) -> str | None:
    _, dot, extension = name.rpartition(".")
    return _BY_EXTENSION.get(f".{extension.lower()}") if dot else None


def _declared(declared: str | None) -> str | None:
    kind = (declared or "").split(";")[0].strip().lower()
    return None if kind in _UNSAID else kind


class _Refusal:
    """The refusals of one file, naming it and what is accepted."""

    def __init__(self, name: str, limits: UploadLimits, field: list[str] | None) -> None:
        self.name, self.field, self.max_pixels = name, field, limits.max_pixels
        self.accepted = ", ".join(sorted(_NAMES.get(t, t) for t in limits.types))

    def invalid(self, es: str, en: str) -> ApiError:
        return ApiError(ErrorCode.INVALID_FILE, field=self.field, filename=self.name, detail=es, detail_en=en,
                        accepted=self.accepted)  # fmt: skip

    def too_large(self, es: str, en: str) -> ApiError:
        return ApiError(
            ErrorCode.FILE_TOO_LARGE, field=self.field, filename=self.name, detail=es, detail_en=en
        )

    def too_many_pixels(self) -> ApiError:
        megapixels = f"{self.max_pixels / 1_000_000:g}"
        return self.too_large(
            f"la imagen tiene más de {megapixels} megapíxeles",
            f"the image has more than {megapixels} megapixels",
        )


def _checked_image(content: bytes, kind: str, refuse: _Refusal) -> bytes:
    """The image, decoded whole; re-encoded without its location when it carries one."""
    formats = [_PILLOW_FORMATS[kind]]
    try:
        with Image.open(io.BytesIO(content), formats=formats) as image:
            pixels = image.width * image.height  # from the header: nothing decoded yet
            if pixels <= refuse.max_pixels:
                image.verify()
        if pixels > refuse.max_pixels:
            raise refuse.too_many_pixels()
        with Image.open(io.BytesIO(content), formats=formats) as image:
            image.load()  # every pixel: a truncated or corrupt image fails here
            return _without_location(image, content)
    except ApiError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse.too_many_pixels() from None
    except Exception:  # Pillow reports damage as OSError, SyntaxError, ValueError ... alike
        raise refuse.invalid(
            "la imagen está dañada o incompleta", "the image is damaged or incomplete"
        ) from None


def _without_location(image: Image.Image, content: bytes) -> bytes:
    """The image's bytes without the EXIF GPS IFD and XMP; as they came when it has neither."""
    exif = image.getexif()
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if ExifTags.IFD.GPSInfo not in exif and not xmp:
        return content
    del exif[ExifTags.IFD.GPSInfo]
    options: dict[str, object] = {"exif": exif.tobytes()}  # the rest of it: orientation, camera, date
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    if image.format == "JPEG":
        options.update(quality="keep", subsampling="keep", qtables="keep")  # the original's encoding
    elif image.format == "WEBP":
        options["lossless"] = True  # no second loss of quality
    out = io.BytesIO()
    image.save(out, format=image.format, **options)
    return out.getvalue()


def _checked_pdf(content: bytes, refuse: _Refusal) -> bytes:
    from pypdf import PdfReader  # some 15 MB, on the first PDF a worker checks

    damaged = refuse.invalid("el PDF está dañado o no se puede leer", "the PDF is damaged or cannot be read")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)  # lenient with small slips of real files
        if reader.is_encrypted:
            raise refuse.invalid("el PDF tiene contraseña", "the PDF has a password")
        if not reader.pages:
            raise damaged
        for page in reader.pages:
            page.mediabox  # noqa: B018 - each page's dictionary is read: a broken tree fails here
    except ApiError:
        raise
    except Exception:  # pypdf reports a broken file as PdfReadError, KeyError, ValueError ... alike
        raise damaged from None
    return content
