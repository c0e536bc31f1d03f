-- Dossier codes (SPEC §11): the agency part of a dossier code is the creating agency's own id, and a
-- dossier has at most one open shipment per direction.

-- The id an agency's dossier codes start with (e.g. 000.00.15.H62). NULL: the agency's own code.
ALTER TABLE agencies ADD COLUMN dossier_agency_id text
    CHECK (dossier_agency_id ~ '^[0-9A-Z]{1,10}(\.[0-9A-Z]{1,10}){1,5}$');

-- Existing agencies keep accepting the codes they have been using: the agency part most of their
-- shipments carry (only when it has the national shape).
UPDATE agencies a SET dossier_agency_id = used.part
FROM (
    SELECT DISTINCT ON (agency_code) agency_code, split_part(dossier_code, '-', 1) AS part
    FROM shipments
    WHERE split_part(dossier_code, '-', 1) ~ '^[0-9A-Z]{1,10}(\.[0-9A-Z]{1,10}){1,5}$'
    GROUP BY agency_code, split_part(dossier_code, '-', 1)
    ORDER BY agency_code, count(*) DESC, split_part(dossier_code, '-', 1)
) used
WHERE used.agency_code = a.code AND NOT a.free_form_dossier_codes;

-- One open (non-terminal) shipment per agency, dossier code and direction; a unique index so that
-- concurrent creates cannot both pass. Delivered, returned and cancelled shipments free the code.
CREATE UNIQUE INDEX shipments_open_dossier_uq ON shipments (agency_code, dossier_code, direction)
    WHERE status NOT IN ('delivered', 'returned', 'cancelled');
