"""Who may see and do what: roles, the signed-in principal, and its visibility scope."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from postal.errors import Forbidden


class Role(StrEnum):
    """The four roles of SPEC §5."""

    admin = "admin"
    staff = "staff"
    courier = "courier"
    integration = "integration"


@dataclass(frozen=True)
class Principal:
    """The user behind a request, with the agency or post office it is bound to."""

    user_id: int
    username: str
    role: Role
    agency_code: str | None = None
    post_office_code: str | None = None

    def require(self, *roles: Role) -> None:
        """Refuse unless the principal has one of ``roles``."""
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"Vai trò '{self.role.value}' không được phép thao tác này (cần: {allowed}).")


@dataclass(frozen=True)
class Scope:
    """Which shipments a principal may see: those of one agency, one post office, or all (admin)."""

    agency_code: str | None = None
    post_office_code: str | None = None


def scope_of(principal: Principal) -> Scope:
    """Staff and integrations see their agency; couriers their post office; admins everything."""
    if principal.role in (Role.staff, Role.integration):
        return Scope(agency_code=principal.agency_code)
    if principal.role is Role.courier:
        return Scope(post_office_code=principal.post_office_code)
    return Scope()
