-- Attendance records of the counted students (local dates) in [C_date - 28, C_date).
-- A student_id that another organisation also uses is left out (snapshot_shared_students.sql counts it):
-- the source's child rows carry no org_id, so they could belong to either school.
-- Parameters, bound as settings risk.<name> (snapshot/queries.py): org_id, week_start, cutoff_date, history_start_date.
SELECT a.student_id,
       a.school_date,
       a.status
FROM attendance AS a
JOIN students AS s ON s.student_id = a.student_id
WHERE s.org_id = current_setting('risk.org_id')::bigint
  AND s.enrolled_on < current_setting('risk.cutoff_date')::date
  AND (s.withdrawn_on IS NULL OR s.withdrawn_on > current_setting('risk.week_start')::date)
  AND NOT EXISTS (SELECT 1 FROM students AS other
                  WHERE other.student_id = s.student_id
                    AND other.org_id <> current_setting('risk.org_id')::bigint)  -- docs/snapshot.md: Query plans
  AND a.school_date >= current_setting('risk.history_start_date')::date
  AND a.school_date < current_setting('risk.cutoff_date')::date
ORDER BY a.student_id, a.school_date;
