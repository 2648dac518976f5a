-- The delivery ledger: one row per (week, tenant, channel, report checksum, generation).
-- A normal delivery reuses the newest generation (a sent row means: nothing to do); `risk-report resend`
-- adds generation + 1, recording who forced it. No secret is ever written here.

CREATE TABLE IF NOT EXISTS risk.deliveries (
    id                  bigserial   PRIMARY KEY,
    week                date        NOT NULL,
    tenant              text        NOT NULL,
    channel             text        NOT NULL CHECK (channel IN ('email', 'slack')),
    checksum            text        NOT NULL,   -- sha256 of the report file
    generation          integer     NOT NULL DEFAULT 0,
    status              text        NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    destination         text,                   -- smtp | outbox | webhook | webhook+upload
    attempts            integer     NOT NULL DEFAULT 0,
    provider_message_id text,                   -- e-mail Message-ID, Slack file id, or outbox path
    error               text,
    forced_by           text,                   -- who asked for a re-send (generation > 0)
    run_id              text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz,
    UNIQUE (week, tenant, channel, checksum, generation)
);

CREATE INDEX IF NOT EXISTS deliveries_week_idx ON risk.deliveries (week, tenant);
