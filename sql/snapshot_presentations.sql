-- Item presentations of the counted students in the evaluation window [C - 14 d, C),
-- with the item's IRT parameters (NULL when the item has no row in `items`).
-- A student_id that another organisation also uses is left out (snapshot_shared_students.sql counts it):
-- the source's child rows carry no org_id, so they could belong to either school.
-- Parameters, bound as settings risk.<name> (snapshot/queries.py): org_id, week_start, cutoff_date, evaluation_start, cutoff.
SELECT p.presentation_id,
       p.student_id,
       p.session_id,
       p.item_id,
       p.presented_at,
       p.outcome,
       p.response_time_ms,
       (i.item_id IS NOT NULL) AS item_known,
       i.a,
       i.b,
       i.c,
       i.n_options
FROM item_presentations AS p
JOIN students AS s ON s.student_id = p.student_id
LEFT JOIN items AS i ON i.item_id = p.item_id
WHERE s.org_id = current_setting('risk.org_id')::bigint
  AND s.enrolled_on < current_setting('risk.cutoff_date')::date
  AND (s.withdrawn_on IS NULL OR s.withdrawn_on > current_setting('risk.week_start')::date)
  AND NOT EXISTS (SELECT 1 FROM students AS other
                  WHERE other.student_id = s.student_id
                    AND other.org_id <> current_setting('risk.org_id')::bigint)  -- docs/snapshot.md: Query plans
  AND p.presented_at >= current_setting('risk.evaluation_start')::timestamptz
  AND p.presented_at < current_setting('risk.cutoff')::timestamptz
ORDER BY p.student_id, p.presented_at, p.item_id, p.presentation_id;
