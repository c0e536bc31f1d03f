-- The change records `shipment.created`, `shipment.status_changed` and `shipment.verification_reset`
-- have no handler of their own: what consumes them is queued beside them, in the same transaction, by
-- the triggers of 010 (`webhook.fanout`) and 014 (`zalo.status`). Left pending, every one of them
-- stayed in the `outbox_pending` index for ever and every dispatcher poll read past all of them: the
-- claim took 148 ms with 340,000 scans behind it, and grew with every scan. They are now stored as
-- processed when written (the row stays, as the record of the change).
CREATE FUNCTION outbox_record_processed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.processed_at := NEW.created_at;
    RETURN NEW;
END $$;

CREATE TRIGGER outbox_records_processed BEFORE INSERT ON outbox FOR EACH ROW
    WHEN (NEW.topic IN ('shipment.created', 'shipment.status_changed', 'shipment.verification_reset'))
    EXECUTE FUNCTION outbox_record_processed();

UPDATE outbox SET processed_at = created_at
WHERE processed_at IS NULL AND topic IN ('shipment.created', 'shipment.status_changed', 'shipment.verification_reset');
