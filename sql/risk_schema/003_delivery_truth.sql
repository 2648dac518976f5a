-- The ledger tells the truth at a glance (docs/delivery.md):
--   sending    a send has started; found again by a later run, it was interrupted (the process died)
--   unknown    an interrupted Slack webhook post: it may or may not be in the channel, an operator decides
--   skipped    the tenant has e-mail switched off (delivery.email.enabled: false)
--   superseded an older generation that a later one (a re-send) delivered
-- attempts counts tries on the wire (SMTP connections, HTTP posts), runs the runs that worked on the row.

ALTER TABLE risk.deliveries DROP CONSTRAINT IF EXISTS deliveries_status_check;
ALTER TABLE risk.deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'skipped', 'superseded'));
ALTER TABLE risk.deliveries ADD COLUMN IF NOT EXISTS runs integer NOT NULL DEFAULT 0;
ALTER TABLE risk.deliveries ADD COLUMN IF NOT EXISTS started_at timestamptz;
COMMENT ON COLUMN risk.deliveries.checksum IS 'the report''s content_id (summary.json)';
COMMENT ON COLUMN risk.deliveries.attempts IS 'tries on the wire: SMTP connections, HTTP posts';

-- One row per e-mail recipient (to, cc and bcc) of a ledger row: a retry goes only to those not yet sent.
CREATE TABLE IF NOT EXISTS risk.delivery_recipients (
    delivery_id bigint      NOT NULL REFERENCES risk.deliveries (id) ON DELETE CASCADE,
    address     text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('sent', 'refused')),
    reply       text,                   -- the server's reply to a refused recipient
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_id, address)
);
