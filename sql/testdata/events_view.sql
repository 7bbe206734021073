-- kind: view
-- name: "ingest"."events"

-- create (one transaction)
CREATE VIEW "ingest"."events" AS
SELECT
    CAST(payload."event_time" AS VARCHAR(64))::TIMESTAMPTZ AS event_time,
    CAST(payload."event_name" AS VARCHAR(64)) AS event_name,
    CAST(payload."user" AS INTEGER) AS "user",
    CAST(payload."event_id" AS VARCHAR(36)) AS event_id,
    approximate_arrival_timestamp,
    partition_key
FROM "ingest"."events_landing"
WHERE payload IS NOT NULL;

-- update (one transaction)
DROP VIEW IF EXISTS "ingest"."events";
CREATE VIEW "ingest"."events" AS
SELECT
    CAST(payload."event_time" AS VARCHAR(64))::TIMESTAMPTZ AS event_time,
    CAST(payload."event_name" AS VARCHAR(64)) AS event_name,
    CAST(payload."user" AS INTEGER) AS "user",
    CAST(payload."event_id" AS VARCHAR(36)) AS event_id,
    approximate_arrival_timestamp,
    partition_key
FROM "ingest"."events_landing"
WHERE payload IS NOT NULL;

-- drop
DROP VIEW IF EXISTS "ingest"."events";

-- exists
SELECT 1 FROM svv_tables WHERE table_schema = 'ingest' AND table_name = 'events' AND table_type = 'VIEW';
