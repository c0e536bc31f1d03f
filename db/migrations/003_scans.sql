-- Courier scans: the handover one-time code, the newest applied event time, scan attachments.

-- The one-time code for the handover (SPEC §4): only its keyed hash and expiry are kept here;
-- the code itself exists in clear only in the `notification.otp` outbox row.
ALTER TABLE shipments
    ADD COLUMN otp_hash        text,
    ADD COLUMN otp_expires_at  timestamptz,
    -- occurred_at of the newest applied event, kept on the row so that a scan that waited for the
    -- row lock decides "late or not" on what the lock holder committed (a subquery would see the
    -- snapshot taken before the wait).
    ADD COLUMN last_applied_at timestamptz;

UPDATE shipments s SET last_applied_at = (
    SELECT max(e.occurred_at) FROM shipment_events e WHERE e.shipment_id = s.id AND e.applied
);

-- The courier's list: open shipments of one post office, by due date.
CREATE INDEX shipments_post_office_open ON shipments (post_office_code, due_date, id)
    WHERE status NOT IN ('delivered', 'returned', 'cancelled');

-- A signature or photo attached to a scan: PNG/JPEG checked by content, size-limited by the service.
CREATE TABLE scan_attachments (
    id            bigserial PRIMARY KEY,
    event_id      bigint NOT NULL REFERENCES shipment_events(id),
    kind          text NOT NULL CHECK (kind IN ('signature', 'photo')),
    media_type    text NOT NULL CHECK (media_type IN ('image/png', 'image/jpeg')),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    sha256        bytea NOT NULL,
    data          bytea NOT NULL,
    created_by    bigint REFERENCES users(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, kind)
);
