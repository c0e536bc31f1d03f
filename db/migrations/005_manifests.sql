-- Handover manifests (bảng kê giao nhận) between an agency and a post office.
--
-- A manifest lists shipments still in `created` (not yet taken by the courier). It stays open
-- until its shipments are picked up; a shipment leaves `created` once and never comes back, so
-- "at most one open manifest" is enforced as "at most one manifest at all" by a unique index on
-- manifest_items(shipment_id). The service locks the shipment rows (FOR UPDATE) before checking
-- status and membership, and the index is the last word when two manifests race for one shipment.
-- Manifests and their items are immutable: no UPDATE or DELETE (refuse_change() is from 001).

CREATE TABLE manifests (
    id                text PRIMARY KEY CHECK (id ~ '^BK-[0-9]{8}-[0-9]{4,}$'),
    day               date NOT NULL,
    day_seq           integer NOT NULL CHECK (day_seq > 0),
    agency_code       text NOT NULL REFERENCES agencies(code),
    post_office_code  text NOT NULL REFERENCES post_offices(code),
    created_by        bigint NOT NULL REFERENCES users(id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (day, day_seq)
);
CREATE INDEX manifests_agency ON manifests (agency_code, created_at DESC);
CREATE INDEX manifests_post_office ON manifests (post_office_code, created_at DESC);

CREATE TABLE manifest_items (
    manifest_id   text NOT NULL REFERENCES manifests(id),
    position      integer NOT NULL CHECK (position > 0),
    shipment_id   bigint NOT NULL REFERENCES shipments(id),
    PRIMARY KEY (manifest_id, position)
);
CREATE UNIQUE INDEX manifest_items_one_manifest ON manifest_items (shipment_id);

CREATE TRIGGER manifests_immutable BEFORE UPDATE OR DELETE ON manifests
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER manifest_items_immutable BEFORE UPDATE OR DELETE ON manifest_items
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
