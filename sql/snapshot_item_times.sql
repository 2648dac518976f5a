-- Response-time statistics per item over the 90 days before the cut-off, [C - 90 d, C): what the ENGAGEMENT
-- domain's per-item rapid-guess thresholds are made of (docs/metrics.md: ENGAGEMENT). Aggregated here, so the
-- snapshot holds one row per item instead of 90 days of presentations.
-- Counted: answered presentations (outcome correct or incorrect once trimmed and lower-cased, as the snapshot
-- reads outcomes) with a valid response time (not NULL, not negative), by the organisation's students; a
-- student_id that another organisation also uses is left out, as in snapshot_presentations.sql.
-- Parameters, bound as settings risk.<name> (snapshot/queries.py): org_id, response_time_start, cutoff.
SELECT p.item_id,
       count(*)::bigint AS n_timed,
       sum(p.response_time_ms)::bigint AS sum_response_time_ms
FROM item_presentations AS p
JOIN students AS s ON s.student_id = p.student_id
WHERE s.org_id = current_setting('risk.org_id')::bigint
  AND NOT EXISTS (SELECT 1 FROM students AS other
                  WHERE other.student_id = s.student_id
                    AND other.org_id <> current_setting('risk.org_id')::bigint)  -- docs/snapshot.md: Query plans
  AND p.presented_at >= current_setting('risk.response_time_start')::timestamptz
  AND p.presented_at < current_setting('risk.cutoff')::timestamptz
  AND lower(btrim(p.outcome, E' \t\n\r\f\v')) IN ('correct', 'incorrect')
  AND p.response_time_ms >= 0
GROUP BY p.item_id
ORDER BY p.item_id;
