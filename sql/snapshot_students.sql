-- Students counted in report week W (docs/metrics.md: Time): enrolled before the cut-off date and not
-- withdrawn on or before the Monday of W; a student_id another organisation also uses is left out
-- (snapshot_shared_students.sql counts it).
-- Parameters, bound as settings risk.<name> (snapshot/queries.py): org_id, week_start, cutoff_date.
SELECT s.student_id,
       s.display_name,
       s.class_name,
       s.enrolled_on,
       s.withdrawn_on
FROM students AS s
WHERE s.org_id = current_setting('risk.org_id')::bigint
  AND s.enrolled_on < current_setting('risk.cutoff_date')::date
  AND (s.withdrawn_on IS NULL OR s.withdrawn_on > current_setting('risk.week_start')::date)
  AND NOT EXISTS (SELECT 1 FROM students AS other
                  WHERE other.student_id = s.student_id
                    AND other.org_id <> current_setting('risk.org_id')::bigint)  -- docs/snapshot.md: Query plans
ORDER BY s.student_id;
