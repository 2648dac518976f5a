-- θ estimates of the counted students in the history window [C - 28 d, C).
-- Parameters: org_id, week_start, cutoff_date, history_start, cutoff.
SELECT t.estimate_id,
       t.student_id,
       t.estimated_at,
       t.theta,
       t.se
FROM theta_estimates AS t
JOIN students AS s ON s.student_id = t.student_id
WHERE s.org_id = %(org_id)s
  AND s.enrolled_on < %(cutoff_date)s
  AND (s.withdrawn_on IS NULL OR s.withdrawn_on > %(week_start)s)
  AND t.estimated_at >= %(history_start)s
  AND t.estimated_at < %(cutoff)s
ORDER BY t.student_id, t.estimated_at, t.estimate_id;
