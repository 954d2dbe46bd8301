"""Uploaded files, checked by their content with real generated files, and the blob store that keeps them."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from fpdf import FPDF
from PIL import ExifTags, Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.errors import ApiError, ErrorCode
from ventanilla.resolvers.uploads import keep_uploads
from ventanilla.rules.uploads import Upload, UploadLimits, check_upload, check_uploads
from ventanilla.settings import Settings
from ventanilla.store.blobs import DatabaseBlobs, DirectoryBlobs, blob_key, blob_store
from ventanilla.store.tables import blobs as blobs_table
from ventanilla.store.tables import metadata as store_metadata

from .conftest import fresh_database

LIMITS = UploadLimits()
ROTATED = 6  # EXIF Orientation: the camera was held upright


def photo(format: str = "JPEG", gps: bool = True, size: tuple[int, int] = (64, 48)) -> bytes:
    """A photo as a phone takes it: orientation, camera, and (with `gps`) where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = ROTATED
    exif[ExifTags.Base.Make] = "Motorola"
    if gps:
        where = exif.get_ifd(ExifTags.IFD.GPSInfo)
        where[ExifTags.GPS.GPSLatitudeRef], where[ExifTags.GPS.GPSLatitude] = "S", (34.0, 36.0, 12.5)
        where[ExifTags.GPS.GPSLongitudeRef], where[ExifTags.GPS.GPSLongitude] = "W", (58.0, 22.0, 54.0)
    out = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(out, format, exif=exif.tobytes())
    return out.getvalue()


def pdf() -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Comprobante de transferencia")
    return bytes(document.output())


def exif_of(content: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(content)) as image:
        return image.getexif()


def refusal(file: Upload, limits: UploadLimits = LIMITS) -> ApiError:
    with pytest.raises(ApiError) as refused:
        check_upload(file, limits)
    return refused.value


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_a_photo_loses_its_location_and_keeps_its_orientation(format: str) -> None:
    # given a phone photo that says where it was taken
    taken = photo(format)
    assert exif_of(taken).get_ifd(ExifTags.IFD.GPSInfo)
    # when it is checked for storing
    kept = check_upload(Upload(f"router.{format.lower()}", taken, f"image/{format.lower()}"), LIMITS)
    # then the stored photo has no location, still the same orientation and camera, and decodes
    exif = exif_of(kept.content)
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert (exif[ExifTags.Base.Orientation], exif[ExifTags.Base.Make]) == (ROTATED, "Motorola")
    assert kept.content_type == f"image/{format.lower()}"
    with Image.open(io.BytesIO(kept.content)) as image:
        assert image.size == (64, 48)


def test_a_photo_without_location_is_kept_byte_for_byte() -> None:
    taken = photo(gps=False)
    assert check_upload(Upload("router.jpg", taken), LIMITS).content == taken


def test_a_valid_pdf_is_accepted_as_it_came() -> None:
    content = pdf()
    kept = check_upload(Upload("comprobante.pdf", content, "application/pdf"), LIMITS)
    assert (kept.content, kept.content_type, kept.filename) == (content, "application/pdf", "comprobante.pdf")


def test_a_decompression_bomb_is_too_large_before_it_is_decoded() -> None:
    # given a PNG of 20,000 x 20,000 pixels that weighs a few kilobytes
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")
    assert len(out.getvalue()) < 100_000
    # then
    refused = refusal(Upload("captura.png", out.getvalue()))
    assert refused.code is ErrorCode.FILE_TOO_LARGE
    assert "50 megapixels" in refused.message("en") and "50 megapíxeles" in refused.message("es")


def test_the_pixel_limit_is_the_deployments() -> None:
    limits = UploadLimits(max_pixels=1_000)
    assert refusal(Upload("router.jpg", photo(size=(40, 30))), limits).code is ErrorCode.FILE_TOO_LARGE
    assert check_upload(Upload("router.jpg", photo(size=(30, 30))), limits).content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("file", "why"),
    [
        (Upload("comprobante.pdf", photo(format="PNG")), "its name or type does not match its content (PNG)"),
        (Upload("router.jpg", photo(format="PNG")), "its name or type does not match its content (PNG)"),
        (Upload("comprobante", photo(format="PNG"), "application/pdf"), "its name or type does not match"),
        (Upload("router.jpg", photo()[:600]), "the image is damaged or incomplete"),
        (Upload("comprobante.pdf", b"%PDF-1.7\nnot a document at all\n"), "the PDF is damaged"),
        (Upload("comprobante.pdf", pdf()[:400]), "the PDF is damaged"),
        (Upload("vacio.jpg", b""), "it is empty"),
        (Upload("pagina.html", b"<html><script>alert(1)</script></html>"), "its content is not of an accepted type"),
    ],
    ids=["png-named-pdf", "png-named-jpg", "png-declared-pdf", "truncated-jpeg", "not-a-pdf", "truncated-pdf",
         "empty", "html"],
)  # fmt: skip
def test_a_file_that_is_not_what_it_says_is_invalid(file: Upload, why: str) -> None:
    refused = refusal(file)
    assert refused.code is ErrorCode.INVALID_FILE
    assert why in refused.message("en")
    assert refused.message("es").startswith(f"El archivo «{file.filename}» no se aceptó")


def test_a_gif_is_refused_and_a_deployment_may_take_pdfs_only() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    assert refusal(Upload("animacion.gif", out.getvalue())).code is ErrorCode.INVALID_FILE
    only_pdfs = UploadLimits(types=frozenset({"application/pdf"}))
    refused = refusal(Upload("router.jpg", photo()), only_pdfs)
    assert refused.code is ErrorCode.INVALID_FILE and refused.message("en").endswith("Accepted: PDF.")


def test_a_file_over_the_byte_limit_is_too_large() -> None:
    content = photo(gps=False)
    refused = refusal(Upload("router.jpg", content), UploadLimits(max_bytes=len(content) - 1))
    assert refused.code is ErrorCode.FILE_TOO_LARGE
    assert check_upload(Upload("router.jpg", content), UploadLimits(max_bytes=len(content))).size == len(
        content
    )


def test_more_files_than_the_limit_reach_it_and_each_refusal_names_its_field() -> None:
    with pytest.raises(ApiError) as refused:
        check_uploads([Upload("a.pdf", pdf())] * 6, LIMITS)
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    assert refused.value.message("en") == "A limit was reached: at most 5 files per request."
    with pytest.raises(ApiError) as refused:
        check_uploads([Upload("a.pdf", pdf()), Upload("b.pdf", b"")], LIMITS, field="file")
    assert refused.value.field == ["file", "1"]


def test_a_name_keeps_no_folder_or_control_character() -> None:
    kept = check_upload(Upload("C:\\fakepath\\..\\comp\x00robante.pdf", pdf()), LIMITS)
    assert kept.filename == "comprobante.pdf"


def test_the_limits_are_the_deployments_settings() -> None:
    settings = Settings(
        max_files_per_request=2, max_file_bytes=1000, file_types=["image/JPG"], max_image_pixels=9
    )
    assert UploadLimits.of(settings) == UploadLimits(2, 1000, frozenset({"image/jpeg"}), 9)


# --- the blob store -----------------------------------------------------------------------------


async def test_a_directory_keeps_each_content_once_under_its_sha256(tmp_path) -> None:
    store = DirectoryBlobs(tmp_path / "files")
    content = pdf()
    keys = await asyncio.gather(*[store.put(content, "application/pdf") for _ in range(8)])
    assert set(keys) == {blob_key(content)}
    assert await store.get(keys[0]) == content and await store.exists(keys[0])
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [keys[0]]  # no temporary file left behind
    assert await store.get("0" * 64) is None and not await store.exists("0" * 64)
    assert await store.get("../../etc/passwd") is None  # a key is hex digits, never a path


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_store_database_keeps_each_content_once(backend: str, tmp_path) -> None:
    async with fresh_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(store_metadata.create_all)
            store = blob_store(Settings(database_url=url, files_store="database"), engine)
            assert isinstance(store, DatabaseBlobs)
            content = photo()
            keys = await asyncio.gather(*[store.put(content, "image/jpeg") for _ in range(5)])
            assert set(keys) == {blob_key(content)}
            assert await store.get(keys[0]) == content and await store.exists(keys[0])
            assert await store.get("f" * 64) is None and await store.get("nope") is None
            async with engine.connect() as conn:
                assert await conn.scalar(select(func.count()).select_from(blobs_table)) == 1
        finally:
            await engine.dispose()


async def test_one_refused_file_keeps_nothing_of_the_request(tmp_path) -> None:
    store = DirectoryBlobs(tmp_path / "files")
    files = [Upload("router.jpg", photo()), Upload("captura.png", photo()[:700], "image/png")]
    with pytest.raises(ApiError) as refused:
        await keep_uploads(store, LIMITS, files)
    assert refused.value.code is ErrorCode.INVALID_FILE
    assert not (tmp_path / "files").exists()
    # and the good one alone is kept, without its location
    (kept,) = await keep_uploads(store, LIMITS, files[:1])
    assert exif_of(await store.get(kept.sha256)).get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert (kept.filename, kept.content_type) == ("router.jpg", "image/jpeg")


# --- multipart requests (the GraphQL multipart request spec) over HTTP -------------------------------

OPERATIONS = '{"query": "{ portal { name } }", "variables": {}}'


async def multipart(demo_api, headers: dict[str, str], file: bytes = b"%PDF-1.7") -> httpx.Response:
    form = {"operations": OPERATIONS, "map": "{}"}
    return await demo_api.client.post(
        "/graphql", data=form, files={"0": ("comprobante.pdf", file, "application/pdf")}, headers=headers
    )


async def test_a_multipart_request_without_a_csrf_header_is_refused(demo_api) -> None:
    # when a page on another site posts a form to the API (a browser sends no custom header cross-site)
    response = await multipart(demo_api, {"Accept-Language": "en"})
    # then nothing runs
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "X-Ventanilla-CSRF" in error["message"]
    assert "data" not in response.json()


@pytest.mark.parametrize("header", ["X-Ventanilla-CSRF", "Apollo-Require-Preflight"])
async def test_a_multipart_request_with_a_csrf_header_runs(demo_api, header: str) -> None:
    response = await multipart(demo_api, {header: "1"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["portal"]["name"]


async def test_a_multipart_body_may_carry_files_a_json_body_may_not(demo_api) -> None:
    # given 2 MB: over the body limit (1 MB), within the files' (5 x 10 MiB)
    payload = b"%PDF-1.7\n" + b"0" * 2_000_000
    # then a multipart request reaches the API and a JSON one of that size does not
    assert (await multipart(demo_api, {"X-Ventanilla-CSRF": "1"}, payload)).status_code == 200
    big_json = await demo_api.client.post("/graphql", content=b'{"query": "' + b" " * 2_000_000 + b'"}',
                                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert big_json.status_code == 413


def test_the_files_section_of_ventanilla_toml(tmp_path) -> None:
    from ventanilla.settings import FileStore, read_toml

    path = tmp_path / "ventanilla.toml"
    path.write_text('[files]\nstore = "database"\ndirectory = "/srv/adjuntos"\nmax_per_request = 3\n'
                    'max_bytes = 2000000\ntypes = ["application/pdf"]\nmax_pixels = 20000000\n')  # fmt: skip
    settings = Settings(**read_toml(path))
    assert settings.files_store is FileStore.DATABASE and settings.files_directory == "/srv/adjuntos"
    assert UploadLimits.of(settings) == UploadLimits(3, 2_000_000, frozenset({"application/pdf"}), 20_000_000)
