-- kind: materialized-view
-- name: "ingest"."events_landing"

-- definition (a change replaces the object)
DISTKEY(partition_key)
SORTKEY(approximate_arrival_timestamp)
AS
SELECT
    approximate_arrival_timestamp,
    partition_key,
    shard_id,
    sequence_number,
    refresh_time,
    CASE WHEN CAN_JSON_PARSE(kinesis_data) THEN JSON_PARSE(kinesis_data) END AS payload,
    CASE WHEN NOT CAN_JSON_PARSE(kinesis_data) THEN kinesis_data END AS failed_payload
FROM "kds"."App.Events-1"

-- create (one transaction)
CREATE MATERIALIZED VIEW "ingest"."events_landing"
DISTKEY(partition_key)
SORTKEY(approximate_arrival_timestamp)
AUTO REFRESH YES
AS
SELECT
    approximate_arrival_timestamp,
    partition_key,
    shard_id,
    sequence_number,
    refresh_time,
    CASE WHEN CAN_JSON_PARSE(kinesis_data) THEN JSON_PARSE(kinesis_data) END AS payload,
    CASE WHEN NOT CAN_JSON_PARSE(kinesis_data) THEN kinesis_data END AS failed_payload
FROM "kds"."App.Events-1";

-- update (one transaction)
ALTER MATERIALIZED VIEW "ingest"."events_landing" AUTO REFRESH YES;

-- drop
DROP MATERIALIZED VIEW IF EXISTS "ingest"."events_landing";

-- exists
SELECT 1 FROM svv_mv_info WHERE TRIM(schema_name) = 'ingest' AND TRIM(name) = 'events_landing';
