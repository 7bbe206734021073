-- kind: external-schema
-- name: "cdc_msk"

-- definition (a change replaces the object)
FROM KAFKA AUTHENTICATION iam CLUSTER 'arn:aws:kafka:us-east-1:123456789012:cluster/haina-staging-cdc/bf45509b-ccc7-7213-5259-f599a929526b'

-- create (one transaction)
CREATE EXTERNAL SCHEMA IF NOT EXISTS "cdc_msk"
FROM KAFKA
IAM_ROLE default
AUTHENTICATION iam
URI 'b-1.haina-staging-cdc.abc123.c2.kafka.us-east-1.amazonaws.com:9098,b-2.haina-staging-cdc.abc123.c2.kafka.us-east-1.amazonaws.com:9098,b-3.haina-staging-cdc.abc123.c2.kafka.us-east-1.amazonaws.com:9098';

-- update (one transaction)
ALTER EXTERNAL SCHEMA "cdc_msk" URI 'b-1.haina-staging-cdc.abc123.c2.kafka.us-east-1.amazonaws.com:9098,b-2.haina-staging-cdc.abc123.c2.kafka.us-east-1.amazonaws.com:9098,b-3.haina-staging-cdc.abc123.c2.kafka.us-east-1.amazonaws.com:9098';

-- drop
DROP SCHEMA IF EXISTS "cdc_msk";

-- exists
SELECT 1 FROM svv_external_schemas WHERE schemaname = 'cdc_msk';
