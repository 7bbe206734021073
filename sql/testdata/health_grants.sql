-- kind: grant
-- name: health reads for "haina_refresh"

-- create (one transaction)
GRANT USAGE ON SCHEMA "cdc" TO ROLE "haina_refresh";
GRANT SELECT ON "ingest"."events_landing", "cdc"."salesdb.CUSTOMER_changes", "cdc"."apply_offsets", "cdc"."apply_runs", "cdc"."apply_rejects" TO ROLE "haina_refresh";
GRANT ROLE "sys:monitor" TO ROLE "haina_refresh";

-- update (one transaction)
GRANT USAGE ON SCHEMA "cdc" TO ROLE "haina_refresh";
GRANT SELECT ON "ingest"."events_landing", "cdc"."salesdb.CUSTOMER_changes", "cdc"."apply_offsets", "cdc"."apply_runs", "cdc"."apply_rejects" TO ROLE "haina_refresh";
GRANT ROLE "sys:monitor" TO ROLE "haina_refresh";

-- drop
REVOKE ROLE "sys:monitor" FROM ROLE "haina_refresh";
REVOKE SELECT ON "ingest"."events_landing", "cdc"."salesdb.CUSTOMER_changes", "cdc"."apply_offsets", "cdc"."apply_runs", "cdc"."apply_rejects" FROM ROLE "haina_refresh";
REVOKE USAGE ON SCHEMA "cdc" FROM ROLE "haina_refresh";

-- exists
SELECT 1 FROM svv_relation_privileges WHERE namespace_name = 'ingest' AND relation_name = 'events_landing' AND identity_name = 'haina_refresh' AND privilege_type = 'SELECT';
