"""A drawn signature (signContract, FEATURES.md D2): a PNG that decodes, within its limits, and not blank.

`check_signature(upload, limits)` answers the PNG as it will be kept, or raises: a file that is
not a PNG or does not decode is INVALID_FILE, one over `SIGNATURE_MAX_BYTES` or
`SIGNATURE_MAX_PIXELS` is FILE_TOO_LARGE (rules/uploads.py checks both, by the content), and a
picture with (almost) nothing drawn on it is BAD_INPUT (`is_blank`).

"Blank" is decided on the picture as a person sees it: a transparent canvas (what a browser's
canvas exports) laid on white, in grey levels; the background is the most frequent grey, and ink
is every pixel at least `INK_CONTRAST` levels away from it. Fewer than `MIN_INK_PIXELS` such
pixels (a stray click, a dot, JPEG-like noise is not a signature) is blank.

Plain functions without I/O: decoding takes CPU, so callers run them off the event loop.
"""

from __future__ import annotations

import io

from PIL import Image

from ..errors import ApiError, ErrorCode
from .uploads import PNG, Upload, UploadLimits, check_upload

SIGNATURE_MAX_BYTES = 1024 * 1024  # 1 MiB: a drawn signature is a few KiB
SIGNATURE_MAX_PIXELS = 4_000_000  # e.g. 2000 x 2000: a signature pad, not a photo
MIN_INK_PIXELS = 60  # fewer drawn pixels than a short stroke is no signature
INK_CONTRAST = 64  # grey levels (of 255) between ink and background
FIELD = ["input", "signature"]


def signature_limits(limits: UploadLimits) -> UploadLimits:
    """The deployment's upload limits narrowed to a signature: PNG only, 1 MiB, 4 megapixels."""
    return UploadLimits(
        per_request=1,
        max_bytes=min(limits.max_bytes, SIGNATURE_MAX_BYTES),
        types=frozenset({PNG}),
        max_pixels=min(limits.max_pixels, SIGNATURE_MAX_PIXELS),
    )


def ink_pixels(content: bytes) -> int:
    """How many pixels of the (decoded, checked) PNG differ from its background: the drawn ink."""
    with Image.open(io.BytesIO(content), formats=["PNG"]) as image:
        rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(canvas, rgba).convert("L")
    histogram = grey.histogram()  # 256 counts
    background = max(range(256), key=histogram.__getitem__)
    return sum(count for level, count in enumerate(histogram) if abs(level - background) >= INK_CONTRAST)


def is_blank(content: bytes) -> bool:
    """Whether a decoded PNG has nothing drawn on it (fewer than MIN_INK_PIXELS of ink)."""
    return ink_pixels(content) < MIN_INK_PIXELS


def check_signature(upload: Upload, limits: UploadLimits) -> bytes:
    """The signature's PNG bytes as kept; INVALID_FILE, FILE_TOO_LARGE or BAD_INPUT (blank)."""
    checked = check_upload(upload, signature_limits(limits), FIELD)
    if is_blank(checked.content):
        raise ApiError(
            ErrorCode.BAD_INPUT, field=FIELD,
            detail="la firma está en blanco: dibujá tu firma antes de enviarla",
            detail_en="the signature is blank: draw your signature before sending it",
        )  # fmt: skip
    return checked.content
