-- A Slack delivery has two parts, the webhook message and the uploaded report file, each with its own outcome:
-- a run retries only the part that was not delivered, so a failed upload never posts the message again.
--   sending  the part's request was about to go out; found again by a later run, its process died
--   sent     delivered (provider_id: Slack's file id for the file)
--   failed   not delivered (refused, or the connection failed before the request was sent): retried
--   unknown  the request went out and no answer came: it may be in the channel, it is not sent again blindly

CREATE TABLE IF NOT EXISTS risk.delivery_parts (
    delivery_id bigint      NOT NULL REFERENCES risk.deliveries (id) ON DELETE CASCADE,
    part        text        NOT NULL CHECK (part IN ('message', 'file')),
    status      text        NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'unknown')),
    provider_id text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_id, part)
);

-- A webhook post interrupted before this file existed is still an interrupted message.
INSERT INTO risk.delivery_parts (delivery_id, part, status)
SELECT id, 'message', 'sending' FROM risk.deliveries
WHERE channel = 'slack' AND status = 'sending' AND destination LIKE 'webhook%'
ON CONFLICT DO NOTHING;
