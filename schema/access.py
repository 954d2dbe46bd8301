"""The caller (viewer) and signing in (FEATURES.md A)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from ..auth.principals import Principal
from ..errors import ApiError
from ..resolvers import access as resolve
from ..resolvers import customers as resolve_customers
from .customer import Customer, customer_type
from .enums import ViewerKind
from .errors import ErrorCode, UserError


@strawberry.type(description="Who is calling and which customer accounts they may act for.")
class Viewer:
    kind: ViewerKind = strawberry.field(description="Anonymous, customer user, partner or staff.")
    name: str | None = strawberry.field(description="Name of the signed-in user.")
    role: str | None = strawberry.field(description="Staff role: analyst (read-only) or admin.")
    must_change_password: bool = strawberry.field(
        description="True on first access with a temporary password: change it before anything else."
    )
    principal: strawberry.Private[Principal]

    @strawberry.field(description="The customer accounts this caller may act for (A10).")
    async def accounts(self, info: Info) -> list[Customer]:
        return [customer_type(c) for c in await resolve_customers.viewer_accounts(info.context)]

    @strawberry.field(description="The default account of a customer user; null for other callers.")
    async def customer(self, info: Info) -> Customer | None:
        accounts = await resolve_customers.viewer_accounts(info.context)
        return customer_type(accounts[0]) if accounts else None


def viewer_type(principal: Principal) -> Viewer:
    return Viewer(
        kind=ViewerKind(principal.kind.value),
        name=principal.name,
        role=principal.role.value if principal.role else None,
        must_change_password=principal.must_change_password,
        principal=principal,
    )


@strawberry.input(description="Credentials to sign in with.")
class SignInInput:
    login: str = strawberry.field(description="Email, tax id or customer code, as the portal asks.")
    password: str = strawberry.field(description="The password.")
    remember_me: bool | None = strawberry.field(
        default=False, description="Keep me signed in: also return a refresh token."
    )


@strawberry.type(description="Result of signing in: a bearer token for the Authorization header.")
class SignInPayload:
    access_token: str | None = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    refresh_token: str | None = strawberry.field(description="Only with rememberMe: renews the session.")
    expires_in: int | None = strawberry.field(description="Seconds until the access token expires.")
    viewer: Viewer | None = strawberry.field(description="Who signed in.")
    errors: list[UserError] = strawberry.field(description="Why signing in failed; empty on success.")


def user_error(error: ApiError, language: str) -> UserError:
    return UserError(field=error.field, code=ErrorCode(error.code.value), message=error.message(language))


async def sign_in(
    info: Info,
    input: Annotated[SignInInput, strawberry.argument(description="Login, password and rememberMe.")],
) -> SignInPayload:
    ctx = info.context
    try:
        signed = await resolve.sign_in(ctx, input.login, input.password)
    except ApiError as error:
        return SignInPayload(
            access_token=None, refresh_token=None, expires_in=None, viewer=None,
            errors=[user_error(error, ctx.language)],
        )
    # The rest of this request acts as the user who just signed in.
    ctx.principal = signed.principal
    return SignInPayload(
        access_token=signed.access_token,
        refresh_token=None,
        expires_in=signed.expires_in,
        viewer=viewer_type(signed.principal),
        errors=[],
    )
