-- Foundation: post offices, agencies, users and tokens, shipments, their events, outbox, holidays.

CREATE TABLE post_offices (
    code            text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    province_code   text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agencies (
    code                    text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    name                    text NOT NULL CHECK (btrim(name) <> ''),
    province_code           text NOT NULL,
    ward_code               text NOT NULL,
    address_line            text NOT NULL DEFAULT '',
    post_office_code        text NOT NULL REFERENCES post_offices(code),
    free_form_dossier_codes boolean NOT NULL DEFAULT false,
    pickup_working_days     integer NOT NULL DEFAULT 2 CHECK (pickup_working_days BETWEEN 0 AND 60),
    created_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                bigserial PRIMARY KEY,
    username          text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{2,64}$'),
    role              text NOT NULL CHECK (role IN ('admin', 'staff', 'courier', 'integration')),
    agency_code       text REFERENCES agencies(code),
    post_office_code  text REFERENCES post_offices(code),
    password_hash     text,
    disabled          boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (role NOT IN ('staff', 'integration') OR agency_code IS NOT NULL),
    CHECK (role <> 'courier' OR post_office_code IS NOT NULL)
);

CREATE TABLE api_tokens (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

-- Web sessions (cookie holds the random id; the table holds its hash).
CREATE TABLE web_sessions (
    id_hash     bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- S10 serials: 8 digits, never reused.
CREATE SEQUENCE s10_serial_seq MINVALUE 1 MAXVALUE 99999999 NO CYCLE;

CREATE TABLE shipments (
    id                  bigserial PRIMARY KEY,
    tracking_code       text NOT NULL UNIQUE,
    direction           text NOT NULL CHECK (direction IN ('pickup', 'delivery')),
    status              text NOT NULL DEFAULT 'created' CHECK (status IN
                          ('created', 'picked_up', 'in_transit', 'out_for_delivery',
                           'delivery_failed', 'delivered', 'returned', 'cancelled')),
    agency_code         text NOT NULL REFERENCES agencies(code),
    post_office_code    text NOT NULL REFERENCES post_offices(code),
    dossier_code        text NOT NULL,
    procedure_code      text NOT NULL DEFAULT '',
    procedure_name      text NOT NULL DEFAULT '',
    appointment_date    date,
    documents           jsonb NOT NULL DEFAULT '[]',
    citizen_name        text NOT NULL,
    citizen_phone       text NOT NULL,
    citizen_id_number   text,
    address_line        text NOT NULL,
    ward_code           text NOT NULL,
    province_code       text NOT NULL,
    cod_amount          bigint NOT NULL DEFAULT 0 CHECK (cod_amount >= 0),
    fee_payer           text NOT NULL DEFAULT 'citizen' CHECK (fee_payer IN ('citizen', 'agency')),
    fee_exemption       text NOT NULL DEFAULT 'none' CHECK (fee_exemption IN ('none', 'half', 'full')),
    note                text NOT NULL DEFAULT '',
    due_date            date NOT NULL,
    failed_attempts     integer NOT NULL DEFAULT 0,
    verification_failures integer NOT NULL DEFAULT 0,
    completed_at        timestamptz,
    created_by          bigint REFERENCES users(id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipments_agency_id ON shipments (agency_code, id DESC);
CREATE INDEX shipments_post_office_id ON shipments (post_office_code, id DESC);
CREATE INDEX shipments_dossier ON shipments (dossier_code);
CREATE INDEX shipments_phone ON shipments (citizen_phone);
CREATE INDEX shipments_open_due ON shipments (due_date) WHERE status NOT IN ('delivered', 'returned', 'cancelled');

-- Append-only timeline. applied = false for a late scan kept only in the timeline.
CREATE TABLE shipment_events (
    id                bigserial PRIMARY KEY,
    shipment_id       bigint NOT NULL REFERENCES shipments(id),
    event             text NOT NULL,
    occurred_at       timestamptz NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    actor_user_id     bigint REFERENCES users(id),
    post_office_code  text REFERENCES post_offices(code),
    client_event_id   uuid UNIQUE,
    applied           boolean NOT NULL DEFAULT true,
    from_status       text,
    to_status         text,
    lat               double precision CHECK (lat BETWEEN -90 AND 90),
    lon               double precision CHECK (lon BETWEEN -180 AND 180),
    details           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX shipment_events_shipment ON shipment_events (shipment_id, occurred_at, id);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER shipment_events_append_only BEFORE UPDATE OR DELETE ON shipment_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Idempotency-Key: one shipment per (user, key); the request hash detects reuse with another body.
CREATE TABLE idempotency_keys (
    user_id       bigint NOT NULL REFERENCES users(id),
    key           text NOT NULL,
    request_hash  text NOT NULL,
    shipment_id   bigint NOT NULL REFERENCES shipments(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Transactional outbox: written in the same transaction as the change it reports.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    topic         text NOT NULL,
    shipment_id   bigint REFERENCES shipments(id),
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    available_at  timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    processed_at  timestamptz,
    last_error    text
);
CREATE INDEX outbox_pending ON outbox (available_at, id) WHERE processed_at IS NULL;

-- Public holidays and official day-off shifts; seeded for the current and next year, editable by admins.
CREATE TABLE holidays (
    day         date PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL DEFAULT 'holiday' CHECK (kind IN ('holiday', 'working_day')),
    source      text NOT NULL DEFAULT 'seed'
);

-- Every print of a slip, manifest or letter: who and when.
CREATE TABLE print_log (
    id           bigserial PRIMARY KEY,
    shipment_id  bigint NOT NULL REFERENCES shipments(id),
    document     text NOT NULL,
    user_id      bigint REFERENCES users(id),
    printed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX print_log_shipment ON print_log (shipment_id);
