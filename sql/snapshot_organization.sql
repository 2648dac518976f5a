-- The tenant's organisation row: confirms org_id exists and gives its name.
-- Parameters, bound as settings risk.<name> (snapshot/queries.py): org_id.
SELECT o.org_id, o.name
FROM organizations AS o
WHERE o.org_id = current_setting('risk.org_id')::bigint;
