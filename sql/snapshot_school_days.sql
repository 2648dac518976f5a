-- The tenant's instructional dates (local dates) in [C_date - 28, C_date).
-- Parameters: org_id, history_start_date, cutoff_date.
SELECT d.school_date
FROM school_days AS d
WHERE d.org_id = %(org_id)s
  AND d.school_date >= %(history_start_date)s
  AND d.school_date < %(cutoff_date)s
ORDER BY d.school_date;
