-- The tenant's organisation row: confirms org_id exists and gives its name.
-- Parameters: org_id.
SELECT o.org_id, o.name
FROM organizations AS o
WHERE o.org_id = %(org_id)s;
