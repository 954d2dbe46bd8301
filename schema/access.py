"""The caller (viewer) and the access mutations: sign-in, sessions, passwords, codes (FEATURES.md A)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry.types import Info

from ..auth.principals import Principal
from ..auth.services import SignedIn
from ..errors import ApiError
from ..resolvers import access as resolve
from ..resolvers import customers as resolve_customers
from .customer import Customer, customer_type
from .enums import ViewerKind
from .errors import ErrorCode, UserError


@strawberry.type(description="Who is calling and which customer accounts they may act for.")
class Viewer:
    kind: ViewerKind = strawberry.field(description="Anonymous, customer user, partner or staff.")
    name: str | None = strawberry.field(description="Name of the signed-in user (or partner application).")
    role: str | None = strawberry.field(description="Staff role: analyst (read-only), agent (helpdesk: answers and closes tickets, settles receipts) or admin.")
    must_change_password: bool = strawberry.field(
        description="True on first access with a temporary password: change it before anything else."
    )
    scopes: list[str] = strawberry.field(description="Partners: the scopes of this token; empty for others.")
    principal: strawberry.Private[Principal]

    @strawberry.field(description="The customer accounts this caller may act for (A10); closed ones are hidden.")
    async def accounts(self, info: Info) -> list[Customer] | None:
        return [customer_type(c) for c in await resolve_customers.viewer_accounts(info.context)]

    @strawberry.field(description="The default account of a customer user; null for other callers.")
    async def customer(self, info: Info) -> Customer | None:
        found = await resolve_customers.viewer_accounts(info.context)
        return customer_type(found[0]) if found else None


def viewer_type(principal: Principal) -> Viewer:
    return Viewer(
        kind=ViewerKind(principal.kind.value),
        name=principal.name,
        role=principal.role.value if principal.role else None,
        must_change_password=principal.must_change_password,
        scopes=sorted(principal.scopes),
        principal=principal,
    )


def user_error(error: ApiError, language: str) -> UserError:
    return UserError(field=error.field, code=ErrorCode(error.code.value), message=error.message(language))


@strawberry.input(description="Credentials to sign in with.")
class SignInInput:
    login: str = strawberry.field(description="Email, tax id or customer code, as the portal asks (portal.loginField).")
    password: str = strawberry.field(description="The password.")
    remember_me: bool | None = strawberry.field(
        default=False, description="Keep me signed in: also return a refresh token (long-lived, revocable)."
    )


@strawberry.input(description="A refresh token to trade for a new access token and a new refresh token.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The refresh token of the last signIn or refreshSession.")


@strawberry.input(description="Who forgot their password.")
class RequestPasswordResetInput:
    login: str = strawberry.field(description="The login, as for signIn; the link goes to the user's email.")


@strawberry.input(description="A new password, with the token of the emailed link.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The `token` parameter of the emailed link.")
    new_password: str = strawberry.field(description="The new password.")


@strawberry.input(description="Change the password of the signed-in user.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The current (or temporary) password.")
    new_password: str = strawberry.field(description="The new password.")


@strawberry.input(description="Where to send a one-time sign-in code.")
class RequestSignInCodeInput:
    email: str = strawberry.field(description="The user's email.")


@strawberry.input(description="Sign in with the code received by email.")
class SignInWithCodeInput:
    email: str = strawberry.field(description="The email the code was sent to.")
    code: str = strawberry.field(description="The 6-digit code.")


@strawberry.type(description="Result of signing in: a bearer token for the Authorization header.")
class SignInPayload:
    access_token: str | None = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    refresh_token: str | None = strawberry.field(
        description="Only with rememberMe: trade it in refreshSession before it expires; each works once."
    )
    expires_in: int | None = strawberry.field(description="Seconds until the access token expires.")
    viewer: Viewer | None = strawberry.field(description="Who signed in.")
    errors: list[UserError] = strawberry.field(description="Why signing in failed; empty on success.")


@strawberry.type(description="Result of signOut.")
class SignOutPayload:
    ok: bool = strawberry.field(description="True when the session was ended.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of requestPasswordReset: the same whether or not the login exists.")
class RequestPasswordResetPayload:
    ok: bool = strawberry.field(description="True: if the login exists, an email with a link is on its way.")
    errors: list[UserError] = strawberry.field(description="Only for malformed input (e.g. a placeholder tax id).")


@strawberry.type(description="Result of changePassword.")
class ChangePasswordPayload:
    viewer: Viewer | None = strawberry.field(description="The caller, no longer required to change the password.")
    errors: list[UserError] = strawberry.field(description="Why the change failed; empty on success.")


@strawberry.type(description="Result of requestSignInCode: the same whether or not the email exists.")
class RequestSignInCodePayload:
    ok: bool = strawberry.field(description="True: if the email is a user's, a code is on its way.")
    expires_in: int | None = strawberry.field(description="Seconds the code stays valid.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


def _signed_in(signed: SignedIn) -> SignInPayload:
    return SignInPayload(
        access_token=signed.access_token,
        refresh_token=signed.refresh_token,
        expires_in=signed.expires_in,
        viewer=viewer_type(signed.principal),
        errors=[],
    )


async def _signing_in(info: Info, flow: Callable[[], Awaitable[SignedIn]]) -> SignInPayload:
    try:
        return _signed_in(await flow())
    except ApiError as error:
        return SignInPayload(access_token=None, refresh_token=None, expires_in=None, viewer=None,
                             errors=[user_error(error, info.context.language)])  # fmt: skip


async def sign_in(
    info: Info,
    input: Annotated[SignInInput, strawberry.argument(description="Login, password and rememberMe.")],
) -> SignInPayload:
    ctx = info.context
    return await _signing_in(info, lambda: resolve.sign_in(ctx, input.login, input.password, bool(input.remember_me)))


async def refresh_session(
    info: Info, input: Annotated[RefreshSessionInput, strawberry.argument(description="The refresh token.")]
) -> SignInPayload:
    return await _signing_in(info, lambda: resolve.refresh_session(info.context, input.refresh_token))


async def sign_out(info: Info) -> SignOutPayload:
    await resolve.sign_out(info.context)
    return SignOutPayload(ok=True, errors=[])


async def request_password_reset(
    info: Info, input: Annotated[RequestPasswordResetInput, strawberry.argument(description="The login.")]
) -> RequestPasswordResetPayload:
    try:
        await resolve.request_password_reset(info.context, input.login)
    except ApiError as error:
        return RequestPasswordResetPayload(ok=False, errors=[user_error(error, info.context.language)])
    return RequestPasswordResetPayload(ok=True, errors=[])


async def reset_password(
    info: Info, input: Annotated[ResetPasswordInput, strawberry.argument(description="Token and new password.")]
) -> SignInPayload:
    return await _signing_in(info, lambda: resolve.reset_password(info.context, input.token, input.new_password))


async def change_password(
    info: Info, input: Annotated[ChangePasswordInput, strawberry.argument(description="Current and new password.")]
) -> ChangePasswordPayload:
    try:
        changed = await resolve.change_password(info.context, input.current_password, input.new_password)
    except ApiError as error:
        if error.code.value in ("UNAUTHENTICATED", "FORBIDDEN"):
            raise
        return ChangePasswordPayload(viewer=None, errors=[user_error(error, info.context.language)])
    return ChangePasswordPayload(viewer=viewer_type(changed), errors=[])


async def request_sign_in_code(
    info: Info, input: Annotated[RequestSignInCodeInput, strawberry.argument(description="The email.")]
) -> RequestSignInCodePayload:
    ctx = info.context
    try:
        await resolve.request_sign_in_code(ctx, input.email)
    except ApiError as error:
        return RequestSignInCodePayload(ok=False, expires_in=None, errors=[user_error(error, ctx.language)])
    return RequestSignInCodePayload(ok=True, expires_in=ctx.settings.code_minutes * 60, errors=[])


async def sign_in_with_code(
    info: Info, input: Annotated[SignInWithCodeInput, strawberry.argument(description="Email and code.")]
) -> SignInPayload:
    return await _signing_in(info, lambda: resolve.sign_in_with_code(info.context, input.email, input.code))
