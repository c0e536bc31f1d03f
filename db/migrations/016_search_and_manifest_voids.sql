-- Issue 14: searching the staff list at scale, and voiding a mistaken manifest.
--
-- Search (SPEC §5 `q`: case- and accent-insensitive, partial): `shipments.search_text` is generated
-- from the name, phone, tracking code, dossier code and street line by postal_fold(), the SQL twin of
-- postal.domain.search.fold (lower case, diacritics removed, đ → d; a test checks they agree). A query
-- is folded by the app and matched word by word with LIKE '%word%'. Where the server ships pg_trgm
-- (any packaged PostgreSQL) a trigram GIN index answers those LIKEs; the embedded pgserver has no
-- pg_trgm, so there the same query is a sequential scan (fine for a developer's few thousand rows).
--
-- Manifest voids: manifests and their items stay immutable. A void is a new row in manifest_voids;
-- "a shipment is on at most one live manifest" moves from the unique index on manifest_items to
-- manifest_claims (shipment_id primary key), whose rows a void deletes so the items can be listed again.

CREATE FUNCTION postal_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(translate(value,
        'ĐđÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ̴̵̶̷̸̡̢̧̨̛̖̗̘̙̜̝̞̟̠̣̤̥̦̩̪̫̬̭̮̯̰̱̲̳̹̺̻̼͇͈͉͍͎͓͔͕͖͙͚̀́̂̃̄̅̆̇̈̉̊̋̌̍̎̏̐̑̒̓̔̽̾̿̀́͂̓̈́͆͊͋͌͐͑͒͗͛ͣͤͥͦͧͨͩͪͫͬͭͮͯ̕̚͘͜͟͢͝͞͠͡ͅ',
        'ddaaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyyaabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwyaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy')) $$;

ALTER TABLE shipments ADD COLUMN search_text text GENERATED ALWAYS AS (
    postal_fold(citizen_name || ' ' || citizen_phone || ' ' || tracking_code || ' ' || dossier_code
                || ' ' || address_line)
) STORED;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXECUTE 'CREATE INDEX shipments_search_trgm ON shipments USING gin (search_text gin_trgm_ops)';
    END IF;
END
$$;

CREATE TABLE manifest_voids (
    manifest_id  text PRIMARY KEY REFERENCES manifests(id),
    reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    voided_by    bigint NOT NULL REFERENCES users(id),
    voided_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER manifest_voids_immutable BEFORE UPDATE OR DELETE ON manifest_voids
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE manifest_claims (
    shipment_id  bigint PRIMARY KEY REFERENCES shipments(id),
    manifest_id  text NOT NULL REFERENCES manifests(id)
);
CREATE INDEX manifest_claims_manifest ON manifest_claims (manifest_id);
INSERT INTO manifest_claims (shipment_id, manifest_id) SELECT shipment_id, manifest_id FROM manifest_items;

DROP INDEX manifest_items_one_manifest;
CREATE INDEX manifest_items_shipment ON manifest_items (shipment_id);

-- Print history says which paper a slip went on (a6, a4, 100x150); NULL for older rows and documents
-- with one fixed format (pickup slip, manifest).
ALTER TABLE print_log ADD COLUMN format text CHECK (format IN ('a6', 'a4', '100x150'));
