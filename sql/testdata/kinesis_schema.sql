-- kind: external-schema
-- name: "kds"

-- create (one transaction)
CREATE EXTERNAL SCHEMA IF NOT EXISTS "kds"
FROM KINESIS
IAM_ROLE default;

-- update (one transaction)

-- drop
DROP SCHEMA IF EXISTS "kds";

-- exists
SELECT 1 FROM svv_external_schemas WHERE schemaname = 'kds';
