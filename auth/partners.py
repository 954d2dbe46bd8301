"""Partners (FEATURES.md A11): registered clients and the OAuth2 client-credentials grant.

Authlib has no Starlette *server* integration (only clients), so this is Authlib's
framework-neutral `AuthorizationServer` + `ClientCredentialsGrant` behind a thin adapter:
the form is read asynchronously, the client loaded from the store, then Authlib validates
the grant, the client authentication (Basic or form), the scopes, and shapes the answer
and its RFC 6749 errors. The token it issues is our own JWT naming the client and scopes.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import extract_basic_authorization, list_to_scope, scope_to_list

from ..observe import sign_in_failed
from ..store import access as store
from ..store.partners import PartnerClient, add_client, client_by_id
from .passwords import hash_password, verify_password
from .scopes import SCOPES
from .services import AccessServices, Caller
from .tokens import issue_client_token

PARTNER_TOKEN_MINUTES = 60


@dataclass(frozen=True, slots=True)
class Registered:
    client_id: str
    client_secret: str  # shown once; only its Argon2id hash is stored


async def register_client(
    services: AccessServices, name: str, scopes: list[str], origins: list[str], actor: str
) -> Registered:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes {unknown}; known: {sorted(SCOPES)}")
    client_id = "vt_" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    async with services.store.begin() as conn:
        await add_client(conn, client_id, name, await hash_password(secret), scopes, [o.rstrip("/") for o in origins])
        await store.audit(conn, "PARTNER_ADDED", "OK", login=client_id, actor=actor, detail=" ".join(scopes))
    return Registered(client_id, secret)


class _Client(ClientMixin):
    def __init__(self, record: PartnerClient, matching: frozenset[str]) -> None:
        self.record = record
        self.matching = matching  # the presented secrets already verified against its hash

    def get_client_id(self) -> str:
        return self.record.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = set(scope_to_list(scope)) if scope else set(self.record.scopes)
        return list_to_scope(sorted(requested & self.record.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret in self.matching  # Authlib asks synchronously: verified beforehand, off the loop

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class _Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Server(AuthorizationServer):
    """One per token request: the client was loaded beforehand, because Authlib's calls are sync."""

    def __init__(self, secret: str, client: PartnerClient | None, matching: frozenset[str]) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.client = _Client(client, matching) if client and not client.disabled else None
        self.issued: dict[str, Any] | None = None
        self.register_grant(_Grant)
        self.register_token_generator("default", self._token(secret))

    def _token(self, secret: str):  # noqa: ANN202 - Authlib's generator signature
        def generate(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):  # noqa: ANN001
            granted = frozenset(scope_to_list(client.get_allowed_scope(scope)) or [])
            token, lifetime = issue_client_token(secret, client.get_client_id(), granted, PARTNER_TOKEN_MINUTES)
            return {"token_type": "Bearer", "access_token": token, "expires_in": lifetime,
                    "scope": list_to_scope(sorted(granted))}  # fmt: skip

        return generate

    def query_client(self, client_id: str) -> _Client | None:
        return self.client if self.client and self.client.get_client_id() == client_id else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.issued = token  # stateless JWT: nothing to store; audited by the caller

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, dict[str, str]]:
        return status, body, dict(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


class _FormRequest(OAuth2Request):
    """Authlib's request over a form Starlette already read (Authlib reads it synchronously)."""

    def __init__(self, form: dict[str, str], headers: Mapping[str, str]) -> None:
        # TLS ends at the proxy in front of Ventanilla; Authlib's https check would refuse every request.
        super().__init__("POST", "https://ventanilla/oauth/token", headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


def _client_id_of(form: Mapping[str, str], authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return form.get("client_id")


async def _matching_secrets(record: PartnerClient, form: Mapping[str, str], headers: Mapping[str, str]) -> frozenset[str]:
    """The secrets the request presents (Basic, as Authlib decodes it, or the form) that match the client's hash."""
    _, basic = extract_basic_authorization(headers)
    presented = {s for s in (basic, form.get("client_secret")) if s}
    return frozenset([s for s in presented if await verify_password(record.secret_hash, s)])


# RFC 6749 §5.2's error codes: what a failed partner sign-in is counted as (anything else: "other").
_TOKEN_ERRORS = frozenset({"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                           "unsupported_grant_type", "invalid_scope"})  # fmt: skip


async def token_response(
    services: AccessServices, form: Mapping[str, str], headers: Mapping[str, str], ip: str | None
) -> tuple[int, Any, dict[str, str]]:
    """POST /oauth/token: (status, JSON body, headers) per RFC 6749 §4.4 / §5."""
    client_id = _client_id_of(form, headers.get("authorization"))
    record = None
    if client_id:
        async with services.store.connect() as conn:
            record = await client_by_id(conn, client_id)
    matching = await _matching_secrets(record, form, headers) if record and not record.disabled else frozenset()
    server = _Server(services.secret, record, matching)
    request = _FormRequest(dict(form), headers)  # Starlette's headers: case-insensitive, as Authlib expects
    status, body, out_headers = server.create_token_response(request)
    outcome = "OK" if status == 200 else str(body.get("error", status)) if isinstance(body, dict) else str(status)
    if status != 200:
        sign_in_failed("partner", outcome if outcome in _TOKEN_ERRORS else "other")
    await services.audit("PARTNER_TOKEN", outcome, Caller(ip=ip), login=client_id, actor=client_id)
    return status, body, out_headers
