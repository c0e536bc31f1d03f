-- Performance (issue 16).
-- Tracking throttle: only misses are counted now, and the counters are worth nothing after a crash,
-- so the table needs no WAL (no flush per write). Existing rows are kept.
ALTER TABLE track_rate_hits SET UNLOGGED;

-- Staff search (`q`: ILIKE '%…%' on the dossier code and the citizen's name) without reading the whole
-- table: trigram indexes, where the server has pg_trgm. The embedded PostgreSQL of pgserver ships
-- without it (nor unaccent): there the same query still works, by a scan of the scope's rows.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX shipments_name_trgm ON shipments USING gin (citizen_name gin_trgm_ops);
        CREATE INDEX shipments_dossier_trgm ON shipments USING gin (dossier_code gin_trgm_ops);
    END IF;
END $$;
