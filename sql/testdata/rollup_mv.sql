-- kind: materialized-view
-- name: "ingest"."gender_per_minute"

-- definition (a change replaces the object)
AS
SELECT
    DATE_TRUNC('minute', approximate_arrival_timestamp) AS minute,
    CAST(payload."gender" AS VARCHAR(256)) AS "gender",
    COUNT(*) AS events
FROM "ingest"."events_landing"
WHERE payload IS NOT NULL
GROUP BY DATE_TRUNC('minute', approximate_arrival_timestamp), CAST(payload."gender" AS VARCHAR(256))

-- create (one transaction)
CREATE MATERIALIZED VIEW "ingest"."gender_per_minute"
AUTO REFRESH NO
AS
SELECT
    DATE_TRUNC('minute', approximate_arrival_timestamp) AS minute,
    CAST(payload."gender" AS VARCHAR(256)) AS "gender",
    COUNT(*) AS events
FROM "ingest"."events_landing"
WHERE payload IS NOT NULL
GROUP BY DATE_TRUNC('minute', approximate_arrival_timestamp), CAST(payload."gender" AS VARCHAR(256));

-- update (one transaction)
ALTER MATERIALIZED VIEW "ingest"."gender_per_minute" AUTO REFRESH NO;

-- drop
DROP MATERIALIZED VIEW IF EXISTS "ingest"."gender_per_minute";

-- exists
SELECT 1 FROM svv_mv_info WHERE TRIM(schema_name) = 'ingest' AND TRIM(name) = 'gender_per_minute';
