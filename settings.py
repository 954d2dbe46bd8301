"""Settings from `VENTANILLA_*` environment variables over an optional `ventanilla.toml`.

The TOML file groups settings in sections; each key maps to one flat setting:

    [store]    url, pool_size, timeout_seconds -> database_url, pool_size, store_timeout_seconds
    [api]      public_url      -> public_url
    [auth]     secret_key, access_token_minutes
    [portal]   name, logo_url, primary_color, login_field, login_hint, password_hint,
               payment_buttons_title, payment_button_labels, languages, features, tickets_open_only
               (F2 branding: an admin's updatePortalBranding, kept in the store, wins over the
               file, key by key; primary_color is #rrggbb; payment_button_labels is a table of
               provider name -> the label of its button, `[portal.payment_button_labels]
               mercadopago = "Pagar con Mercado Pago"`; the portal URL handed to customers
               (F3) is `[access] portal_url`)
    [limits]   max_depth, max_aliases, max_tokens, max_body_bytes, max_page_size,
               source_timeout_seconds, max_cost_anonymous, max_cost_customer, max_cost_partner,
               max_cost_staff
    [access]   session_hours, refresh_days, reset_minutes, code_minutes, code_attempts,
               login_attempts, ip_attempts, login_emails, ip_emails, password_hash_threads,
               redis_url, smtp_url, mail_from, mail_templates_dir,
               portal_url, send_password_by_email, former_customers_keep_access, min_password_length
    [logging]  level -> log_level, format -> log_format, access -> access_log
    [files]    store, directory, max_per_request, max_bytes, types, max_pixels, max_zip_invoices
               -> files_store, files_directory, max_files_per_request, max_file_bytes, file_types,
               max_image_pixels, max_zip_invoices (invoices one ZIP download may hold, B5; default 500)
    [mail]     max_attempts, retry_seconds, poll_seconds, timeout_seconds -> mail_*
    [tickets]  daily_limit -> tickets_daily_limit (C5: tickets a customer account may open per
               day of the business's time zone, [portal] timezone; 0 = no limit; default 5)
    [tickets.defaults]  area, category, assignee, status, priority -> ticket_defaults: how a new
               ticket is routed (C2); [receipts.ticket] -> receipt_ticket (the ticket of a payment
               receipt, B10) and [plans.ticket] -> plan_ticket (of a plan request, D4), alike.
               Names as the business's helpdesk spells them (an ISPCube source resolves them to
               its catalog's ids; a name its catalog lacks leaves that column empty); status is
               OPEN, IN_PROGRESS or CLOSED.
    [events]   max_attempts, retry_seconds, poll_seconds, timeout_seconds -> events_*,
               and the sinks every domain event is delivered to (docs/events.md), one table each:

        [events.sinks.crm]            # the name: what eventDeliveries and the CLI call it
        kind = "webhook"              # a JSON POST signed with HMAC-SHA256 (Ventanilla-Signature)
        url = "https://crm.example.com/hooks/ventanilla"
        secret_env = "CRM_HOOK_SECRET"  # the signing key from this variable (or `secret = "..."`)

        [events.sinks.bus]
        kind = "amqp"                 # RabbitMQ: persistent messages, publisher confirms
        url = "amqp://guest:guest@127.0.0.1:5672/"
        exchange = "ventanilla.events"  # a durable topic exchange, declared on connect
        # routing_key = "portal"      # default: the event's type (TicketCreated ...)
        # mandatory = true            # an event no queue takes is retried, not dropped

    (or `VENTANILLA_EVENT_SINKS` as JSON: {"crm": {"kind": "webhook", "url": ..., "secret_env": ...}})
    [commitments] max_days, cool_down_days -> commitments_max_days, commitments_cool_down_days
               (B11, rules/commitments.py): a payment commitment extends the due date of what is
               owed by 1..max_days days (default 10), and the account may ask for another only
               cool_down_days days (default 30) after the last one, counted in [portal] timezone
    [payments] min_amount, max_amount, allow_overpay, attempt_minutes, reconcile_minutes -> payments_*
               (B9), and the providers customers may pay through, one table each (README "Payments"):

        [payments.providers.mercadopago]
        kind = "mercadopago"          # or "stripe", "redsys"
        display_name = "Mercado Pago"
        options = ["DEBT_BALANCE", "INVOICES", "CUSTOM_AMOUNT"]   # default: all
        access_token_env = "MP_ACCESS_TOKEN"
        webhook_secret_env = "MP_WEBHOOK_SECRET"

Environment variables win over the file: `VENTANILLA_DATABASE_URL`, `VENTANILLA_SECRET_KEY`,
`VENTANILLA_PORTAL_NAME`, `VENTANILLA_MAX_DEPTH` ...
"""

from __future__ import annotations

import os
import re
import tomllib
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class LoginField(str, Enum):
    EMAIL = "EMAIL"
    TAX_ID = "TAX_ID"
    CUSTOMER_CODE = "CUSTOMER_CODE"


class Feature(str, Enum):
    """Optional portal features a business can switch off (FEATURES.md F1)."""

    CURRENT_ACCOUNT = "CURRENT_ACCOUNT"  # B6
    STATEMENT = "STATEMENT"  # B7
    INVOICE_DOWNLOAD = "INVOICE_DOWNLOAD"  # B4
    ONLINE_PAYMENT = "ONLINE_PAYMENT"  # B9
    PAYMENT_RECEIPTS = "PAYMENT_RECEIPTS"  # B10
    PAYMENT_COMMITMENTS = "PAYMENT_COMMITMENTS"  # B11
    PAYMENT_METHODS = "PAYMENT_METHODS"  # B12
    BILLING_DATA_UPDATE = "BILLING_DATA_UPDATE"  # B13
    TICKETS = "TICKETS"  # C1
    TICKET_CREATION = "TICKET_CREATION"  # C2
    TICKET_REPLIES = "TICKET_REPLIES"  # C3, C4: customers reply to and close their tickets
    CONTRACTS = "CONTRACTS"  # D1
    CONTRACT_SIGNING = "CONTRACT_SIGNING"  # D2
    PLANS = "PLANS"  # D3
    PLAN_REQUESTS = "PLAN_REQUESTS"  # D4
    QUOTES = "QUOTES"  # D5
    ORDERS = "ORDERS"  # D6
    DELIVERY_NOTES = "DELIVERY_NOTES"  # D7
    DOCUMENTS = "DOCUMENTS"  # D8
    COMMENTS = "COMMENTS"  # D9
    SIGN_IN_CODES = "SIGN_IN_CODES"  # A5


class LogFormat(str, Enum):
    TEXT = "text"  # one readable line per record, for a terminal
    JSON = "json"  # one JSON object per line, for a log collector

    @classmethod
    def _missing_(cls, value: object) -> LogFormat | None:
        return cls.__members__.get(str(value).upper())  # `JSON` as well as `json`


class LogLevel(str, Enum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"

    @classmethod
    def _missing_(cls, value: object) -> LogLevel | None:
        return cls.__members__.get(str(value).upper())  # `info` as well as `INFO`


class PersistedQueries(str, Enum):
    """[api] persisted_queries (web/persisted.py, docs/operations.md)."""

    OFF = "off"  # every request sends its query; a persistedQuery extension is refused
    AUTO = "auto"  # Apollo's automatic persisted queries: a hash, or the query to register under it
    ONLY = "only"  # production allow-list: only the manifest's documents run, by hash or by text


class FileStore(str, Enum):
    """Where Ventanilla keeps the files it stores (store/blobs.py)."""

    DIRECTORY = "directory"  # a directory on disk (the default, the demo's)
    DATABASE = "database"  # a table of the store: several instances without a shared disk


class TicketRouting(BaseModel):
    """The routing a new ticket of one kind takes ([tickets.defaults], [receipts.ticket], [plans.ticket])."""

    model_config = {"extra": "forbid", "frozen": True}

    area: str | None = None
    category: str | None = None
    assignee: str | None = None
    status: Literal["OPEN", "IN_PROGRESS", "CLOSED"] = "OPEN"  # connectors/records.py TicketStatus
    priority: str | None = None


class WebhookSink(BaseModel):
    """[events.sinks.<name>] kind = "webhook": each event POSTed as JSON, signed (docs/events.md)."""

    kind: Literal["webhook"]
    url: SecretStr  # may carry a token: never in a log, an error or eventDeliveries
    secret: SecretStr | None = None  # the HMAC-SHA256 key; better `secret_env`
    secret_env: str | None = None  # the environment variable holding the key (read at start)

    @model_validator(mode="after")
    def _one_secret(self) -> WebhookSink:
        if (self.secret is None) == (self.secret_env is None):
            raise ValueError("a webhook sink needs `secret` or `secret_env` (one of them)")
        return self

    def signing_key(self) -> str:
        """The HMAC key: `secret`, or the variable `secret_env` names (which must be set)."""
        if self.secret is not None:
            return self.secret.get_secret_value()
        value = os.environ.get(self.secret_env or "")
        if not value:
            raise ValueError(
                f"the environment variable {self.secret_env} (a webhook sink's secret_env) is not set"
            )
        return value


class AmqpSink(BaseModel):
    """[events.sinks.<name>] kind = "amqp": each event published to a RabbitMQ exchange."""

    kind: Literal["amqp"]
    url: SecretStr  # amqp://user:password@host:5672/vhost (amqps:// for TLS)
    exchange: str = "ventanilla.events"  # durable, topic
    routing_key: str | None = None  # None: the event's type
    mandatory: bool = True  # a message no queue is bound for is returned, and retried


EventSink = Annotated[WebhookSink | AmqpSink, Field(discriminator="kind")]


class PaymentOption(str, Enum):
    """What a customer may choose to pay online (B9; startPayment's `option`)."""

    DEBT_BALANCE = "DEBT_BALANCE"  # what is owed and due (Customer.account)
    LAST_INVOICE = "LAST_INVOICE"  # the balance of the newest unpaid invoice
    TOTAL = "TOTAL"  # everything owed, due or not
    INVOICES = "INVOICES"  # the balances of invoices the customer chose
    CUSTOM_AMOUNT = "CUSTOM_AMOUNT"  # an amount typed in, within [payments] min_amount..max_amount


class _Provider(BaseModel):
    """What every [payments.providers.<name>] has (payments/, README "Payments")."""

    model_config = {"extra": "forbid"}

    display_name: str  # the button's text, e.g. "Mercado Pago"
    options: list[PaymentOption] = list(PaymentOption)  # what this provider may be used to pay
    currencies: list[str] = []  # ISO 4217 codes it takes (ARS, EUR ...); empty: any
    # The provider's API (or gateway) base URL; None: the provider's own production URL. Tests and
    # the demo point it at a local stand-in (payments/standin.py).
    api_url: str | None = None


class MercadoPagoProvider(_Provider):
    """kind = "mercadopago": Checkout Pro preferences, x-signature notifications."""

    kind: Literal["mercadopago"]
    access_token: SecretStr | None = None  # better access_token_env
    access_token_env: str | None = None
    webhook_secret: SecretStr | None = None  # the application's webhook secret; better webhook_secret_env
    webhook_secret_env: str | None = None


class StripeProvider(_Provider):
    """kind = "stripe": Checkout Sessions, Stripe-Signature webhooks (the `stripe` library)."""

    kind: Literal["stripe"]
    api_key: SecretStr | None = None  # sk_...; better api_key_env
    api_key_env: str | None = None
    webhook_secret: SecretStr | None = None  # whsec_...; better webhook_secret_env
    webhook_secret_env: str | None = None


class RedsysProvider(_Provider):
    """kind = "redsys": the signed redirect form (HMAC_SHA256_V1) and its online notification."""

    kind: Literal["redsys"]
    merchant_code: str  # FUC, e.g. "999008881"
    terminal: str = "1"
    secret_key: SecretStr | None = (
        None  # the merchant's key, base64 (24 bytes decoded); better secret_key_env
    )
    secret_key_env: str | None = None


PaymentProvider = Annotated[
    MercadoPagoProvider | StripeProvider | RedsysProvider, Field(discriminator="kind")
]


def secret_value(model: BaseModel, name: str) -> str | None:
    """A provider's secret `name`: the value given, else the variable `<name>_env` names."""
    given = getattr(model, name, None)
    if given is not None:
        return given.get_secret_value()
    variable = getattr(model, f"{name}_env", None)
    return os.environ.get(variable) if variable else None


# What a customer may upload by default ([files] types): photos and PDFs (rules/uploads.py).
DEFAULT_FILE_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VENTANILLA_", extra="ignore")

    # The ventanilla.toml these settings were read from (VENTANILLA_CONFIG, or load_settings' `config`),
    # None: ./ventanilla.toml when it exists. Its [sources] and [routes] are the connectors' (connectors/routing.py).
    config: str | None = None
    database_url: str = "sqlite+aiosqlite:///ventanilla-demo.db"
    secret_key: str | None = Field(default=None, description="HMAC key for access tokens")
    access_token_minutes: int = 15
    demo: bool = False  # demo mode: introspection for everyone, sign-ins printed
    # Where clients reach this API, e.g. https://api.example.com/ventanilla ([api] public_url,
    # VENTANILLA_PUBLIC_URL): download links (pdfUrl, xlsxUrl) start with it. Without it they
    # start with the origin the request came to (scheme://host[:port] and the app's root path).
    public_url: str | None = None
    timezone: str = "America/Argentina/Buenos_Aires"  # the business's "today" (due dates, aging)
    # The business's country (ISO 3166 alpha-2, [portal] country): the default region of phone
    # numbers customers type without a country code (rules/contact.py).
    country: str = "AR"

    portal_name: str = "Portal de Clientes"
    logo_url: str | None = None
    primary_color: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")] = "#1f6feb"  # #rrggbb
    login_field: LoginField = LoginField.EMAIL
    login_hint: str | None = "Tu correo electrónico"
    password_hint: str | None = None
    payment_buttons_title: str | None = "Pagá con:"
    # F2: the label of each payment provider's button (provider name, as [payments.providers]
    # names it -> label); a provider without one shows its display name.
    payment_button_labels: dict[str, str] = {}
    languages: list[str] = ["es", "en"]
    features: list[Feature] = list(Feature)
    tickets_open_only: bool = False  # C1: customers see only open tickets

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 3000
    max_body_bytes: int = 1_000_000
    max_page_size: int = 100
    # The cost a query may have before it runs (schema/cost.py: objects it can return, lists
    # multiplied by their page size), per kind of caller. A customer's dashboard costs ~600, and
    # every linked account's last 100 invoices with their lines ~21,000, the whole of one customer ~31,000.
    max_cost_anonymous: int = 1_000
    max_cost_customer: int = 50_000
    max_cost_partner: int = 100_000
    max_cost_staff: int = 250_000
    source_timeout_seconds: float = 10.0
    # Connections each pool of a worker keeps open ([store] pool_size; the billing reads and
    # the store have one each): Strawberry resolves sibling fields at once, so one request
    # may read on several connections at the same time.
    pool_size: int = 10
    # Every wait on Ventanilla's own state gives up after this many seconds ([store] timeout_seconds):
    # a connection from the store's pool, connecting to it, each unit of store work as a whole
    # (store/engine.py), and the sign-in counters in Redis (auth/ratelimit.py). Spent, the caller
    # gets STORE_UNAVAILABLE (retryable) instead of a request hanging for the whole outage.
    store_timeout_seconds: float = 3.0

    # --- access (FEATURES.md A) --- ([access] in ventanilla.toml; see README "Access")
    session_hours: int = 12  # A2: a session without rememberMe (the access token still lasts minutes)
    refresh_days: int = 30  # A2: a rememberMe session, renewed by rotating refresh tokens
    reset_minutes: int = 60  # A3: a password-reset link's life
    code_minutes: int = 10  # A5: a sign-in code's life
    code_attempts: int = 5  # A5: wrong tries that spend a code
    login_attempts: str = "5/15 minutes"  # failed sign-ins per login (`limits` notation)
    ip_attempts: str = "30/15 minutes"  # failed sign-ins per client IP
    login_emails: str = "3/hour"  # reset links and sign-in codes emailed per login
    ip_emails: str = "20/hour"  # reset links and sign-in codes requested per client IP
    # Threads of a worker hashing and verifying passwords (Argon2, 64 MiB each); None: one per CPU.
    password_hash_threads: int | None = None
    redis_url: str | None = None  # rate-limit counters shared by every worker; in process without it
    smtp_url: str | None = None  # smtp://user:pass@host:port (smtps:// for TLS); console without it
    mail_from: str = "Portal de Clientes <portal@localhost>"
    mail_templates_dir: str | None = None  # overrides templates/<lang>/<name>.txt of the package
    portal_url: str = "http://127.0.0.1:8000"  # links in emails point here
    send_password_by_email: bool = False  # A9: else the business gives the password by another channel
    former_customers_keep_access: bool = False  # A7 (001 c): DELETED customers may still sign in
    min_password_length: int = 8

    # --- logging ([logging] in ventanilla.toml; web/logs.py) ---
    log_level: LogLevel = LogLevel.INFO  # VENTANILLA_LOG_LEVEL: the least severe line written
    log_format: LogFormat = LogFormat.TEXT  # VENTANILLA_LOG_FORMAT: text or json
    access_log: bool = True  # VENTANILLA_ACCESS_LOG: one line per request (`serve --no-access-log`: off)
    # --- files ([files] in ventanilla.toml; docs/files.md) ---
    files_store: FileStore = FileStore.DIRECTORY
    # The directory of the `directory` store, relative to the working directory like the demo's
    # database; `ventanilla demo` keeps it next to its database file.
    files_directory: str = "ventanilla-files"
    max_files_per_request: int = 5  # files one request may upload
    max_file_bytes: int = 10 * 1024 * 1024  # 10 MiB per file
    file_types: list[str] = DEFAULT_FILE_TYPES  # media types accepted, read from the content
    max_image_pixels: int = 50_000_000  # width x height an uploaded image may have (decompression bombs)
    # B5: invoices one ZIP download may hold (Customer.invoicesZipUrl)
    max_zip_invoices: int = Field(500, ge=1)
    # --- tickets ([tickets], [tickets.defaults], [receipts.ticket], [plans.ticket]; README "Tickets") ---
    tickets_daily_limit: int = 5  # C5: tickets per customer account per local day; 0 = no limit
    ticket_defaults: TicketRouting = TicketRouting(area="Soporte Técnico", priority="Media")
    receipt_ticket: TicketRouting = TicketRouting(area="Administración", category="Pagos", priority="Media")
    plan_ticket: TicketRouting = TicketRouting(area="Comercial", category="Cambio de plan", priority="Baja")
    # --- contracts ([contracts] in ventanilla.toml; README "Contract signature") ---
    # PEM files of the business's key and certificate: the signed copy of a contract carries a PAdES
    # signature made with them. Without both, signContract answers FEATURE_DISABLED.
    contracts_signing_key: str | None = None
    contracts_certificate: str | None = None
    # --- billing data ([billing_data] in ventanilla.toml; FEATURES.md B13) ---
    billing_data_review: bool = False  # [billing_data] review: a change waits for staff (agents, admins)
    # --- outgoing mail ([mail] in ventanilla.toml; auth/outbox.py): queued in the store, sent by a worker ---
    mail_max_attempts: int = 10  # tries before it is failed, audited EMAIL_FAILED (≈3 h by default)
    mail_retry_seconds: float = 30.0  # the first retry's delay, doubled after each failure (±50%, ≤ 1 h)
    mail_poll_seconds: float = 10.0  # how often a worker looks for mail queued elsewhere or due for a retry
    mail_timeout_seconds: float = 15.0  # one SMTP delivery, connection to last reply
    # --- operations (docs/operations.md): [metrics], [tracing], [api] persisted queries ---
    metrics_enabled: bool = False  # [metrics] enabled: serve /metrics (Prometheus; web/metrics.py)
    metrics_token: str | None = (
        None  # [metrics] token: /metrics then asks for `Authorization: Bearer <token>`
    )
    # [tracing] enabled: OpenTelemetry spans (web/tracing.py). Also on when OTEL_TRACES_EXPORTER or an
    # OTEL_EXPORTER_OTLP_*ENDPOINT is set; the exporter is configured by the standard OTEL_* variables.
    tracing_enabled: bool = False
    tracing_exporter: str | None = (
        None  # [tracing] exporter: otlp or console (default: OTEL_TRACES_EXPORTER, else otlp)
    )
    tracing_service_name: str = "ventanilla"  # [tracing] service_name, unless OTEL_SERVICE_NAME says
    persisted_queries: PersistedQueries = PersistedQueries.AUTO  # [api] persisted_queries: off, auto, only
    persisted_queries_manifest: str | None = None  # [api] persisted_queries_manifest: JSON {sha256: query}
    persisted_queries_cache_size: int = 5_000  # [api] persisted_queries_cache_size: documents kept in process
    # --- domain events ([events] in ventanilla.toml; events/relay.py, docs/events.md) ---
    events_max_attempts: int = 12  # tries per sink before a delivery is dead-lettered (≈2.5 h by default)
    events_retry_seconds: float = 5.0  # the first retry's delay, doubled after each failure (±50%, ≤ 1 h)
    events_poll_seconds: float = 1.0  # how often a relay looks for events recorded elsewhere or due again
    events_timeout_seconds: float = 10.0  # one delivery: a webhook's answer, an AMQP publisher confirm
    # The sinks by name ([events.sinks.<name>], or VENTANILLA_EVENT_SINKS as JSON): every event is
    # owed to each sink configured when it is recorded.
    event_sinks: dict[str, EventSink] = {}
    # --- online payments ([payments], [payments.providers.<name>]; payments/, README "Payments") ---
    payment_providers: dict[str, PaymentProvider] = {}  # by name: what startPayment's `provider` says
    payments_min_amount: Decimal = Decimal("1")  # the least a CUSTOM_AMOUNT may be
    payments_max_amount: Decimal | None = None  # the most a CUSTOM_AMOUNT may be; None: no cap but the debt
    payments_allow_overpay: bool = False  # a CUSTOM_AMOUNT above what is owed (a credit) is accepted
    payments_attempt_minutes: int = 60  # a pending attempt expires after this long
    payments_reconcile_minutes: int = (
        15  # `ventanilla payments reconcile` asks about attempts pending this long
    )
    # --- payment commitments ([commitments] in ventanilla.toml; rules/commitments.py, FEATURES.md B11) ---
    commitments_max_days: int = 10  # the most days a commitment may extend the due date by (001 d1)
    commitments_cool_down_days: int = 30  # days after one before the account may ask for another (001 d2)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        given = getattr(init_settings, "init_kwargs", {}).get("config")  # load_settings(config=...)
        return (init_settings, env_settings, _TomlSource(settings_cls, given))

    @model_validator(mode="after")
    def _sink_names(self) -> Settings:
        for name in self.event_sinks:
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name):
                raise ValueError(
                    f"[events.sinks.{name}]: a sink's name is 1 to 40 letters, digits, '.', '_' or '-'"
                )
        return self

    def has(self, feature: Feature) -> bool:
        """Whether `[portal] features` lists it: the default only. What is in force for a request is
        `Context.features()` (resolvers/context.py): an admin's stored switch wins over this."""
        return feature in self.features


_PORTAL_KEYS = {
    "name": "portal_name",
    "logo_url": "logo_url",
    "primary_color": "primary_color",
    "login_field": "login_field",
    "login_hint": "login_hint",
    "password_hint": "password_hint",
    "payment_buttons_title": "payment_buttons_title",
    "payment_button_labels": "payment_button_labels",
    "languages": "languages",
    "features": "features",
    "tickets_open_only": "tickets_open_only",
}
_LIMIT_KEYS = {
    key: key
    for key in (
        "max_depth",
        "max_aliases",
        "max_tokens",
        "max_body_bytes",
        "max_page_size",
        "source_timeout_seconds",
        "max_cost_anonymous",
        "max_cost_customer",
        "max_cost_partner",
        "max_cost_staff",
    )
}
# --- access (FEATURES.md A): every access setting keeps its name under [access] ---
_ACCESS_KEYS = (
    "session_hours", "refresh_days", "reset_minutes", "code_minutes", "code_attempts", "login_attempts",
    "ip_attempts", "login_emails", "ip_emails", "password_hash_threads", "redis_url", "smtp_url", "mail_from",
    "mail_templates_dir", "portal_url", "send_password_by_email", "former_customers_keep_access", "min_password_length",
)  # fmt: skip
_MAIL_KEYS = ("max_attempts", "retry_seconds", "poll_seconds", "timeout_seconds")  # [mail] key -> mail_<key>
_EVENTS_KEYS = {key: f"events_{key}" for key in _MAIL_KEYS} | {"sinks": "event_sinks"}
_SECTION_KEYS = {
    "store": {"url": "database_url", "pool_size": "pool_size", "timeout_seconds": "store_timeout_seconds"},
    "api": {
        "public_url": "public_url",
        "persisted_queries": "persisted_queries",
        "persisted_queries_manifest": "persisted_queries_manifest",
        "persisted_queries_cache_size": "persisted_queries_cache_size",
    },
    "metrics": {"enabled": "metrics_enabled", "token": "metrics_token"},
    "tracing": {
        "enabled": "tracing_enabled",
        "exporter": "tracing_exporter",
        "service_name": "tracing_service_name",
    },
    "auth": {"secret_key": "secret_key", "access_token_minutes": "access_token_minutes"},
    "portal": _PORTAL_KEYS | {"timezone": "timezone", "country": "country"},
    "limits": _LIMIT_KEYS,
    "access": {key: key for key in _ACCESS_KEYS},  # --- access (FEATURES.md A) ---
    "logging": {"level": "log_level", "format": "log_format", "access": "access_log"},
    "files": {
        "store": "files_store",
        "directory": "files_directory",
        "max_per_request": "max_files_per_request",
        "max_bytes": "max_file_bytes",
        "types": "file_types",
        "max_pixels": "max_image_pixels",
        "max_zip_invoices": "max_zip_invoices",
    },
    "mail": {key: f"mail_{key}" for key in _MAIL_KEYS},
    "tickets": {"daily_limit": "tickets_daily_limit", "defaults": "ticket_defaults"},
    "receipts": {"ticket": "receipt_ticket"},
    "plans": {"ticket": "plan_ticket"},
    "events": _EVENTS_KEYS,
    "payments": {
        "providers": "payment_providers",
        "min_amount": "payments_min_amount",
        "max_amount": "payments_max_amount",
        "allow_overpay": "payments_allow_overpay",
        "attempt_minutes": "payments_attempt_minutes",
        "reconcile_minutes": "payments_reconcile_minutes",
    },
    "commitments": {"max_days": "commitments_max_days", "cool_down_days": "commitments_cool_down_days"},
    "billing_data": {"review": "billing_data_review"},
    "contracts": {"signing_key": "contracts_signing_key", "certificate": "contracts_certificate"},
}


def config_path(given: str | Path | None = None) -> Path | None:
    """`given`, else `VENTANILLA_CONFIG`, else ./ventanilla.toml when it exists."""
    explicit = given or os.environ.get("VENTANILLA_CONFIG")
    if explicit:
        return Path(explicit)
    default = Path("ventanilla.toml")
    return default if default.exists() else None


def read_toml(path: Path) -> dict[str, Any]:
    """Flatten a ventanilla.toml into Settings field names; unknown keys are an error."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    flat: dict[str, Any] = {}
    for section, values in data.items():
        if section not in _SECTION_KEYS:
            continue  # [sources] and [routes] belong to the connector configuration
        for key, value in values.items():
            try:
                flat[_SECTION_KEYS[section][key]] = value
            except KeyError:
                raise ValueError(f"{path}: unknown setting [{section}] {key}") from None
    return flat


class _TomlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], given: str | Path | None) -> None:
        super().__init__(settings_cls)
        self.given = given

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = config_path(self.given)
        return (read_toml(path) | {"config": str(path)}) if path else {}


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment over `config` (or the default file), then `overrides`.
    Nothing is left in the environment: `serve` hands the file to its workers itself."""
    given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if config is not None:
        given["config"] = str(config)
    return Settings(**given)
