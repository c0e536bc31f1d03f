-- Carrier adapters (SPEC §9): a post office may be bound to a postal operator's system (VNPost).
-- Its shipments are pushed as orders by the outbox; the operator's status reports come back.

ALTER TABLE post_offices ADD COLUMN carrier text CHECK (carrier IN ('vnpost'));

-- One order per (carrier, tracking code), written before the push so a retry never makes two.
CREATE TABLE carrier_orders (
    id              bigserial PRIMARY KEY,
    carrier         text NOT NULL,
    shipment_id     bigint NOT NULL REFERENCES shipments(id),
    tracking_code   text NOT NULL,
    order_id        text,                 -- the operator's originalID, once it answered
    status_code     integer,              -- the operator's newest status code
    status_at       timestamptz,
    total_fee       bigint,
    cancel_state    text CHECK (cancel_state IN ('pending', 'done')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    pushed_at       timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (carrier, tracking_code)
);
CREATE UNIQUE INDEX carrier_orders_order_id ON carrier_orders (carrier, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX carrier_orders_shipment ON carrier_orders (shipment_id);

-- Status reports as received (pushed or polled); deduplicated by (carrier, order, status, time).
CREATE TABLE carrier_reports (
    id              bigserial PRIMARY KEY,
    carrier         text NOT NULL,
    order_id        text NOT NULL,
    sale_order_code text,
    status_code     integer NOT NULL,
    occurred_at     timestamptz NOT NULL,
    note            text NOT NULL DEFAULT '',
    source          text NOT NULL CHECK (source IN ('callback', 'poll')),
    received_at     timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    outcome         text,                 -- applied | late | refused | note | unknown | no_order
    event_id        bigint REFERENCES shipment_events(id),
    CONSTRAINT carrier_reports_unique UNIQUE (carrier, order_id, status_code, occurred_at)
);
CREATE INDEX carrier_reports_pending ON carrier_reports (occurred_at, id) WHERE processed_at IS NULL;

-- The polling fallback's cursor per carrier.
CREATE TABLE carrier_cursors (
    carrier     text PRIMARY KEY,
    last_id     bigint NOT NULL DEFAULT 0,
    polled_at   timestamptz
);

-- A shipment of a bound post office queues its order push in the creating transaction;
-- a cancellation queues the cancel push. Payloads carry no personal data.
CREATE FUNCTION carrier_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bound text;
BEGIN
    SELECT carrier INTO bound FROM post_offices WHERE code = NEW.post_office_code;
    IF bound IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO outbox (topic, shipment_id, payload) VALUES ('carrier.order', NEW.id,
            jsonb_build_object('carrier', bound, 'shipment_id', NEW.id, 'tracking_code', NEW.tracking_code));
    ELSIF NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN
        INSERT INTO outbox (topic, shipment_id, payload) VALUES ('carrier.cancel', NEW.id,
            jsonb_build_object('carrier', bound, 'shipment_id', NEW.id, 'tracking_code', NEW.tracking_code));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER shipments_carrier_order AFTER INSERT ON shipments
    FOR EACH ROW EXECUTE FUNCTION carrier_outbox();
CREATE TRIGGER shipments_carrier_cancel AFTER UPDATE OF status ON shipments
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled')
    EXECUTE FUNCTION carrier_outbox();
