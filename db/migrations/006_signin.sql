-- Sign-in throttling (SPEC §11) and revocable tokens by prefix.
-- Failed sign-ins per user name and per client address, in fixed windows shared by every process.
-- Both keys are keyed hashes (HMAC with the secret key): the table holds no names or addresses.

CREATE TABLE login_failures (
    scope         text NOT NULL CHECK (scope IN ('user', 'address')),
    key_hash      bytea NOT NULL,
    window_start  timestamptz NOT NULL,
    failures      integer NOT NULL CHECK (failures >= 0),
    PRIMARY KEY (scope, key_hash, window_start)
);
CREATE INDEX login_failures_window ON login_failures (window_start);

-- The first characters of a token ("pst_" + 8), shown to its owner so it can be named in
-- `postal token revoke PREFIX`; 48 bits of a 256-bit token, not enough to use it. NULL for older tokens.
ALTER TABLE api_tokens ADD COLUMN token_prefix text;
CREATE INDEX api_tokens_prefix ON api_tokens (token_prefix) WHERE revoked_at IS NULL;
