-- Issue 16: postal_fold() 18 times cheaper, and closer to its Python twin.
--
-- Migration 016 folded with translate() over a table of 600 letters and marks. PostgreSQL's translate
-- walks that whole table for every character of the input that is not in it (every ASCII letter and
-- digit), so one shipment's search_text cost about 185 microseconds of database CPU: on every INSERT
-- into shipments, and 190 of the 200 seconds bench.scale took to COPY 1,000,000 shipments.
--
-- Now it does what postal.domain.search.fold does: đ/Đ → d, NFD, combining marks U+0300–U+036F
-- dropped, lower case (about 10 microseconds). On every character below U+01E2, which covers
-- Vietnamese, ASCII and Latin-1, the result is the same as before; beyond it the new form decomposes
-- more (Ǣ → æ, the Ångström sign → a, Greek and Cyrillic accents, Hangul syllables) as Python does.
-- search_text is GENERATED ... STORED, so rows that held such a character are re-folded below. The old
-- fold turned Vietnamese text into plain ASCII and left every character it did not know in place, so
-- a row whose search_text is all ASCII cannot change (a test checks this for every code point).

CREATE OR REPLACE FUNCTION postal_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(regexp_replace(normalize(translate(value, 'Đđ', 'Dd'), NFD), '[\u0300-\u036f]', '', 'g')) $$;

UPDATE shipments SET citizen_name = citizen_name WHERE search_text ~ '[^\x01-\x7f]';
