"""Shipments, their append-only events, idempotency keys and outbox rows."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import asyncpg

from postal.domain.access import Scope
from postal.domain.lifecycle import OPEN, TERMINAL
from postal.errors import Conflict, FieldError, NotFound

# The shipment row with the names the views need.
_SELECT = (
    "SELECT s.*, a.name AS agency_name, p.name AS post_office_name"
    " FROM shipments s JOIN agencies a ON a.code = s.agency_code"
    " JOIN post_offices p ON p.code = s.post_office_code"
)
OPEN_STATUSES = tuple(sorted(s.value for s in OPEN))
"""The open statuses of :mod:`postal.domain.lifecycle`, as SQL parameters take them (``= ANY($n::text[])``)."""
TERMINAL_STATUSES = tuple(sorted(s.value for s in TERMINAL))
# Written into the overdue fragment as a literal, not a parameter: the partial indexes ``shipments_open_due``
# and ``shipments_open_dossier_uq`` carry this predicate, and the planner uses them only when the query's
# text implies it (a generic plan cannot see inside a parameter). Built from the domain set, not typed again;
# tests/integration/test_overdue_rule.py checks the indexes' predicates name the same set.
_TERMINAL_SQL = "(" + ", ".join(f"'{v}'" for v in TERMINAL_STATUSES) + ")"


def _not_found(code: str) -> NotFound:
    return NotFound(f"Không tìm thấy bưu gửi {code}.")


def scope_sql(scope: Scope, args: list[Any], alias: str = "s") -> str:
    """Conditions (AND-ed, parameters appended to ``args``) keeping a principal to its rows."""
    sql = ""
    if scope.agency_code is not None:
        args.append(scope.agency_code)
        sql += f" AND {alias}.agency_code = ${len(args)}"
    if scope.post_office_code is not None:
        args.append(scope.post_office_code)
        sql += f" AND {alias}.post_office_code = ${len(args)}"
    return sql


async def count_of_agency(con: asyncpg.Connection, agency_code: str) -> int:
    """How many shipments an agency has registered (any status)."""
    return int(await con.fetchval("SELECT count(*) FROM shipments WHERE agency_code = $1", agency_code))


async def next_serial(con: asyncpg.Connection) -> int:
    return int(await con.fetchval("SELECT nextval('s10_serial_seq')"))


@dataclass(frozen=True)
class NewShipment:
    """A shipment to register, checked by the service: the columns its INSERT writes."""

    tracking_code: str
    direction: str
    agency_code: str
    post_office_code: str
    dossier_code: str
    procedure_name: str
    citizen_name: str
    citizen_phone: str
    address_line: str
    ward_code: str
    province_code: str
    due_date: date
    created_by: int
    procedure_code: str = ""
    documents: list[dict[str, Any]] = field(default_factory=list)
    appointment_date: date | None = None
    citizen_id_number: str | None = None
    cod_amount: int = 0
    fee_payer: str = "citizen"
    fee_exemption: str = "none"
    note: str = ""
    created_at: datetime | None = None
    """None: now (the demo back-dates its shipments)."""


_INSERT_COLUMNS = tuple(f.name for f in fields(NewShipment) if f.name != "created_at")
_AT = f"coalesce(${len(_INSERT_COLUMNS) + 1}::timestamptz, now())"
_INSERT_SQL = (
    f"INSERT INTO shipments ({', '.join(_INSERT_COLUMNS)}, created_at, updated_at)"  # noqa: S608 - our column names
    f" VALUES ({', '.join(f'${i}' for i in range(1, len(_INSERT_COLUMNS) + 1))}, {_AT}, {_AT}) RETURNING id"
)


async def insert_shipment(con: asyncpg.Connection, new: NewShipment) -> int:
    """Insert a shipment and return its id.

    A dossier that already has an open shipment of the same direction (the partial unique index
    ``shipments_open_dossier_uq``, so concurrent creates cannot both pass) is a Conflict naming it.
    """
    values = [getattr(new, name) for name in _INSERT_COLUMNS]
    try:
        async with con.transaction():  # a savepoint: the caller's transaction stays usable to name the other one
            return int(await con.fetchval(_INSERT_SQL, *values, new.created_at))
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != "shipments_open_dossier_uq":
            raise
        raise await _open_dossier_conflict(con, new) from None


async def _open_dossier_conflict(con: asyncpg.Connection, new: NewShipment) -> Conflict:
    existing = await con.fetchval(
        "SELECT tracking_code FROM shipments WHERE agency_code = $1 AND dossier_code = $2 AND direction = $3"
        " AND status <> ALL($4::text[])",
        new.agency_code, new.dossier_code, new.direction, list(TERMINAL_STATUSES),
    )
    direction = {"delivery": "trả kết quả", "pickup": "thu gom"}.get(new.direction, new.direction)
    message = (f"Hồ sơ này đã có đơn {direction} {existing or ''} đang mở; không tạo thêm đơn thứ hai. "
               "Hãy dùng đơn đó, hoặc huỷ/kết thúc nó trước.")
    return Conflict(" ".join(message.split()), errors=[FieldError("dossier.code", message.replace("  ", " "))])


async def get_by_id(con: asyncpg.Connection, shipment_id: int) -> asyncpg.Record:
    row = await con.fetchrow(f"{_SELECT} WHERE s.id = $1", shipment_id)
    if row is None:
        raise NotFound(f"Không tìm thấy bưu gửi #{shipment_id}.")
    return row


async def get_by_code(con: asyncpg.Connection, code: str, scope: Scope, *, for_update: bool = False) -> asyncpg.Record:
    """The shipment visible in ``scope``, or NotFound (another agency's shipment is not found)."""
    args: list[Any] = [code]
    where = scope_sql(scope, args)
    lock = " FOR UPDATE OF s" if for_update else ""
    row = await con.fetchrow(f"{_SELECT} WHERE s.tracking_code = $1{where}{lock}", *args)
    if row is None:
        raise _not_found(code)
    return row


async def events_of(con: asyncpg.Connection, shipment_id: int) -> list[asyncpg.Record]:
    """The timeline, oldest first (by device time, then arrival)."""
    return await con.fetch(
        "SELECT e.*, p.name AS post_office_name FROM shipment_events e"
        " LEFT JOIN post_offices p ON p.code = e.post_office_code"
        " WHERE e.shipment_id = $1 ORDER BY e.occurred_at, e.id",
        shipment_id,
    )


async def events_of_many(con: asyncpg.Connection, ids: list[int]) -> dict[int, list[asyncpg.Record]]:
    """Timelines of several shipments in one query."""
    rows = await con.fetch(
        "SELECT e.*, p.name AS post_office_name FROM shipment_events e"
        " LEFT JOIN post_offices p ON p.code = e.post_office_code"
        " WHERE e.shipment_id = ANY($1::bigint[]) ORDER BY e.occurred_at, e.id",
        ids,
    )
    grouped: dict[int, list[asyncpg.Record]] = {i: [] for i in ids}
    for row in rows:
        grouped[row["shipment_id"]].append(row)
    return grouped


@dataclass(frozen=True)
class ListFilter:
    """Filters of ``GET /shipments``; ``words`` (folded, LIKE-escaped) must all occur in ``search_text``
    (name, phone, code, dossier code, street line: migration 016), or ``code``/``phone`` match exactly."""

    status: str | None = None
    direction: str | None = None
    code: str | None = None
    words: tuple[str, ...] = ()
    phone: str | None = None
    overdue: bool | None = None
    today: date | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    before_id: int | None = None
    limit: int = 50


def _filter_sql(f: ListFilter, args: list[Any]) -> str:
    def param(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    sql = ""
    if f.status:
        sql += f" AND s.status = {param(f.status)}"
    if f.direction:
        sql += f" AND s.direction = {param(f.direction)}"
    if f.before_id is not None:
        sql += f" AND s.id < {param(f.before_id)}"
    sql += _search_sql(f, param)
    if f.overdue is not None:
        sql += f" AND {'' if f.overdue else 'NOT '}({_overdue_sql(param(f.today), param(f.timezone))})"
    return sql


def _search_sql(f: ListFilter, param: Any) -> str:
    ors = []
    if f.code:
        ors.append(f"s.tracking_code = {param(f.code)}")
    if f.phone:
        ors.append(f"s.citizen_phone = {param(f.phone)}")
    if f.words:
        # One LIKE per word: the trigram index (where pg_trgm exists) answers each, intersected. A word
        # under 3 characters has no trigram and would make the index read everything: it is checked with
        # strpos instead, on the rows the other words found (the LIKE escapes are undone for it).
        ors.append("(" + " AND ".join(_word_sql(w, param) for w in f.words) + ")")
    return f" AND ({' OR '.join(ors)})" if ors else ""


def _word_sql(word: str, param: Any) -> str:
    plain = word.replace("\\%", "%").replace("\\_", "_").replace("\\\\", "\\")
    if len(plain) < 3:
        return f"strpos(s.search_text, {param(plain)}) > 0"
    return f"s.search_text LIKE {param('%' + word + '%')}"


def open_overdue_sql(today: str, alias: str = "s") -> str:
    """Still open after its due date (``today`` a local date parameter): the one SQL form of the open
    half of :func:`postal.domain.deadlines.is_overdue`, used by lists, reports and the overdue worker."""
    return f"({alias}.status NOT IN {_TERMINAL_SQL} AND {alias}.due_date < {today}::date)"


def _overdue_sql(today: str, tz: str) -> str:
    """Open after its due date, or delivered on a later local day than due (as domain.deadlines says)."""
    return (
        f"{open_overdue_sql(today)}"
        f" OR (s.status = 'delivered' AND s.completed_at IS NOT NULL"
        f" AND (s.completed_at AT TIME ZONE {tz}::text)::date > s.due_date)"
    )


RECENT_WINDOW = 5000
"""A search first looks among the newest 5,000 visible rows (an index walk in id order): a common word
fills the page there, where the trigram index would have to collect and sort every match."""


def _list_where(scope: Scope, f: ListFilter) -> tuple[str, list[Any]]:
    args: list[Any] = []
    return scope_sql(scope, args) + _filter_sql(f, args), args


def _whole_table(where: str, args: list[Any], limit: int) -> tuple[str, list[Any]]:
    args = [*args, limit + 1]
    return f"{_SELECT} WHERE true{where} ORDER BY s.id DESC LIMIT ${len(args)}", args


def list_query(scope: Scope, f: ListFilter) -> tuple[str, list[Any]]:
    """The whole-table form of the list query and its arguments (what the benchmarks EXPLAIN)."""
    return _whole_table(*_list_where(scope, f), f.limit)


async def list_shipments(con: asyncpg.Connection, scope: Scope, f: ListFilter) -> list[asyncpg.Record]:
    """Newest first, keyset-paginated on id; one more row than ``limit`` tells whether a next page exists.

    A text search tries the newest :data:`RECENT_WINDOW` rows first; when they hold a full page, those are
    the newest matches (a prefix of the id order), and when the window holds fewer rows than it may, it
    holds every visible row and its matches are all there are (an agency with a few thousand shipments
    never reaches the big index); otherwise the whole table is searched (by the index).
    """
    where, args = _list_where(scope, f)
    if f.words:
        window_args = list(args)
        recent = "SELECT s.id FROM shipments s WHERE true" + scope_sql(scope, window_args)  # noqa: S608 - parameters only
        if f.before_id is not None:
            window_args.append(f.before_id)
            recent += f" AND s.id < ${len(window_args)}"
        window_args += [RECENT_WINDOW, f.limit + 1]
        n = len(window_args)
        sql = (f"WITH recent AS MATERIALIZED ({recent} ORDER BY s.id DESC LIMIT ${n - 1})"  # noqa: S608 - $n only
               " SELECT w.window_rows, h.* FROM (SELECT count(*) AS window_rows FROM recent) w LEFT JOIN LATERAL"
               f" ({_SELECT} WHERE s.id IN (SELECT id FROM recent){where} ORDER BY s.id DESC LIMIT ${n}) h ON true"
               " ORDER BY h.id DESC NULLS LAST")
        rows = await con.fetch(sql, *window_args)
        hits = [r for r in rows if r["id"] is not None]
        if len(hits) > f.limit or rows[0]["window_rows"] < RECENT_WINDOW:
            return hits
    sql, args = _whole_table(where, args, f.limit)
    return await con.fetch(sql, *args)


async def idempotent_shipment(con: asyncpg.Connection, user_id: int, key: str) -> asyncpg.Record | None:
    """The (request_hash, shipment_id) stored for this user's key, after taking its transaction lock."""
    await con.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))", key, user_id)
    return await con.fetchrow(
        "SELECT request_hash, shipment_id FROM idempotency_keys WHERE user_id = $1 AND key = $2", user_id, key
    )


async def remember_key(con: asyncpg.Connection, user_id: int, key: str, request_hash: str, shipment_id: int) -> None:
    await con.execute(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, shipment_id) VALUES ($1, $2, $3, $4)",
        user_id, key, request_hash, shipment_id,
    )


@dataclass(frozen=True)
class NewEvent:
    """An event to append to a shipment's timeline."""

    shipment_id: int
    event: str
    occurred_at: datetime
    actor_user_id: int | None
    post_office_code: str | None
    from_status: str
    to_status: str
    applied: bool = True
    client_event_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    details: dict[str, Any] | None = None


async def insert_event(con: asyncpg.Connection, e: NewEvent) -> asyncpg.Record:
    """Append an event and return its row (with the post office's name)."""
    event_id = await con.fetchval(
        "INSERT INTO shipment_events (shipment_id, event, occurred_at, actor_user_id, post_office_code,"
        " from_status, to_status, applied, client_event_id, lat, lon, details)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        e.shipment_id, e.event, e.occurred_at, e.actor_user_id, e.post_office_code, e.from_status,
        e.to_status, e.applied, e.client_event_id, e.lat, e.lon, e.details or {},
    )
    return await event_by_id(con, int(event_id))


async def event_by_id(con: asyncpg.Connection, event_id: int) -> asyncpg.Record:
    row = await con.fetchrow(
        "SELECT e.*, p.name AS post_office_name FROM shipment_events e"
        " LEFT JOIN post_offices p ON p.code = e.post_office_code WHERE e.id = $1",
        event_id,
    )
    assert row is not None
    return row


async def set_status(
    con: asyncpg.Connection, shipment_id: int, status: str, failed_attempts: int, completed: bool
) -> None:
    """Move the shipment to ``status``; terminal statuses stamp ``completed_at``."""
    await con.execute(
        "UPDATE shipments SET status = $2, failed_attempts = $3, updated_at = now(),"
        " completed_at = CASE WHEN $4 THEN now() ELSE completed_at END WHERE id = $1",
        shipment_id, status, failed_attempts, completed,
    )


async def add_outbox(con: asyncpg.Connection, topic: str, shipment_id: int | None, payload: dict[str, Any]) -> None:
    """Queue a message for the workers, in the caller's transaction."""
    await con.execute(
        "INSERT INTO outbox (topic, shipment_id, payload) VALUES ($1, $2, $3)", topic, shipment_id, payload
    )


async def reset_verification_failures(con: asyncpg.Connection, shipment_id: int) -> int:
    """Clear the wrong-verification count; returns the count it had."""
    return int(await con.fetchval(
        "UPDATE shipments s SET verification_failures = 0, updated_at = now() FROM shipments old"
        " WHERE s.id = $1 AND old.id = s.id RETURNING old.verification_failures",
        shipment_id,
    ))


async def set_due_date(con: asyncpg.Connection, shipment_id: int, new_date: date) -> None:
    """Move the due date, keeping the first one in ``original_due_date`` (set once, never overwritten)."""
    await con.execute(
        "UPDATE shipments SET original_due_date = COALESCE(original_due_date, due_date), due_date = $2,"
        " updated_at = now() WHERE id = $1",
        shipment_id, new_date,
    )
