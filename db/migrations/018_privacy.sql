-- Personal data (SPEC §13, Law 91/2025/QH15): the access log, append-only and purged on its own
-- retention; the retention purge of shipments' personal fields, marked by `purged_at`.

-- Who read whose personal data, when, through which surface. No personal data itself: a shipment
-- id, a user id, an action name and, for a data-subject request that matched nothing, the masked phone.
-- No foreign keys on purpose: a list of 200 shipments writes 200 rows in one INSERT, and the per-row
-- referential checks cost about as much as the insert (users and shipments are never deleted).
CREATE TABLE access_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    user_id      bigint,
    role         text NOT NULL,
    action       text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
    shipment_id  bigint,
    subject      text NOT NULL DEFAULT ''
);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX access_log_shipment ON access_log (shipment_id, id) WHERE shipment_id IS NOT NULL;
CREATE INDEX access_log_user ON access_log (user_id, id);

-- Append-only: no UPDATE ever; a DELETE only of rows older than the cut-off the retention purge sets
-- for its own transaction (postal.access_log_purge_before, through purge_access_log below).
CREATE FUNCTION access_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cutoff text := current_setting('postal.access_log_purge_before', true);
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(cutoff, '') <> '' AND OLD.at < cutoff::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'access_log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_guard();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The one way to delete access records: those older than `before`, at most `max_rows` per call.
CREATE FUNCTION purge_access_log(before timestamptz, max_rows integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    PERFORM set_config('postal.access_log_purge_before', before::text, true);
    DELETE FROM access_log WHERE id IN (
        SELECT id FROM access_log WHERE at < before ORDER BY at LIMIT max_rows FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('postal.access_log_purge_before', '', true);
    RETURN n;
END $$;

-- Retention purge of a shipment's personal fields: when it happened (NULL: never).
ALTER TABLE shipments ADD COLUMN purged_at timestamptz;
CREATE INDEX shipments_purge_due ON shipments ((coalesce(completed_at, updated_at)), id)
    WHERE purged_at IS NULL AND status IN ('cancelled', 'delivered', 'returned');
CREATE INDEX shipments_purged ON shipments (purged_at) WHERE purged_at IS NOT NULL;

-- Events stay append-only, except that the purge (postal.purge = 'on' for its own transaction) may
-- blank the personal parts of an event: the proof names in `details` and the geo point.
CREATE FUNCTION shipment_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('postal.purge', true) = 'on'
       AND (NEW.id, NEW.shipment_id, NEW.event, NEW.occurred_at, NEW.recorded_at, NEW.actor_user_id,
            NEW.post_office_code, NEW.client_event_id, NEW.applied, NEW.from_status, NEW.to_status)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.shipment_id, OLD.event, OLD.occurred_at, OLD.recorded_at, OLD.actor_user_id,
            OLD.post_office_code, OLD.client_event_id, OLD.applied, OLD.from_status, OLD.to_status) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
DROP TRIGGER shipment_events_append_only ON shipment_events;
CREATE TRIGGER shipment_events_append_only BEFORE UPDATE OR DELETE ON shipment_events
    FOR EACH ROW EXECUTE FUNCTION shipment_events_guard();

-- An event recorded after the purge (an offline device syncing late, a note) is stored already blanked:
-- the same keys as postal.domain.privacy.ERASED_DETAIL_KEYS (a test checks they agree), no geo point.
CREATE FUNCTION shipment_events_scrub_purged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM shipments WHERE id = NEW.shipment_id AND purged_at IS NOT NULL) THEN
        NEW.lat := NULL;
        NEW.lon := NULL;
        NEW.details := NEW.details || coalesce(
            (SELECT jsonb_object_agg(k, '') FROM jsonb_object_keys(NEW.details) k
             WHERE k = ANY (ARRAY['recipient_name', 'authorization_number', 'note', 'reason'])), '{}'::jsonb);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER shipment_events_scrub_purged BEFORE INSERT ON shipment_events
    FOR EACH ROW EXECUTE FUNCTION shipment_events_scrub_purged();
