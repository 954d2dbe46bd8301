"""Error codes shared by every layer, with their messages in Spanish and English.

Resolvers raise `ApiError(code)`; the GraphQL layer shows it as a top-level error with
`extensions.code` (authorization, not found) or as a `UserError` in a mutation payload,
in the caller's language (Accept-Language; Spanish by default).
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    LINK_EXPIRED = "LINK_EXPIRED"
    NOT_FOUND = "NOT_FOUND"
    FEATURE_DISABLED = "FEATURE_DISABLED"
    LIMIT_REACHED = "LIMIT_REACHED"
    BAD_INPUT = "BAD_INPUT"
    PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"
    STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    BAD_REQUEST = "BAD_REQUEST"
    # access (FEATURES.md A)
    PLACEHOLDER_TAX_ID = "PLACEHOLDER_TAX_ID"
    FORMER_CUSTOMER = "FORMER_CUSTOMER"
    ACCESS_REVOKED = "ACCESS_REVOKED"
    INVALID_RESET_LINK = "INVALID_RESET_LINK"
    INVALID_CODE = "INVALID_CODE"
    INVALID_CONFIRMATION_LINK = "INVALID_CONFIRMATION_LINK"  # E1: a new sign-in e-mail's link
    SESSION_ENDED = "SESSION_ENDED"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    # uploads (rules/uploads.py)
    INVALID_FILE = "INVALID_FILE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    # portal actions (resolvers/actions.py)
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    COOL_DOWN = "COOL_DOWN"
    ALREADY_DECIDED = "ALREADY_DECIDED"  # a payment receipt or a quote accepted or rejected before
    NOTHING_OWED = "NOTHING_OWED"  # a payment commitment for an account that owes nothing (B11)
    QUOTE_EXPIRED = "QUOTE_EXPIRED"  # a quote past its last valid day
    # portal actions II (resolvers/contracts.py)
    ALREADY_SIGNED = "ALREADY_SIGNED"
    READ_ONLY_FIELD = "READ_ONLY_FIELD"  # resolvers/contact.py
    # online payments (rules/payments.py, resolvers/payments.py)
    PAYMENT_AMOUNT_INVALID = "PAYMENT_AMOUNT_INVALID"
    NOTHING_TO_PAY = "NOTHING_TO_PAY"
    PAYMENT_CURRENCY_MISMATCH = "PAYMENT_CURRENCY_MISMATCH"
    INVOICE_ALREADY_PAID = "INVOICE_ALREADY_PAID"
    PAYMENT_OPTION_UNAVAILABLE = "PAYMENT_OPTION_UNAVAILABLE"
    PAYMENT_PROVIDER_UNKNOWN = "PAYMENT_PROVIDER_UNKNOWN"
    PAYMENT_PROVIDER_UNAVAILABLE = "PAYMENT_PROVIDER_UNAVAILABLE"
    RETURN_URL_NOT_ALLOWED = "RETURN_URL_NOT_ALLOWED"


MESSAGES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.INVALID_CREDENTIALS: (
        "Usuario o contraseña incorrectos.",
        "Wrong login or password.",
    ),
    ErrorCode.UNAUTHENTICATED: (
        "Iniciá sesión para ver estos datos (o el token de acceso venció).",
        "Sign in to see this data (or the access token has expired).",
    ),
    ErrorCode.FORBIDDEN: (
        "Tu usuario no tiene permiso para esta operación.",
        "Your user is not allowed to do this.",
    ),
    ErrorCode.LINK_EXPIRED: (
        "El enlace de descarga venció o no es válido: actualizá la página para obtener uno nuevo.",
        "The download link has expired or is not valid: reload the page to get a new one.",
    ),
    ErrorCode.NOT_FOUND: (
        "No se encontró {what}.",
        "{what_en} not found.",
    ),
    ErrorCode.FEATURE_DISABLED: (
        "Esta función no está habilitada en el portal: {feature}.",
        "This feature is not enabled in the portal: {feature}.",
    ),
    ErrorCode.LIMIT_REACHED: (
        "Se alcanzó un límite: {detail}.",
        "A limit was reached: {detail_en}.",
    ),
    ErrorCode.BAD_INPUT: (
        "Dato inválido: {detail}.",
        "Invalid input: {detail_en}.",
    ),
    ErrorCode.PASSWORD_CHANGE_REQUIRED: (
        "Tenés que cambiar tu contraseña temporal antes de continuar.",
        "You must change your temporary password before going on.",
    ),
    ErrorCode.TOO_MANY_ATTEMPTS: (
        "Demasiados intentos. Probá de nuevo en {seconds} segundos.",
        "Too many attempts. Try again in {seconds} seconds.",
    ),
    ErrorCode.SOURCE_UNAVAILABLE: (
        "El sistema de gestión de la empresa no responde; probá de nuevo en unos minutos.",
        "The business's management system is not answering; try again in a few minutes.",
    ),
    ErrorCode.STORE_UNAVAILABLE: (
        "El portal no puede verificar sesiones ni ingresos en este momento; probá de nuevo en unos segundos.",
        "The portal cannot check sessions or sign-ins right now; try again in a few seconds.",
    ),
    ErrorCode.INTERNAL_ERROR: (
        "Error interno. Si persiste, informá el código {request_id}.",
        "Internal error. If it persists, report the code {request_id}.",
    ),
    ErrorCode.PLACEHOLDER_TAX_ID: (
        "Ese CUIT/DNI es un valor de relleno (vacío, 9999999 o todo ceros) y no identifica a nadie: "
        "ingresá con tu correo o pedí a la empresa que cargue tu documento.",
        "That tax id is a placeholder (blank, 9999999 or all zeros) and identifies nobody: "
        "sign in with your email or ask the business to record your real tax id.",
    ),
    ErrorCode.FORMER_CUSTOMER: (
        "Tu cuenta de cliente fue dada de baja; el portal no está disponible para ex clientes.",
        "Your customer account was closed; the portal is not available to former customers.",
    ),
    ErrorCode.ACCESS_REVOKED: (
        "El acceso al portal de este usuario fue dado de baja. Consultá con la empresa.",
        "Portal access for this user was revoked. Contact the business.",
    ),
    ErrorCode.INVALID_RESET_LINK: (
        "El enlace para cambiar la contraseña venció o ya fue usado: pedí uno nuevo.",
        "The password-reset link has expired or was already used: ask for a new one.",
    ),
    ErrorCode.INVALID_CONFIRMATION_LINK: (
        "El enlace para confirmar el correo venció, ya fue usado o no es válido: pedilo de nuevo.",
        "The e-mail confirmation link has expired, was already used or is not valid: ask for a new one.",
    ),
    ErrorCode.INVALID_CODE: (
        "El código no es válido, venció o se agotaron sus intentos: pedí uno nuevo.",
        "The code is wrong, expired or out of attempts: ask for a new one.",
    ),
    ErrorCode.SESSION_ENDED: (
        "La sesión terminó: volvé a ingresar.",
        "The session has ended: sign in again.",
    ),
    ErrorCode.BAD_REQUEST: (
        "La solicitud no es una consulta GraphQL válida: {detail}.",
        "The request is not a valid GraphQL request: {detail}.",
    ),
    ErrorCode.QUERY_TOO_COMPLEX: (
        "La consulta es demasiado grande: cuesta {cost} y el límite es {limit}. "
        "Pedí menos elementos por página (first) o menos niveles anidados.",
        "The query is too large: it costs {cost} and the limit is {limit}. "
        "Ask for fewer items per page (first) or fewer nested levels.",
    ),
    ErrorCode.WEAK_PASSWORD: (
        "La contraseña nueva debe tener al menos {minimum} caracteres y no puede ser la actual.",
        "The new password must have at least {minimum} characters and differ from the current one.",
    ),
    ErrorCode.INVALID_FILE: (
        "El archivo «{filename}» no se aceptó: {detail}. Se aceptan {accepted}.",
        "The file “{filename}” was not accepted: {detail_en}. Accepted: {accepted}.",
    ),
    ErrorCode.FILE_TOO_LARGE: (
        "El archivo «{filename}» es demasiado grande: {detail}.",
        "The file “{filename}” is too large: {detail_en}.",
    ),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: (
        "La clave de idempotencia ya se usó con otros datos: usá una clave nueva para un pedido nuevo.",
        "This idempotency key was already used with another input: use a new key for a new request.",
    ),
    ErrorCode.COOL_DOWN: (
        "Ya hiciste este pedido hace poco: vas a poder volver a hacerlo desde el {until}.",
        "You made this request recently: you can make it again from {until_en}.",
    ),
    ErrorCode.NOTHING_OWED: (
        "Tu cuenta no tiene deuda: no hay nada que comprometerse a pagar.",
        "Your account owes nothing: there is nothing to commit to pay.",
    ),
    ErrorCode.QUOTE_EXPIRED: (
        "El presupuesto venció el {valid_until}: ya no se puede aceptar ni rechazar. Pedí uno nuevo.",
        "The quote expired on {valid_until}: it can no longer be accepted or rejected. Ask for a new one.",
    ),
    ErrorCode.ALREADY_DECIDED: (
        "{thing} ya fue {status}: no se puede aceptar ni rechazar de nuevo.",
        "{thing_en} was already {status_en}: it cannot be accepted or rejected again.",
    ),
    ErrorCode.ALREADY_SIGNED: (
        "Este contrato ya fue firmado: una firma no se puede repetir ni cambiar.",
        "This contract is already signed: a signature cannot be repeated or changed.",
    ),
    ErrorCode.READ_ONLY_FIELD: (
        "Ese dato lo registró la empresa y no se puede cambiar desde el portal: {detail}. Podés agregar otros.",
        "The business registered this and it cannot be changed in the portal: {detail}. You can add others.",
    ),
    ErrorCode.PAYMENT_AMOUNT_INVALID: (
        "El importe a pagar no es válido: debe ser {detail}.",
        "The amount to pay is not valid: it must be {detail_en}.",
    ),
    ErrorCode.NOTHING_TO_PAY: (
        "No hay nada que pagar con esa opción: tu cuenta no tiene deuda en ella.",
        "There is nothing to pay with that option: your account owes nothing under it.",
    ),
    ErrorCode.PAYMENT_CURRENCY_MISMATCH: (
        "No se puede pagar en esa moneda ({currency}) con este medio, o las facturas elegidas tienen monedas distintas.",
        "This cannot be paid in that currency ({currency}) through this provider, or the invoices chosen are in "
        "different currencies.",
    ),
    ErrorCode.INVOICE_ALREADY_PAID: (
        "La factura {number} ya está pagada o anulada: no se puede pagar de nuevo.",
        "Invoice {number} is already paid or void: it cannot be paid again.",
    ),
    ErrorCode.PAYMENT_OPTION_UNAVAILABLE: (
        "Este medio de pago no ofrece la opción {option}.",
        "This payment provider does not offer the option {option}.",
    ),
    ErrorCode.PAYMENT_PROVIDER_UNKNOWN: (
        "Ese medio de pago no está disponible.",
        "That payment provider is not available.",
    ),
    ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE: (
        "El medio de pago no responde en este momento: probá de nuevo en unos minutos.",
        "The payment provider is not answering right now: try again in a few minutes.",
    ),
    ErrorCode.RETURN_URL_NOT_ALLOWED: (
        "La dirección de regreso no es del portal ni de una aplicación registrada.",
        "The return URL is neither the portal's nor a registered application's.",
    ),
}

# The temporary failures, with the seconds a client should wait before trying again (`retryAfter`
# in the error's extensions, `Retry-After` on an HTTP 503): a legacy source is given longer to
# come back than the store, whose outages clients meet on every request (docs/outages.md).
RETRY_AFTER: dict[ErrorCode, int] = {
    ErrorCode.SOURCE_UNAVAILABLE: 30,
    ErrorCode.STORE_UNAVAILABLE: 5,
    ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE: 30,
}


def is_retryable(code: ErrorCode) -> bool:
    """A failure of a system behind the gateway, not of the request: the same request may succeed later."""
    return code in RETRY_AFTER


# What NOT_FOUND names, per kind of object.
THINGS: dict[str, tuple[str, str]] = {
    "Customer": ("el cliente", "Customer"),
    "Invoice": ("la factura", "Invoice"),
    "Ticket": ("el ticket", "Ticket"),
    "Contract": ("el contrato", "Contract"),
    "Plan": ("el plan", "Plan"),
    "PlanSubscription": ("el plan contratado", "Subscription"),
    "Company": ("la empresa", "Company"),
    "Payment": ("el pago", "Payment"),
    "Quote": ("el presupuesto", "Quote"),
    "Order": ("el pedido", "Order"),
    "DeliveryNote": ("el remito", "Delivery note"),
    "Document": ("el documento", "Document"),
    "PaymentMethod": ("el medio de pago", "Payment method"),
    "Attachment": ("el archivo adjunto", "Attachment"),
    "PaymentReceipt": ("el comprobante de pago", "Payment receipt"),
    "PlanRequest": ("la solicitud de plan", "Plan request"),
    "EventDelivery": ("la entrega del evento", "Event delivery"),
    "object": ("el objeto", "Object"),
}


class ApiError(Exception):
    """An expected failure with a stable code and a message in the caller's language."""

    def __init__(self, code: ErrorCode, field: list[str] | None = None, **params: str) -> None:
        super().__init__(code.value)
        self.code = code
        self.field = field
        self.params = params
        self.audited = False  # a portal action's refusal already in the audit log (resolvers/actions.py)

    def message(self, language: str = "es") -> str:
        es, en = MESSAGES[self.code]
        params = dict(self.params)
        if self.code is ErrorCode.NOT_FOUND:
            what = THINGS.get(params.get("what", "object"), THINGS["object"])
            params["what"], params["what_en"] = what
        for name in [p for p in params if not p.endswith("_en")]:
            params.setdefault(f"{name}_en", params[name])  # an English variant, when one is given
        template = en if language == "en" else es
        try:
            return template.format(**params)
        except KeyError:
            return template


def not_found(what: str) -> ApiError:
    return ApiError(ErrorCode.NOT_FOUND, what=what)


def language_of(accept_language: str | None) -> str:
    """'en' when the caller prefers English over Spanish, else 'es'."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("es"):
            return "es"
    return "es"
