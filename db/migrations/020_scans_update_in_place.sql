-- A scan that keeps the shipment's status (an arrival at an intermediate post office) can update the
-- row in place, a HOT update that writes no index entry, when no index covers a column the scan
-- changes and the row's page has room. Every scan sets updated_at, and the retention purge's index
-- keyed on coalesce(completed_at, updated_at): that one expression made every scan write an entry
-- in each of the table's indexes (the trigram index of the staff search among them).
-- Every move to a terminal status stamps completed_at (the scan and staff paths both do), so the purge
-- keys on completed_at alone; a terminal row without one (written by hand) gets its updated_at.
UPDATE shipments SET completed_at = updated_at
    WHERE completed_at IS NULL AND status IN ('cancelled', 'delivered', 'returned');
DROP INDEX shipments_purge_due;
CREATE INDEX shipments_purge_due ON shipments (completed_at, id)
    WHERE purged_at IS NULL AND status IN ('cancelled', 'delivered', 'returned');
-- Room on each page for the new versions of its rows (new and rewritten pages; the default is 100).
ALTER TABLE shipments SET (fillfactor = 90);
