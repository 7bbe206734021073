-- kind: schema
-- name: "cdc"

-- create (one transaction)
CREATE SCHEMA IF NOT EXISTS "cdc";

-- update (one transaction)

-- drop
DROP SCHEMA IF EXISTS "cdc";

-- exists
SELECT 1 FROM pg_namespace WHERE nspname = 'cdc';
