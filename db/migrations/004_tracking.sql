-- Public tracking: per-client lookup counters shared by every `postal serve` process.
-- Fixed windows: one row per (client, window start); the client is a keyed hash of its
-- address (never the address itself), so the table holds no personal data.

CREATE TABLE track_rate_hits (
    client_hash   bytea NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL CHECK (hits >= 0),
    PRIMARY KEY (client_hash, window_start)
);
CREATE INDEX track_rate_hits_window ON track_rate_hits (window_start);
