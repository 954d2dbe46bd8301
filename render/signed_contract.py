"""The signed copy of a contract (FEATURES.md D2): the pages the customer was shown, the drawn
signature and an evidence page, in one PDF carrying a PAdES signature of the business.

- `evidence_page(evidence, signature_png)`: one A4 page in the house style: the signature as
  drawn, who signed for which account, when, from which IP and browser, and the SHA-256 of the
  contract PDF and of the signature image.
- `signed_copy(original, evidence, signature_png, signer)`: the original PDF's pages followed by
  the evidence page; the original PDF, the PNG and the evidence (JSON) travel inside it as
  embedded files (what `ventanilla contracts verify` hashes again); then signed with pyHanko as
  PAdES baseline B (`/ETSI.CAdES.detached`) with the key and certificate of `[contracts]`.
- `verify_copy(content, certificate)`: the PAdES signature checked by pyHanko's validator with the
  business's certificate as the only trust root, and the embedded files read back.
- `self_signed_pair(key_path, certificate_path, name)`: a key and a self-signed certificate for
  the demo and the tests (a deployment uses the business's own).

Plain functions without I/O on the event loop: callers run them in a thread (pyHanko's sync API
runs its own event loop).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from pypdf import PdfReader, PdfWriter

from ._sheet import MUTED, Sheet

ORIGINAL_NAME = "contrato-original.pdf"
SIGNATURE_NAME = "firma.png"
EVIDENCE_NAME = "evidencia.json"
FIELD_NAME = "FirmaVentanilla"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the evidence page prints and the evidence JSON holds (one `contract_signatures` row)."""

    contract_id: str  # canonical id
    contract_number: str
    contract_title: str
    customer_id: str  # the account, canonical id
    customer_code: str
    customer_name: str
    signer: str  # the user's name
    user_id: int | None
    signed_at: str  # ISO 8601, UTC
    ip: str | None
    user_agent: str | None
    contract_sha256: str
    signature_sha256: str
    business: str

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, indent=1).encode()


@dataclass(frozen=True, slots=True)
class Signer:
    """The business's signing key and certificate (PEM files: `[contracts] signing_key`, `certificate`)."""

    key_path: str
    certificate_path: str


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def evidence_page(evidence: Evidence, signature_png: bytes) -> bytes:
    """The evidence page as a one-page PDF."""
    issuer = evidence.business
    sheet = Sheet(f"Constancia de firma - Contrato {evidence.contract_number}", issuer,
                  f"{issuer} - Constancia de firma del contrato {evidence.contract_number}")  # fmt: skip
    sheet.line_text("Constancia de firma electrónica", size=15, bold=True)
    sheet.line_text(f"Contrato {evidence.contract_number}: {evidence.contract_title}", size=10)
    sheet.section("Firma del cliente")
    top = sheet.get_y()
    with Image.open(io.BytesIO(signature_png)) as drawn:
        ratio = drawn.height / drawn.width
    width = min(80.0, 45.0 / ratio)  # at most 80 mm wide and 45 mm high
    sheet.image(io.BytesIO(signature_png), x=sheet.l_margin + (sheet.epw - width) / 2, y=top + 2, w=width)
    bottom = top + 2 + width * ratio
    sheet.set_draw_color(*MUTED)
    sheet.line(sheet.l_margin + 40, bottom + 2, sheet.l_margin + sheet.epw - 40, bottom + 2)
    sheet.set_y(bottom + 3)
    sheet.line_text(evidence.signer, size=9, align="C")
    sheet.section("Datos de la firma")
    rows = [
        ("Firmante", f"{evidence.signer}" + (f" (usuario {evidence.user_id})" if evidence.user_id else "")),
        ("Cuenta", f"{evidence.customer_name} - cliente {evidence.customer_code}"),
        ("Fecha y hora", f"{evidence.signed_at} (UTC)"),
        ("Dirección IP", evidence.ip or "-"),
        ("Navegador", evidence.user_agent or "-"),
        ("Consentimiento", "El cliente marcó «Leí el contrato y acepto sus términos» antes de firmar."),
    ]
    sheet.fields(rows, sheet.l_margin + 2, sheet.epw - 4, 34)
    sheet.section("Huellas SHA-256")
    sheet.fields(
        [("Contrato (PDF)", evidence.contract_sha256), ("Firma (PNG)", evidence.signature_sha256)],
        sheet.l_margin + 2, sheet.epw - 4, 34,
    )  # fmt: skip
    sheet.ln(3)
    sheet.line_text(
        "Las huellas identifican el PDF del contrato que el cliente vio al firmar y la imagen de su firma; "
        "ambos viajan adjuntos en este documento. El documento lleva la firma digital (PAdES) de "
        f"{issuer or 'la empresa'}: cualquier cambio posterior la invalida. Se verifica en un lector de PDF "
        "o con `ventanilla contracts verify`.",
        size=8, color=MUTED,
    )  # fmt: skip
    return sheet.output_bytes()


def assembled(original: bytes, evidence: Evidence, signature_png: bytes) -> bytes:
    """The original's pages and the evidence page, with the three embedded files; not yet signed."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(original)))
    writer.append(PdfReader(io.BytesIO(evidence_page(evidence, signature_png))))
    writer.add_metadata({
        "/Title": f"Contrato {evidence.contract_number} firmado",
        "/Author": evidence.business,
        "/Subject": f"Contrato {evidence.contract_number} firmado por {evidence.signer} el {evidence.signed_at}",
        "/Creator": "Ventanilla",
    })  # fmt: skip
    writer.add_attachment(ORIGINAL_NAME, original)
    writer.add_attachment(SIGNATURE_NAME, signature_png)
    writer.add_attachment(EVIDENCE_NAME, evidence.to_json())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pades_signed(content: bytes, signer: Signer, reason: str) -> bytes:
    """`content` with a PAdES baseline-B signature of `signer` over the whole file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key = signers.SimpleSigner.load(signer.key_path, signer.certificate_path)
    if key is None:
        raise ValueError("[contracts] signing_key / certificate: the key or the certificate cannot be read")
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256", reason=reason
    )
    out = signers.sign_pdf(writer, meta, signer=key)
    return out.getvalue()


def signed_copy(original: bytes, evidence: Evidence, signature_png: bytes, signer: Signer) -> bytes:
    """The signed copy: original pages + evidence page (with the signature), PAdES-signed."""
    reason = f"Firma del contrato {evidence.contract_number} por {evidence.signer}"
    return pades_signed(assembled(original, evidence, signature_png), signer, reason)


@dataclass(frozen=True, slots=True)
class Verification:
    """What `verify_copy` found: the PAdES signature's state and the files embedded in the copy."""

    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature is cryptographically sound
    trusted: bool  # made with the business's certificate
    whole_file: bool  # nothing was added after the signature
    signer_subject: str | None
    embedded: dict[str, bytes]

    @property
    def signature_ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file

    @property
    def evidence(self) -> dict[str, Any] | None:
        raw = self.embedded.get(EVIDENCE_NAME)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None


def verify_copy(content: bytes, certificate_path: str) -> Verification:
    """Check a signed copy's PAdES signature against the business's certificate, and read its files.
    A file that is no PDF, or has no signature, answers a Verification with everything False."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    failed = Verification(False, False, False, False, None, {})
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        return failed
    if len(signatures) != 1:
        return failed
    context = ValidationContext(trust_roots=[load_cert_from_pemder(certificate_path)])
    try:
        status = validate_pdf_signature(signatures[0], context)
    except Exception:
        return failed
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    return Verification(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer_subject=status.signing_cert.subject.human_friendly if status.signing_cert else None,
        embedded=_embedded(content),
    )


def _embedded(content: bytes) -> dict[str, bytes]:
    try:
        attachments = PdfReader(io.BytesIO(content)).attachments
    except Exception:
        return {}
    return {name: values[0] for name, values in attachments.items() if values}


def self_signed_pair(key_path: Path, certificate_path: Path, name: str, years: int = 5) -> Signer:
    """A new RSA key and a self-signed certificate for it (PEM), written to the two paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])  # fmt: skip
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )  # fmt: skip
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    key_path.chmod(0o600)
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return Signer(str(key_path), str(certificate_path))
