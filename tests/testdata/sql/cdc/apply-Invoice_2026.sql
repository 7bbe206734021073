-- kind: procedure
-- name: "cdc"."apply_Invoice 2026"()

-- create (one transaction)
CREATE OR REPLACE PROCEDURE "cdc"."apply_Invoice 2026"()
AS $$
DECLARE
    changes_read BIGINT;
    tombstones BIGINT;
    malformed BIGINT;
    changes BIGINT;
    upserts BIGINT;
    deletes BIGINT;
BEGIN
    -- R10: one run at a time; a second waits here, then finds the moved watermark.
    LOCK "cdc"."apply_offsets";
    -- R1: the messages past each partition's watermark (none yet: from the start).
    DROP TABLE IF EXISTS haina_apply_new;
    CREATE TEMP TABLE haina_apply_new AS
    SELECT l.kafka_partition, l.kafka_offset, l.payload, l.failed_payload
    FROM "cdc"."billing_invoice$2026_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'Invoice 2026' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
    -- R4, R3: change events with their op, key and after image; anything else is malformed.
    DROP TABLE IF EXISTS haina_apply_changes;
    CREATE TEMP TABLE haina_apply_changes AS
    SELECT kafka_partition, kafka_offset, op, after_image,
        "InvoiceNo",
        "Line",
        ROW_NUMBER() OVER (PARTITION BY "InvoiceNo", "Line" ORDER BY kafka_offset DESC, kafka_partition DESC) AS recency
    FROM (
        SELECT n.kafka_partition, n.kafka_offset, CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END AS op, n.payload."after" AS after_image,
            CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
                THEN CAST(n.payload."before"."InvoiceNo" AS BIGINT)
                ELSE CAST(n.payload."after"."InvoiceNo" AS BIGINT)
            END AS "InvoiceNo",
            CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
                THEN CAST(n.payload."before"."Line" AS SMALLINT)
                ELSE CAST(n.payload."after"."Line" AS SMALLINT)
            END AS "Line"
        FROM haina_apply_new n
        WHERE n.payload IS NOT NULL AND JSON_TYPEOF(n.payload) = 'object'
    ) e
    WHERE op IN ('c', 'u', 'r', 'd')
        AND (op = 'd' OR JSON_TYPEOF(after_image) = 'object')
        AND "InvoiceNo" IS NOT NULL
        AND "Line" IS NOT NULL;
    -- R2, R3: what was skipped.
    SELECT INTO changes_read, tombstones
        COUNT(*), COUNT(CASE WHEN payload IS NULL AND failed_payload IS NULL THEN 1 END)
    FROM haina_apply_new;
    SELECT INTO changes COUNT(*) FROM haina_apply_changes;
    malformed := changes_read - tombstones - changes;
    -- R5: the latest change of each key.
    DROP TABLE IF EXISTS haina_apply_latest;
    CREATE TEMP TABLE haina_apply_latest AS
    SELECT * FROM haina_apply_changes WHERE recency = 1;
    SELECT INTO upserts, deletes
        COUNT(CASE WHEN op <> 'd' THEN 1 END), COUNT(CASE WHEN op = 'd' THEN 1 END)
    FROM haina_apply_latest;
    -- R7, R8: remove every touched key, then insert the ones whose latest change is c, u or r.
    DELETE FROM "cdc"."Invoice 2026"
    USING haina_apply_latest s
    WHERE "cdc"."Invoice 2026"."InvoiceNo" = s."InvoiceNo" AND "cdc"."Invoice 2026"."Line" = s."Line";
    INSERT INTO "cdc"."Invoice 2026" ("InvoiceNo", "Line", "Line Total", "Paid", "Rate", "Due", "At", "Issued", "Note", "Code", "Meta")
    SELECT
        CAST(s.after_image."InvoiceNo" AS BIGINT),
        CAST(s.after_image."Line" AS SMALLINT),
        CASE WHEN JSON_TYPEOF(s.after_image."Line Total") = 'string' THEN CAST(CAST(s.after_image."Line Total" AS VARCHAR(MAX)) AS DECIMAL(12,2)) ELSE CAST(s.after_image."Line Total" AS DECIMAL(12,2)) END,
        CASE JSON_TYPEOF(s.after_image."Paid") WHEN 'boolean' THEN CAST(s.after_image."Paid" AS BOOLEAN) WHEN 'number' THEN CAST(s.after_image."Paid" AS INTEGER) <> 0 END,
        CASE WHEN JSON_TYPEOF(s.after_image."Rate") = 'string' THEN CAST(CAST(s.after_image."Rate" AS VARCHAR(MAX)) AS DOUBLE PRECISION) ELSE CAST(s.after_image."Rate" AS DOUBLE PRECISION) END,
        CASE JSON_TYPEOF(s.after_image."Due") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."Due" AS BIGINT) * INTERVAL '1 day') AS DATE) WHEN 'string' THEN CAST(CAST(s.after_image."Due" AS VARCHAR(MAX)) AS DATE) END,
        CASE JSON_TYPEOF(s.after_image."At") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."At" AS BIGINT) * INTERVAL '0.001 second') AS TIME) WHEN 'string' THEN CAST(CAST(s.after_image."At" AS VARCHAR(MAX)) AS TIME) END,
        CASE JSON_TYPEOF(s.after_image."Issued") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."Issued" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMP) WHEN 'string' THEN CAST(CAST(s.after_image."Issued" AS VARCHAR(MAX)) AS TIMESTAMP) END,
        CASE JSON_TYPEOF(s.after_image."Note") WHEN 'string' THEN CAST(CAST(s.after_image."Note" AS VARCHAR(MAX)) AS VARCHAR(256)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."Note") AS VARCHAR(256)) END,
        CASE JSON_TYPEOF(s.after_image."Code") WHEN 'string' THEN CAST(CAST(s.after_image."Code" AS VARCHAR(MAX)) AS CHAR(3)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."Code") AS CHAR(3)) END,
        CASE WHEN JSON_TYPEOF(s.after_image."Meta") = 'string' AND CAN_JSON_PARSE(CAST(s.after_image."Meta" AS VARCHAR(MAX))) THEN JSON_PARSE(CAST(s.after_image."Meta" AS VARCHAR(MAX))) ELSE s.after_image."Meta" END
    FROM haina_apply_latest s
    WHERE s.op <> 'd';
    -- R9: the watermark moves past everything read, skipped messages included.
    DELETE FROM "cdc"."apply_offsets"
    USING (SELECT DISTINCT kafka_partition FROM haina_apply_new) p
    WHERE "cdc"."apply_offsets".target_table = 'Invoice 2026'
        AND "cdc"."apply_offsets".kafka_partition = p.kafka_partition;
    INSERT INTO "cdc"."apply_offsets" (target_table, kafka_partition, last_offset, applied_at)
    SELECT 'Invoice 2026', kafka_partition, MAX(kafka_offset), GETDATE()
    FROM haina_apply_new
    GROUP BY kafka_partition;
    -- R6, R11: the counts.
    INSERT INTO "cdc"."apply_runs" (target_table, finished_at, changes_read, upserts, deletes, superseded, tombstones, malformed)
    VALUES ('Invoice 2026', GETDATE(), changes_read, upserts, deletes, changes - upserts - deletes, tombstones, malformed);
    RAISE INFO 'haina apply %: % read, % upserts, % deletes, % superseded, % tombstones, % malformed',
        'Invoice 2026', changes_read, upserts, deletes, changes - upserts - deletes, tombstones, malformed;
    DROP TABLE haina_apply_latest;
    DROP TABLE haina_apply_changes;
    DROP TABLE haina_apply_new;
END;
$$ LANGUAGE plpgsql
SECURITY DEFINER
SET enable_case_sensitive_super_attribute TO true;
GRANT EXECUTE ON PROCEDURE "cdc"."apply_Invoice 2026"() TO ROLE "haina_cdc_apply";

-- update (one transaction)
CREATE OR REPLACE PROCEDURE "cdc"."apply_Invoice 2026"()
AS $$
DECLARE
    changes_read BIGINT;
    tombstones BIGINT;
    malformed BIGINT;
    changes BIGINT;
    upserts BIGINT;
    deletes BIGINT;
BEGIN
    -- R10: one run at a time; a second waits here, then finds the moved watermark.
    LOCK "cdc"."apply_offsets";
    -- R1: the messages past each partition's watermark (none yet: from the start).
    DROP TABLE IF EXISTS haina_apply_new;
    CREATE TEMP TABLE haina_apply_new AS
    SELECT l.kafka_partition, l.kafka_offset, l.payload, l.failed_payload
    FROM "cdc"."billing_invoice$2026_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'Invoice 2026' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
    -- R4, R3: change events with their op, key and after image; anything else is malformed.
    DROP TABLE IF EXISTS haina_apply_changes;
    CREATE TEMP TABLE haina_apply_changes AS
    SELECT kafka_partition, kafka_offset, op, after_image,
        "InvoiceNo",
        "Line",
        ROW_NUMBER() OVER (PARTITION BY "InvoiceNo", "Line" ORDER BY kafka_offset DESC, kafka_partition DESC) AS recency
    FROM (
        SELECT n.kafka_partition, n.kafka_offset, CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END AS op, n.payload."after" AS after_image,
            CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
                THEN CAST(n.payload."before"."InvoiceNo" AS BIGINT)
                ELSE CAST(n.payload."after"."InvoiceNo" AS BIGINT)
            END AS "InvoiceNo",
            CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
                THEN CAST(n.payload."before"."Line" AS SMALLINT)
                ELSE CAST(n.payload."after"."Line" AS SMALLINT)
            END AS "Line"
        FROM haina_apply_new n
        WHERE n.payload IS NOT NULL AND JSON_TYPEOF(n.payload) = 'object'
    ) e
    WHERE op IN ('c', 'u', 'r', 'd')
        AND (op = 'd' OR JSON_TYPEOF(after_image) = 'object')
        AND "InvoiceNo" IS NOT NULL
        AND "Line" IS NOT NULL;
    -- R2, R3: what was skipped.
    SELECT INTO changes_read, tombstones
        COUNT(*), COUNT(CASE WHEN payload IS NULL AND failed_payload IS NULL THEN 1 END)
    FROM haina_apply_new;
    SELECT INTO changes COUNT(*) FROM haina_apply_changes;
    malformed := changes_read - tombstones - changes;
    -- R5: the latest change of each key.
    DROP TABLE IF EXISTS haina_apply_latest;
    CREATE TEMP TABLE haina_apply_latest AS
    SELECT * FROM haina_apply_changes WHERE recency = 1;
    SELECT INTO upserts, deletes
        COUNT(CASE WHEN op <> 'd' THEN 1 END), COUNT(CASE WHEN op = 'd' THEN 1 END)
    FROM haina_apply_latest;
    -- R7, R8: remove every touched key, then insert the ones whose latest change is c, u or r.
    DELETE FROM "cdc"."Invoice 2026"
    USING haina_apply_latest s
    WHERE "cdc"."Invoice 2026"."InvoiceNo" = s."InvoiceNo" AND "cdc"."Invoice 2026"."Line" = s."Line";
    INSERT INTO "cdc"."Invoice 2026" ("InvoiceNo", "Line", "Line Total", "Paid", "Rate", "Due", "At", "Issued", "Note", "Code", "Meta")
    SELECT
        CAST(s.after_image."InvoiceNo" AS BIGINT),
        CAST(s.after_image."Line" AS SMALLINT),
        CASE WHEN JSON_TYPEOF(s.after_image."Line Total") = 'string' THEN CAST(CAST(s.after_image."Line Total" AS VARCHAR(MAX)) AS DECIMAL(12,2)) ELSE CAST(s.after_image."Line Total" AS DECIMAL(12,2)) END,
        CASE JSON_TYPEOF(s.after_image."Paid") WHEN 'boolean' THEN CAST(s.after_image."Paid" AS BOOLEAN) WHEN 'number' THEN CAST(s.after_image."Paid" AS INTEGER) <> 0 END,
        CASE WHEN JSON_TYPEOF(s.after_image."Rate") = 'string' THEN CAST(CAST(s.after_image."Rate" AS VARCHAR(MAX)) AS DOUBLE PRECISION) ELSE CAST(s.after_image."Rate" AS DOUBLE PRECISION) END,
        CASE JSON_TYPEOF(s.after_image."Due") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."Due" AS BIGINT) * INTERVAL '1 day') AS DATE) WHEN 'string' THEN CAST(CAST(s.after_image."Due" AS VARCHAR(MAX)) AS DATE) END,
        CASE JSON_TYPEOF(s.after_image."At") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."At" AS BIGINT) * INTERVAL '0.001 second') AS TIME) WHEN 'string' THEN CAST(CAST(s.after_image."At" AS VARCHAR(MAX)) AS TIME) END,
        CASE JSON_TYPEOF(s.after_image."Issued") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."Issued" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMP) WHEN 'string' THEN CAST(CAST(s.after_image."Issued" AS VARCHAR(MAX)) AS TIMESTAMP) END,
        CASE JSON_TYPEOF(s.after_image."Note") WHEN 'string' THEN CAST(CAST(s.after_image."Note" AS VARCHAR(MAX)) AS VARCHAR(256)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."Note") AS VARCHAR(256)) END,
        CASE JSON_TYPEOF(s.after_image."Code") WHEN 'string' THEN CAST(CAST(s.after_image."Code" AS VARCHAR(MAX)) AS CHAR(3)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."Code") AS CHAR(3)) END,
        CASE WHEN JSON_TYPEOF(s.after_image."Meta") = 'string' AND CAN_JSON_PARSE(CAST(s.after_image."Meta" AS VARCHAR(MAX))) THEN JSON_PARSE(CAST(s.after_image."Meta" AS VARCHAR(MAX))) ELSE s.after_image."Meta" END
    FROM haina_apply_latest s
    WHERE s.op <> 'd';
    -- R9: the watermark moves past everything read, skipped messages included.
    DELETE FROM "cdc"."apply_offsets"
    USING (SELECT DISTINCT kafka_partition FROM haina_apply_new) p
    WHERE "cdc"."apply_offsets".target_table = 'Invoice 2026'
        AND "cdc"."apply_offsets".kafka_partition = p.kafka_partition;
    INSERT INTO "cdc"."apply_offsets" (target_table, kafka_partition, last_offset, applied_at)
    SELECT 'Invoice 2026', kafka_partition, MAX(kafka_offset), GETDATE()
    FROM haina_apply_new
    GROUP BY kafka_partition;
    -- R6, R11: the counts.
    INSERT INTO "cdc"."apply_runs" (target_table, finished_at, changes_read, upserts, deletes, superseded, tombstones, malformed)
    VALUES ('Invoice 2026', GETDATE(), changes_read, upserts, deletes, changes - upserts - deletes, tombstones, malformed);
    RAISE INFO 'haina apply %: % read, % upserts, % deletes, % superseded, % tombstones, % malformed',
        'Invoice 2026', changes_read, upserts, deletes, changes - upserts - deletes, tombstones, malformed;
    DROP TABLE haina_apply_latest;
    DROP TABLE haina_apply_changes;
    DROP TABLE haina_apply_new;
END;
$$ LANGUAGE plpgsql
SECURITY DEFINER
SET enable_case_sensitive_super_attribute TO true;
GRANT EXECUTE ON PROCEDURE "cdc"."apply_Invoice 2026"() TO ROLE "haina_cdc_apply";

-- drop
DROP PROCEDURE IF EXISTS "cdc"."apply_Invoice 2026"();

-- exists
SELECT 1 FROM pg_proc_info p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'cdc' AND p.proname = 'apply_Invoice 2026';
