-- Webhooks (SPEC §7): subscriptions per agency, one delivery per (subscription, message), an attempt log.

CREATE TABLE webhook_subscriptions (
    id               bigserial PRIMARY KEY,
    agency_code      text REFERENCES agencies(code),          -- NULL: every agency (made by an admin)
    url              text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    events           text[] NOT NULL CHECK (cardinality(events) > 0),
    secret           text NOT NULL CHECK (secret ~ '^whsec_'), -- needed in clear to sign; never answered again
    created_by       bigint REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    disabled_at      timestamptz,                              -- the target answered 410 Gone
    disabled_reason  text,
    deleted_at       timestamptz                               -- kept for the delivery log, invisible to the API
);
CREATE INDEX webhook_subscriptions_agency ON webhook_subscriptions (agency_code) WHERE deleted_at IS NULL;

-- One message (an outbox row) to one subscription; the unique key makes the fan-out idempotent.
CREATE TABLE webhook_deliveries (
    id                bigserial PRIMARY KEY,
    subscription_id   bigint NOT NULL REFERENCES webhook_subscriptions(id),
    message_id        text NOT NULL,                            -- the webhook-id header, stable across retries
    event_type        text NOT NULL,
    body              text NOT NULL,                            -- the exact bytes signed and sent
    status            text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),       -- while sending: the end of the claim's lease
    first_attempt_at  timestamptz,
    last_attempt_at   timestamptz,
    last_status_code  integer,
    last_outcome      text,
    delivered_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, id DESC);

CREATE TABLE webhook_attempts (
    id               bigserial PRIMARY KEY,
    delivery_id      bigint NOT NULL REFERENCES webhook_deliveries(id),
    attempt          integer NOT NULL,
    attempted_at     timestamptz NOT NULL,
    duration_ms      integer NOT NULL,
    status_code      integer,
    outcome          text NOT NULL,
    error            text,
    next_attempt_at  timestamptz
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- Every shipment outbox row (creation and each status change) gets a twin for the webhook fan-out, in
-- the same transaction. A twin rather than a second handler on the same topic: the dispatcher has one
-- handler per topic, and citizen notifications handle the original rows.
CREATE FUNCTION outbox_webhook_twin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (topic, shipment_id, payload)
    VALUES ('webhook.fanout', NEW.shipment_id,
            NEW.payload || jsonb_build_object('source_id', NEW.id, 'source_topic', NEW.topic,
                                              'enqueued_at', NEW.created_at));
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_webhook_twin AFTER INSERT ON outbox FOR EACH ROW
    WHEN (NEW.topic IN ('shipment.created', 'shipment.status_changed'))
    EXECUTE FUNCTION outbox_webhook_twin();
