-- The staff search reads the folded search_text column (016) and its trigram index; the two trigram indexes
-- 015 made on citizen_name and dossier_code are no longer used by any query, and every write to shipments
-- (each scan's status change) paid for them.
DROP INDEX IF EXISTS shipments_name_trgm;
DROP INDEX IF EXISTS shipments_dossier_trgm;
