-- kind: procedure
-- name: "ingest"."refresh_views"()

-- create (one transaction)
CREATE OR REPLACE PROCEDURE "ingest"."refresh_views"()
AS $$
BEGIN
    REFRESH MATERIALIZED VIEW "ingest"."events_per_minute" CASCADE;
    REFRESH MATERIALIZED VIEW "cdc"."salesdb_customer_changes";
    COMMIT;
    CALL "cdc"."apply_customer"();
    COMMIT;
END;
$$ LANGUAGE plpgsql
SECURITY DEFINER;
GRANT EXECUTE ON PROCEDURE "ingest"."refresh_views"() TO ROLE "haina_refresh";

-- update (one transaction)
CREATE OR REPLACE PROCEDURE "ingest"."refresh_views"()
AS $$
BEGIN
    REFRESH MATERIALIZED VIEW "ingest"."events_per_minute" CASCADE;
    REFRESH MATERIALIZED VIEW "cdc"."salesdb_customer_changes";
    COMMIT;
    CALL "cdc"."apply_customer"();
    COMMIT;
END;
$$ LANGUAGE plpgsql
SECURITY DEFINER;
GRANT EXECUTE ON PROCEDURE "ingest"."refresh_views"() TO ROLE "haina_refresh";

-- drop
DROP PROCEDURE IF EXISTS "ingest"."refresh_views"();

-- exists
SELECT 1 FROM pg_proc_info p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'ingest' AND p.proname = 'refresh_views';
