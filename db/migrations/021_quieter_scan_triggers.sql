-- Work a scan no longer makes PostgreSQL do when nothing comes of it.
--
-- Citizen notices exist for three applied events (009): the notice function now runs only for them,
-- not for every arrival at a post office.
DROP TRIGGER shipment_events_notify ON shipment_events;
CREATE TRIGGER shipment_events_notify AFTER INSERT ON shipment_events FOR EACH ROW
    WHEN (NEW.applied AND NEW.event IN ('picked_up', 'delivered', 'delivery_failed'))
    EXECUTE FUNCTION queue_citizen_notification();

-- A webhook twin is fanned out only to subscriptions that existed when the change happened (010 and
-- postal.store.webhooks.matching_subscriptions): with no live, enabled subscription at all there is
-- no one to send it to, so none is queued.
CREATE OR REPLACE FUNCTION outbox_webhook_twin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE deleted_at IS NULL AND disabled_at IS NULL) THEN
        RETURN NULL;
    END IF;
    INSERT INTO outbox (topic, shipment_id, payload)
    VALUES ('webhook.fanout', NEW.shipment_id,
            NEW.payload || jsonb_build_object('source_id', NEW.id, 'source_topic', NEW.topic,
                                              'enqueued_at', NEW.created_at));
    RETURN NULL;
END $$;
