-- kind: materialized-view
-- name: "cdc"."salesdb_customer_changes"

-- definition (a change replaces the object)
SORTKEY(kafka_partition, kafka_offset)
AS
SELECT
    kafka_partition,
    kafka_offset,
    kafka_timestamp_type,
    kafka_timestamp,
    kafka_key,
    refresh_time,
    CASE WHEN CAN_JSON_PARSE(kafka_value) THEN JSON_PARSE(kafka_value) END AS payload,
    CASE WHEN NOT CAN_JSON_PARSE(kafka_value) THEN kafka_value END AS failed_payload
FROM "cdc_msk"."Sales-DB.salesdb.CUSTOMER"
ON CLUSTER 'arn:aws:kafka:us-east-1:123456789012:cluster/haina-staging-cdc/bf45509b-ccc7-7213-5259-f599a929526b'

-- create (one transaction)
CREATE MATERIALIZED VIEW "cdc"."salesdb_customer_changes"
SORTKEY(kafka_partition, kafka_offset)
AUTO REFRESH NO
AS
SELECT
    kafka_partition,
    kafka_offset,
    kafka_timestamp_type,
    kafka_timestamp,
    kafka_key,
    refresh_time,
    CASE WHEN CAN_JSON_PARSE(kafka_value) THEN JSON_PARSE(kafka_value) END AS payload,
    CASE WHEN NOT CAN_JSON_PARSE(kafka_value) THEN kafka_value END AS failed_payload
FROM "cdc_msk"."Sales-DB.salesdb.CUSTOMER";
DELETE FROM "cdc"."apply_offsets" WHERE target_table = 'customer';

-- update (one transaction)
ALTER MATERIALIZED VIEW "cdc"."salesdb_customer_changes" AUTO REFRESH NO;

-- drop
DROP MATERIALIZED VIEW IF EXISTS "cdc"."salesdb_customer_changes";

-- exists
SELECT 1 FROM svv_mv_info WHERE TRIM(schema_name) = 'cdc' AND TRIM(name) = 'salesdb_customer_changes';
