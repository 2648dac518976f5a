-- Student ids of the tenant's organisation that another organisation's students also use. Their
-- presentations, θ estimates and attendance carry no org_id and cannot be told apart, so the snapshot
-- leaves these students out and counts them as a data issue instead of mixing two schools' records.
-- Parameters, bound as settings risk.<name> (snapshot/queries.py): org_id.
SELECT s.student_id, min(other.org_id) AS other_org_id
FROM students AS s
JOIN students AS other ON other.student_id = s.student_id AND other.org_id <> s.org_id
WHERE s.org_id = current_setting('risk.org_id')::bigint
GROUP BY s.student_id
ORDER BY s.student_id;
