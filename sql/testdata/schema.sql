-- kind: schema
-- name: "ingest"

-- create (one transaction)
CREATE SCHEMA IF NOT EXISTS "ingest";

-- update (one transaction)

-- drop
DROP SCHEMA IF EXISTS "ingest";

-- exists
SELECT 1 FROM pg_namespace WHERE nspname = 'ingest';
