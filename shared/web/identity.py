"""Who is calling. Two ways, one answer (`Identity`):

- the embedded default: the caller names itself with `X-User-Id`, `X-User-Role` and
  `X-User-Teams` (comma-separated), and a partner the organisation it acts for with
  `X-User-Partner`;
- with authentication configured (`CRM_AUTH_ISSUER` …): a bearer JWT, verified with PyJWT
  (signature from a JWKS URL or a configured key, issuer, audience, expiry with leeway);
  the organisation of a partner is its `crm_partner` claim.
  The identity headers are then ignored — a header cannot forge an actor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import jwt
from fastapi import HTTPException, Request

log = logging.getLogger(__name__)

Role = Literal["rep", "manager", "auditor", "admin", "partner"]
ROLES: tuple[Role, ...] = ("rep", "manager", "auditor", "admin", "partner")
# The role of a user of an outside organisation: it acts for that organisation, never alone.
ORGANISATION_ROLES: frozenset[Role] = frozenset({"partner"})


@dataclass(frozen=True)
class Identity:
    user_id: str
    role: Role
    teams: tuple[str, ...] = ()
    partner: str | None = None  # the outside organisation a partner acts for; None for everyone else


class Authenticator(Protocol):
    def identify(self, request: Request) -> Identity: ...


class HeaderIdentity:
    """The embedded default: trust what the caller says (a single-user or dev setting)."""

    def identify(self, request: Request) -> Identity:
        user_id = (request.headers.get("x-user-id") or "").strip()
        if not user_id:
            raise HTTPException(401, detail="the X-User-Id header names the caller and is required")
        if len(user_id) > 200 or any(ord(c) < 32 for c in user_id):
            raise HTTPException(
                422,
                detail=[
                    {"loc": ["header", "x-user-id"], "msg": "at most 200 printable characters", "type": "value_error"}
                ],
            )
        role = request.headers.get("x-user-role", "rep")
        if role not in ROLES:
            raise HTTPException(
                422,
                detail=[
                    {"loc": ["header", "x-user-role"], "msg": f"one of {', '.join(ROLES)}", "type": "literal_error"}
                ],
            )
        teams = tuple(t.strip() for t in request.headers.get("x-user-teams", "").split(",") if t.strip())
        partner = (request.headers.get("x-user-partner") or "").strip() or None
        if (partner is None) == (role in ORGANISATION_ROLES) or (partner is not None and len(partner) > 100):
            raise HTTPException(
                422,
                detail=[
                    {
                        "loc": ["header", "x-user-partner"],
                        "msg": "names the partner organisation (at most 100 characters) of a partner, and of no one else",
                        "type": "value_error",
                    }
                ],
            )
        return Identity(user_id, role, teams, partner)


class BearerIdentity:
    """Bearer JWTs: `sub` is the user, `crm_role` the role, `crm_teams` the teams, `crm_partner`
    a partner's organisation."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        key: str | None = None,
        jwks_url: str | None = None,
        algorithms: tuple[str, ...] = ("RS256", "ES256"),
        leeway: float = 30.0,
    ) -> None:
        if not key and not jwks_url:
            raise ValueError("authentication needs CRM_AUTH_KEY or CRM_AUTH_JWKS_URL")
        self.issuer, self.audience, self.algorithms, self.leeway = issuer, audience, list(algorithms), leeway
        self._key = key
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        log.warning("authentication is configured: the X-User-* identity headers are ignored")

    def identify(self, request: Request) -> Identity:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, detail="a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        try:
            key: Any = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self._key
            claims = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:  # never echo the token: only what was wrong with it
            raise HTTPException(
                401, detail=f"invalid token: {type(error).__name__}", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        role = claims.get("crm_role", "rep")
        if role not in ROLES:
            raise HTTPException(403, detail="the token names no CRM role")
        partner = claims.get("crm_partner")
        if (not partner) == (role in ORGANISATION_ROLES):
            raise HTTPException(403, detail="a partner's token names its organisation (crm_partner), no other does")
        return Identity(str(claims["sub"]), role, tuple(claims.get("crm_teams", ())), str(partner) if partner else None)
