-- Performance (issue 16).
-- Tracking throttle: only misses are counted now, and the counters are worth nothing after a crash,
-- so the table needs no WAL (no flush per write). Existing rows are kept.
ALTER TABLE track_rate_hits SET UNLOGGED;
