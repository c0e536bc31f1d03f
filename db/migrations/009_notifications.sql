-- Citizen notifications (SPEC §7): one row per message kind, shipment and event (or OTP round, or
-- due date), whatever the number of workers; each channel attempt is logged for staff.

-- One message to a citizen. `ref` says which event it is about: 'event:<id>' for a status change,
-- 'otp:<event id>' / 'otp-resend:<n>' for a one-time code round, 'due:<date>' for a late notice.
-- `secret` holds the one-time code until the message is final (then NULL): the only clear copy
-- once the outbox handler has moved it here.
CREATE TABLE notifications (
    id             bigserial PRIMARY KEY,
    shipment_id    bigint NOT NULL REFERENCES shipments(id),
    kind           text NOT NULL CHECK (kind IN ('otp', 'picked_up', 'delivered', 'delivery_failed', 'late')),
    ref            text NOT NULL,
    data           jsonb NOT NULL DEFAULT '{}',
    secret         text,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    channel_index  integer NOT NULL DEFAULT 0,
    channel_tries  integer NOT NULL DEFAULT 0,
    attempts       integer NOT NULL DEFAULT 0,
    channel        text,
    text_masked    text,
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    available_at   timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    UNIQUE (shipment_id, kind, ref)
);
CREATE INDEX notifications_due ON notifications (available_at, id) WHERE status = 'pending';
CREATE INDEX notifications_finished ON notifications (finished_at DESC) WHERE finished_at IS NOT NULL;

-- Every try of a channel: what staff see in the shipment's notification log (never the code).
CREATE TABLE notification_attempts (
    id               bigserial PRIMARY KEY,
    notification_id  bigint NOT NULL REFERENCES notifications(id),
    channel          text NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('sent', 'refused', 'retry', 'skipped')),
    detail           text NOT NULL DEFAULT '',
    attempted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, id);

-- Provider credentials that rotate (Zalo's refresh token is single-use): shared by every process.
CREATE TABLE provider_tokens (
    name           text PRIMARY KEY,
    access_token   text NOT NULL,
    refresh_token  text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Status changes that concern the citizen queue a `notification.<kind>` outbox row in the same
-- transaction as the event, whichever path recorded it (scan, staff order, carrier report).
-- The one-time code (`notification.otp`) is queued by the scan service, which makes the code.
CREATE FUNCTION queue_citizen_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    dir  text;
    code text;
    kind text;
BEGIN
    IF NOT NEW.applied THEN
        RETURN NULL;
    END IF;
    SELECT s.direction, s.tracking_code INTO dir, code FROM shipments s WHERE s.id = NEW.shipment_id;
    kind := CASE
        WHEN NEW.event = 'picked_up' AND dir = 'pickup' THEN 'picked_up'
        WHEN NEW.event = 'delivered' THEN 'delivered'
        WHEN NEW.event = 'delivery_failed' AND dir = 'delivery' THEN 'delivery_failed'
    END;
    IF kind IS NOT NULL THEN
        INSERT INTO outbox (topic, shipment_id, payload) VALUES (
            'notification.' || kind, NEW.shipment_id,
            jsonb_strip_nulls(jsonb_build_object(
                'shipment_id', NEW.shipment_id, 'tracking_code', code, 'direction', dir, 'kind', kind,
                'ref', 'event:' || NEW.id, 'event_id', NEW.id,
                'reason_code', NEW.details->>'reason_code')));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER shipment_events_notify AFTER INSERT ON shipment_events
    FOR EACH ROW EXECUTE FUNCTION queue_citizen_notification();
