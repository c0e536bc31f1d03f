-- Citizen self-service (SPEC §12): the Zalo OA chatbot and online payment by VietQR.

-- The agency's receiving account for VietQR (NAPAS 247): bank BIN, account number, holder name as
-- the bank spells it (upper-case ASCII). All three or none.
ALTER TABLE agencies
    ADD COLUMN bank_bin      text CHECK (bank_bin ~ '^[0-9]{6}$'),
    ADD COLUMN bank_account  text CHECK (bank_account ~ '^[0-9]{6,19}$'),
    ADD COLUMN bank_name     text CHECK (bank_name ~ '^[A-Z0-9 .,()/-]{1,50}$'),
    ADD CONSTRAINT agencies_bank_complete CHECK (
        (bank_bin IS NULL) = (bank_account IS NULL) AND (bank_bin IS NULL) = (bank_name IS NULL));

-- Confirmed online payments: once per bank reference, at most one per shipment (the amount due is
-- the whole COD amount). Append-only.
CREATE TABLE payments (
    id           bigserial PRIMARY KEY,
    shipment_id  bigint NOT NULL UNIQUE REFERENCES shipments(id),
    reference    text NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 64),
    amount       bigint NOT NULL CHECK (amount > 0),
    paid_at      timestamptz NOT NULL,
    recorded_by  bigint REFERENCES users(id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION payments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payments are append-only';
END $$;
CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_append_only();

-- Every OA webhook event received: the primary key is the once-guard across processes, the rows
-- are also the per-user rate-limit counter (`weight`: a wrong phone-digits guess weighs more).
-- No message text is kept (it may hold phone digits).
CREATE TABLE zalo_events (
    event_id     text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 128),
    user_id      text NOT NULL,
    weight       integer NOT NULL DEFAULT 1,
    outcome      text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX zalo_events_user ON zalo_events (user_id, received_at);

-- Zalo users following a shipment (proved with the phone's last 4 digits).
CREATE TABLE zalo_subscriptions (
    user_id      text NOT NULL,
    shipment_id  bigint NOT NULL REFERENCES shipments(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, shipment_id)
);
CREATE INDEX zalo_subscriptions_shipment ON zalo_subscriptions (shipment_id);

-- OA messages to send: replies ('event:<event id>') and status updates ('status:<event id>').
-- UNIQUE (user_id, ref) makes each at most once whatever the number of workers.
CREATE TABLE zalo_messages (
    id            bigserial PRIMARY KEY,
    user_id       text NOT NULL,
    ref           text NOT NULL,
    text          text NOT NULL,
    link_code     text,                 -- the tracking link of this code is appended when sending
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    available_at  timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    UNIQUE (user_id, ref)
);
CREATE INDEX zalo_messages_due ON zalo_messages (available_at, id) WHERE status = 'pending';

-- A status change of a shipment someone follows on Zalo gets a `zalo.status` twin in the same
-- transaction (as 010 does for webhooks: one handler per topic in the dispatcher).
CREATE FUNCTION outbox_zalo_twin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM zalo_subscriptions WHERE shipment_id = NEW.shipment_id) THEN
        INSERT INTO outbox (topic, shipment_id, payload)
        VALUES ('zalo.status', NEW.shipment_id,
                NEW.payload || jsonb_build_object('source_id', NEW.id, 'shipment_id', NEW.shipment_id));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_zalo_twin AFTER INSERT ON outbox FOR EACH ROW
    WHEN (NEW.topic = 'shipment.status_changed')
    EXECUTE FUNCTION outbox_zalo_twin();
