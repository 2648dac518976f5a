-- The tenant's instructional dates (local dates) in [C_date - 28, C_date).
-- Parameters, bound as settings risk.<name> (snapshot/queries.py): org_id, history_start_date, cutoff_date.
SELECT d.school_date
FROM school_days AS d
WHERE d.org_id = current_setting('risk.org_id')::bigint
  AND d.school_date >= current_setting('risk.history_start_date')::date
  AND d.school_date < current_setting('risk.cutoff_date')::date
ORDER BY d.school_date;
