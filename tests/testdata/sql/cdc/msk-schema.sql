-- kind: external-schema
-- name: "cdc_msk"

-- definition (a change replaces the object)
FROM MSK AUTHENTICATION iam CLUSTER_ARN 'arn:aws:kafka:us-east-1:123456789012:cluster/haina-staging-cdc/bf45509b-ccc7-7213-5259-f599a929526b'

-- create (one transaction)
CREATE EXTERNAL SCHEMA IF NOT EXISTS "cdc_msk"
FROM MSK
IAM_ROLE default
AUTHENTICATION iam
CLUSTER_ARN 'arn:aws:kafka:us-east-1:123456789012:cluster/haina-staging-cdc/bf45509b-ccc7-7213-5259-f599a929526b';

-- update (one transaction)

-- drop
DROP SCHEMA IF EXISTS "cdc_msk";

-- exists
SELECT 1 FROM svv_external_schemas WHERE schemaname = 'cdc_msk';
