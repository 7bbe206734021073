-- kind: procedure
-- name: "cdc"."apply_Invoice 2026"()

-- create (one transaction)
CREATE OR REPLACE PROCEDURE "cdc"."apply_Invoice 2026"()
AS $$
DECLARE
    v_target VARCHAR(127) := 'Invoice 2026';
    v_read BIGINT;
    v_tombstones BIGINT;
    v_malformed BIGINT;
    v_changes BIGINT;
    v_upserts BIGINT;
    v_deletes BIGINT;
    v_superseded BIGINT;
    v_unfit BIGINT;
BEGIN
    -- R10: one run at a time; a second waits here, then finds the moved watermark.
    LOCK "cdc"."apply_offsets";
    -- R1: the messages past each partition's watermark (none yet: from the start).
    CREATE TEMP TABLE haina_apply_new AS
    SELECT l.kafka_partition, l.kafka_offset, l.payload, l.failed_payload
    FROM "cdc"."billing_invoice$2026_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'Invoice 2026' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
    -- R4: each JSON object's op, after image and key (from "before" for d, else from "after"),
    -- with whether the key's source value was there at all.
    CREATE TEMP TABLE haina_apply_parsed AS
    SELECT n.kafka_partition, n.kafka_offset,
        CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END AS op,
        n.payload."after" AS after_image,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN COALESCE(JSON_TYPEOF(n.payload."before"."InvoiceNo") <> 'null', FALSE)
            ELSE COALESCE(JSON_TYPEOF(n.payload."after"."InvoiceNo") <> 'null', FALSE)
        END AS haina_key_given_0,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN CASE WHEN JSON_TYPEOF(n.payload."before"."InvoiceNo") = 'string' THEN CAST(CAST(n.payload."before"."InvoiceNo" AS VARCHAR(MAX)) AS BIGINT) ELSE CAST(n.payload."before"."InvoiceNo" AS BIGINT) END
            ELSE CASE WHEN JSON_TYPEOF(n.payload."after"."InvoiceNo") = 'string' THEN CAST(CAST(n.payload."after"."InvoiceNo" AS VARCHAR(MAX)) AS BIGINT) ELSE CAST(n.payload."after"."InvoiceNo" AS BIGINT) END
        END AS "InvoiceNo",
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN COALESCE(JSON_TYPEOF(n.payload."before"."Line") <> 'null', FALSE)
            ELSE COALESCE(JSON_TYPEOF(n.payload."after"."Line") <> 'null', FALSE)
        END AS haina_key_given_1,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN CASE WHEN JSON_TYPEOF(n.payload."before"."Line") = 'string' THEN CAST(CAST(n.payload."before"."Line" AS VARCHAR(MAX)) AS SMALLINT) ELSE CAST(n.payload."before"."Line" AS SMALLINT) END
            ELSE CASE WHEN JSON_TYPEOF(n.payload."after"."Line") = 'string' THEN CAST(CAST(n.payload."after"."Line" AS VARCHAR(MAX)) AS SMALLINT) ELSE CAST(n.payload."after"."Line" AS SMALLINT) END
        END AS "Line"
    FROM haina_apply_new n
    WHERE n.payload IS NOT NULL AND JSON_TYPEOF(n.payload) = 'object';
    -- R12: a key value its column type cannot hold fails the run (Redshift turns a failed
    -- SUPER cast into NULL; the change must not pass for malformed and be skipped for good).
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_parsed
    WHERE op IN ('c', 'u', 'r', 'd') AND ((haina_key_given_0 AND "InvoiceNo" IS NULL) OR (haina_key_given_1 AND "Line" IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a key value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R3: change events with their key; anything else is malformed.
    CREATE TEMP TABLE haina_apply_changes AS
    SELECT kafka_partition, kafka_offset, op, after_image,
        "InvoiceNo",
        "Line",
        -- R5: the latest change of each key is the one with the highest offset.
        ROW_NUMBER() OVER (PARTITION BY "InvoiceNo", "Line" ORDER BY kafka_offset DESC, kafka_partition DESC) AS recency
    FROM haina_apply_parsed
    WHERE op IN ('c', 'u', 'r', 'd')
        AND (op = 'd' OR JSON_TYPEOF(after_image) = 'object')
        AND "InvoiceNo" IS NOT NULL
        AND "Line" IS NOT NULL;
    -- R2, R3: what was skipped.
    SELECT INTO v_read, v_tombstones
        COUNT(*), COUNT(CASE WHEN payload IS NULL AND failed_payload IS NULL THEN 1 END)
    FROM haina_apply_new;
    SELECT INTO v_changes COUNT(*) FROM haina_apply_changes;
    v_malformed := v_read - v_tombstones - v_changes;
    -- R5: only the latest change of each key counts.
    CREATE TEMP TABLE haina_apply_latest AS
    SELECT * FROM haina_apply_changes WHERE recency = 1;
    SELECT INTO v_upserts, v_deletes
        COUNT(CASE WHEN op <> 'd' THEN 1 END), COUNT(CASE WHEN op = 'd' THEN 1 END)
    FROM haina_apply_latest;
    -- R6: the rest were superseded.
    v_superseded := v_changes - v_upserts - v_deletes;
    -- R12: any other value its column type cannot hold fails the run too.
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_latest s
    WHERE s.op <> 'd' AND ((COALESCE(JSON_TYPEOF(s.after_image."InvoiceNo") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."InvoiceNo") = 'string' THEN CAST(CAST(s.after_image."InvoiceNo" AS VARCHAR(MAX)) AS BIGINT) ELSE CAST(s.after_image."InvoiceNo" AS BIGINT) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Line") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."Line") = 'string' THEN CAST(CAST(s.after_image."Line" AS VARCHAR(MAX)) AS SMALLINT) ELSE CAST(s.after_image."Line" AS SMALLINT) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Line Total") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."Line Total") = 'string' THEN CAST(CAST(s.after_image."Line Total" AS VARCHAR(MAX)) AS DECIMAL(12,2)) ELSE CAST(s.after_image."Line Total" AS DECIMAL(12,2)) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Paid") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Paid") WHEN 'boolean' THEN CAST(s.after_image."Paid" AS BOOLEAN) WHEN 'number' THEN CAST(s.after_image."Paid" AS INTEGER) <> 0 END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Rate") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."Rate") = 'string' THEN CAST(CAST(s.after_image."Rate" AS VARCHAR(MAX)) AS DOUBLE PRECISION) ELSE CAST(s.after_image."Rate" AS DOUBLE PRECISION) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Due") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Due") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."Due" AS BIGINT) * INTERVAL '1 day') AS DATE) WHEN 'string' THEN CAST(CAST(s.after_image."Due" AS VARCHAR(MAX)) AS DATE) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."At") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."At") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."At" AS BIGINT) * INTERVAL '0.001 second') AS TIME) WHEN 'string' THEN CAST(CAST(s.after_image."At" AS VARCHAR(MAX)) AS TIME) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Issued") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Issued") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."Issued" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMP) WHEN 'string' THEN CAST(CAST(s.after_image."Issued" AS VARCHAR(MAX)) AS TIMESTAMP) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Note") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Note") WHEN 'string' THEN CAST(CAST(s.after_image."Note" AS VARCHAR(MAX)) AS VARCHAR(256)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."Note") AS VARCHAR(256)) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Code") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Code") WHEN 'string' THEN CAST(CAST(s.after_image."Code" AS VARCHAR(MAX)) AS CHAR(3)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."Code") AS CHAR(3)) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Meta") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."Meta") = 'string' AND CAN_JSON_PARSE(CAST(s.after_image."Meta" AS VARCHAR(MAX))) THEN JSON_PARSE(CAST(s.after_image."Meta" AS VARCHAR(MAX))) ELSE s.after_image."Meta" END) IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R7, R8: remove every touched key, then insert the ones whose latest change is c, u or r.
    DELETE FROM "cdc"."Invoice 2026"
    USING haina_apply_latest s
    WHERE "cdc"."Invoice 2026"."InvoiceNo" = s."InvoiceNo" AND "cdc"."Invoice 2026"."Line" = s."Line";
    INSERT INTO "cdc"."Invoice 2026" ("InvoiceNo", "Line", "Line Total", "Paid", "Rate", "Due", "At", "Issued", "Note", "Code", "Meta")
    SELECT
        CASE WHEN JSON_TYPEOF(s.after_image."InvoiceNo") = 'string' THEN CAST(CAST(s.after_image."InvoiceNo" AS VARCHAR(MAX)) AS BIGINT) ELSE CAST(s.after_image."InvoiceNo" AS BIGINT) END,
        CASE WHEN JSON_TYPEOF(s.after_image."Line") = 'string' THEN CAST(CAST(s.after_image."Line" AS VARCHAR(MAX)) AS SMALLINT) ELSE CAST(s.after_image."Line" AS SMALLINT) END,
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
    WHERE target_table = 'Invoice 2026'
        AND kafka_partition IN (SELECT DISTINCT kafka_partition FROM haina_apply_new);
    INSERT INTO "cdc"."apply_offsets" (target_table, kafka_partition, last_offset, applied_at)
    SELECT 'Invoice 2026', kafka_partition, MAX(kafka_offset), GETDATE()
    FROM haina_apply_new
    GROUP BY kafka_partition;
    -- R11: the counts, logged (RAISE takes variables only).
    INSERT INTO "cdc"."apply_runs" (target_table, finished_at, changes_read, upserts, deletes, superseded, tombstones, malformed)
    VALUES ('Invoice 2026', GETDATE(), v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_malformed);
    RAISE INFO 'haina apply %: % read, % upserts, % deletes, % superseded, % tombstones, % malformed',
        v_target, v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_malformed;
    DROP TABLE haina_apply_latest;
    DROP TABLE haina_apply_changes;
    DROP TABLE haina_apply_parsed;
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
    v_target VARCHAR(127) := 'Invoice 2026';
    v_read BIGINT;
    v_tombstones BIGINT;
    v_malformed BIGINT;
    v_changes BIGINT;
    v_upserts BIGINT;
    v_deletes BIGINT;
    v_superseded BIGINT;
    v_unfit BIGINT;
BEGIN
    -- R10: one run at a time; a second waits here, then finds the moved watermark.
    LOCK "cdc"."apply_offsets";
    -- R1: the messages past each partition's watermark (none yet: from the start).
    CREATE TEMP TABLE haina_apply_new AS
    SELECT l.kafka_partition, l.kafka_offset, l.payload, l.failed_payload
    FROM "cdc"."billing_invoice$2026_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'Invoice 2026' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
    -- R4: each JSON object's op, after image and key (from "before" for d, else from "after"),
    -- with whether the key's source value was there at all.
    CREATE TEMP TABLE haina_apply_parsed AS
    SELECT n.kafka_partition, n.kafka_offset,
        CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END AS op,
        n.payload."after" AS after_image,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN COALESCE(JSON_TYPEOF(n.payload."before"."InvoiceNo") <> 'null', FALSE)
            ELSE COALESCE(JSON_TYPEOF(n.payload."after"."InvoiceNo") <> 'null', FALSE)
        END AS haina_key_given_0,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN CASE WHEN JSON_TYPEOF(n.payload."before"."InvoiceNo") = 'string' THEN CAST(CAST(n.payload."before"."InvoiceNo" AS VARCHAR(MAX)) AS BIGINT) ELSE CAST(n.payload."before"."InvoiceNo" AS BIGINT) END
            ELSE CASE WHEN JSON_TYPEOF(n.payload."after"."InvoiceNo") = 'string' THEN CAST(CAST(n.payload."after"."InvoiceNo" AS VARCHAR(MAX)) AS BIGINT) ELSE CAST(n.payload."after"."InvoiceNo" AS BIGINT) END
        END AS "InvoiceNo",
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN COALESCE(JSON_TYPEOF(n.payload."before"."Line") <> 'null', FALSE)
            ELSE COALESCE(JSON_TYPEOF(n.payload."after"."Line") <> 'null', FALSE)
        END AS haina_key_given_1,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN CASE WHEN JSON_TYPEOF(n.payload."before"."Line") = 'string' THEN CAST(CAST(n.payload."before"."Line" AS VARCHAR(MAX)) AS SMALLINT) ELSE CAST(n.payload."before"."Line" AS SMALLINT) END
            ELSE CASE WHEN JSON_TYPEOF(n.payload."after"."Line") = 'string' THEN CAST(CAST(n.payload."after"."Line" AS VARCHAR(MAX)) AS SMALLINT) ELSE CAST(n.payload."after"."Line" AS SMALLINT) END
        END AS "Line"
    FROM haina_apply_new n
    WHERE n.payload IS NOT NULL AND JSON_TYPEOF(n.payload) = 'object';
    -- R12: a key value its column type cannot hold fails the run (Redshift turns a failed
    -- SUPER cast into NULL; the change must not pass for malformed and be skipped for good).
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_parsed
    WHERE op IN ('c', 'u', 'r', 'd') AND ((haina_key_given_0 AND "InvoiceNo" IS NULL) OR (haina_key_given_1 AND "Line" IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a key value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R3: change events with their key; anything else is malformed.
    CREATE TEMP TABLE haina_apply_changes AS
    SELECT kafka_partition, kafka_offset, op, after_image,
        "InvoiceNo",
        "Line",
        -- R5: the latest change of each key is the one with the highest offset.
        ROW_NUMBER() OVER (PARTITION BY "InvoiceNo", "Line" ORDER BY kafka_offset DESC, kafka_partition DESC) AS recency
    FROM haina_apply_parsed
    WHERE op IN ('c', 'u', 'r', 'd')
        AND (op = 'd' OR JSON_TYPEOF(after_image) = 'object')
        AND "InvoiceNo" IS NOT NULL
        AND "Line" IS NOT NULL;
    -- R2, R3: what was skipped.
    SELECT INTO v_read, v_tombstones
        COUNT(*), COUNT(CASE WHEN payload IS NULL AND failed_payload IS NULL THEN 1 END)
    FROM haina_apply_new;
    SELECT INTO v_changes COUNT(*) FROM haina_apply_changes;
    v_malformed := v_read - v_tombstones - v_changes;
    -- R5: only the latest change of each key counts.
    CREATE TEMP TABLE haina_apply_latest AS
    SELECT * FROM haina_apply_changes WHERE recency = 1;
    SELECT INTO v_upserts, v_deletes
        COUNT(CASE WHEN op <> 'd' THEN 1 END), COUNT(CASE WHEN op = 'd' THEN 1 END)
    FROM haina_apply_latest;
    -- R6: the rest were superseded.
    v_superseded := v_changes - v_upserts - v_deletes;
    -- R12: any other value its column type cannot hold fails the run too.
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_latest s
    WHERE s.op <> 'd' AND ((COALESCE(JSON_TYPEOF(s.after_image."InvoiceNo") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."InvoiceNo") = 'string' THEN CAST(CAST(s.after_image."InvoiceNo" AS VARCHAR(MAX)) AS BIGINT) ELSE CAST(s.after_image."InvoiceNo" AS BIGINT) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Line") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."Line") = 'string' THEN CAST(CAST(s.after_image."Line" AS VARCHAR(MAX)) AS SMALLINT) ELSE CAST(s.after_image."Line" AS SMALLINT) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Line Total") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."Line Total") = 'string' THEN CAST(CAST(s.after_image."Line Total" AS VARCHAR(MAX)) AS DECIMAL(12,2)) ELSE CAST(s.after_image."Line Total" AS DECIMAL(12,2)) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Paid") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Paid") WHEN 'boolean' THEN CAST(s.after_image."Paid" AS BOOLEAN) WHEN 'number' THEN CAST(s.after_image."Paid" AS INTEGER) <> 0 END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Rate") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."Rate") = 'string' THEN CAST(CAST(s.after_image."Rate" AS VARCHAR(MAX)) AS DOUBLE PRECISION) ELSE CAST(s.after_image."Rate" AS DOUBLE PRECISION) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Due") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Due") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."Due" AS BIGINT) * INTERVAL '1 day') AS DATE) WHEN 'string' THEN CAST(CAST(s.after_image."Due" AS VARCHAR(MAX)) AS DATE) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."At") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."At") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."At" AS BIGINT) * INTERVAL '0.001 second') AS TIME) WHEN 'string' THEN CAST(CAST(s.after_image."At" AS VARCHAR(MAX)) AS TIME) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Issued") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Issued") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."Issued" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMP) WHEN 'string' THEN CAST(CAST(s.after_image."Issued" AS VARCHAR(MAX)) AS TIMESTAMP) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Note") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Note") WHEN 'string' THEN CAST(CAST(s.after_image."Note" AS VARCHAR(MAX)) AS VARCHAR(256)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."Note") AS VARCHAR(256)) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Code") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."Code") WHEN 'string' THEN CAST(CAST(s.after_image."Code" AS VARCHAR(MAX)) AS CHAR(3)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."Code") AS CHAR(3)) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."Meta") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."Meta") = 'string' AND CAN_JSON_PARSE(CAST(s.after_image."Meta" AS VARCHAR(MAX))) THEN JSON_PARSE(CAST(s.after_image."Meta" AS VARCHAR(MAX))) ELSE s.after_image."Meta" END) IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R7, R8: remove every touched key, then insert the ones whose latest change is c, u or r.
    DELETE FROM "cdc"."Invoice 2026"
    USING haina_apply_latest s
    WHERE "cdc"."Invoice 2026"."InvoiceNo" = s."InvoiceNo" AND "cdc"."Invoice 2026"."Line" = s."Line";
    INSERT INTO "cdc"."Invoice 2026" ("InvoiceNo", "Line", "Line Total", "Paid", "Rate", "Due", "At", "Issued", "Note", "Code", "Meta")
    SELECT
        CASE WHEN JSON_TYPEOF(s.after_image."InvoiceNo") = 'string' THEN CAST(CAST(s.after_image."InvoiceNo" AS VARCHAR(MAX)) AS BIGINT) ELSE CAST(s.after_image."InvoiceNo" AS BIGINT) END,
        CASE WHEN JSON_TYPEOF(s.after_image."Line") = 'string' THEN CAST(CAST(s.after_image."Line" AS VARCHAR(MAX)) AS SMALLINT) ELSE CAST(s.after_image."Line" AS SMALLINT) END,
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
    WHERE target_table = 'Invoice 2026'
        AND kafka_partition IN (SELECT DISTINCT kafka_partition FROM haina_apply_new);
    INSERT INTO "cdc"."apply_offsets" (target_table, kafka_partition, last_offset, applied_at)
    SELECT 'Invoice 2026', kafka_partition, MAX(kafka_offset), GETDATE()
    FROM haina_apply_new
    GROUP BY kafka_partition;
    -- R11: the counts, logged (RAISE takes variables only).
    INSERT INTO "cdc"."apply_runs" (target_table, finished_at, changes_read, upserts, deletes, superseded, tombstones, malformed)
    VALUES ('Invoice 2026', GETDATE(), v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_malformed);
    RAISE INFO 'haina apply %: % read, % upserts, % deletes, % superseded, % tombstones, % malformed',
        v_target, v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_malformed;
    DROP TABLE haina_apply_latest;
    DROP TABLE haina_apply_changes;
    DROP TABLE haina_apply_parsed;
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
