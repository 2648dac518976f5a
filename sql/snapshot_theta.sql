-- θ estimates of the counted students in the history window [C - 28 d, C).
-- A student_id that another organisation also uses is left out (snapshot_shared_students.sql counts it):
-- the source's child rows carry no org_id, so they could belong to either school.
-- Parameters, bound as settings risk.<name> (snapshot/queries.py): org_id, week_start, cutoff_date, history_start, cutoff.
SELECT t.estimate_id,
       t.student_id,
       t.estimated_at,
       t.theta,
       t.se
FROM theta_estimates AS t
JOIN students AS s ON s.student_id = t.student_id
WHERE s.org_id = current_setting('risk.org_id')::bigint
  AND s.enrolled_on < current_setting('risk.cutoff_date')::date
  AND (s.withdrawn_on IS NULL OR s.withdrawn_on > current_setting('risk.week_start')::date)
  AND NOT EXISTS (SELECT 1 FROM students AS other
                  WHERE other.student_id = s.student_id
                    AND other.org_id <> current_setting('risk.org_id')::bigint)  -- docs/snapshot.md: Query plans
  AND t.estimated_at >= current_setting('risk.history_start')::timestamptz
  AND t.estimated_at < current_setting('risk.cutoff')::timestamptz
ORDER BY t.student_id, t.estimated_at, t.estimate_id;
