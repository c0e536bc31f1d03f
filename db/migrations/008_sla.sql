-- Deadline accountability (SPEC §5 reschedule, §6 reports, §7 `late`).
--
-- original_due_date: the due date the shipment had before its first reschedule (NULL when never
-- rescheduled). The on-time rate is measured against it (the province reports against the
-- appointment date), while due_date is the date in force for lists, tracking and overdue notices.
ALTER TABLE shipments ADD COLUMN original_due_date date;

-- overdue_notice_due: the due date the last overdue notice was emitted for. Only open shipments whose
-- due date has no notice yet sit in the partial index below, so the watcher's round reads the newly
-- overdue ones only, not every open overdue shipment (200,000 of them at 1,000,000 rows).
ALTER TABLE shipments ADD COLUMN overdue_notice_due date;
CREATE INDEX shipments_overdue_unnoticed ON shipments (due_date, id)
    WHERE status NOT IN ('delivered', 'returned', 'cancelled') AND overdue_notice_due IS DISTINCT FROM due_date;

-- One `late` notice per shipment and due date, whatever the number of workers: the overdue worker
-- inserts here with ON CONFLICT DO NOTHING and writes the outbox row only for rows it inserted.
CREATE TABLE overdue_notices (
    shipment_id  bigint NOT NULL REFERENCES shipments(id),
    due_date     date NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shipment_id, due_date)
);

-- The SLA report reads one agency's shipments created in a period.
CREATE INDEX shipments_agency_created ON shipments (agency_code, created_at);
-- The handover time of delivered shipments (the applied `delivered` event), for on-time and hours.
CREATE INDEX shipment_events_delivered ON shipment_events (shipment_id, occurred_at)
    WHERE event = 'delivered' AND applied;
