-- kind: procedure
-- name: "cdc"."apply_customer"()

-- create (one transaction)
CREATE OR REPLACE PROCEDURE "cdc"."apply_customer"()
AS $$
DECLARE
    v_target VARCHAR(127) := 'customer';
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
    FROM "cdc"."salesdb_customer_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'customer' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
    -- R4: each JSON object's op, after image and key (from "before" for d, else from "after"),
    -- with whether the key's source value was there at all.
    CREATE TEMP TABLE haina_apply_parsed AS
    SELECT n.kafka_partition, n.kafka_offset,
        CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END AS op,
        n.payload."after" AS after_image,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN COALESCE(JSON_TYPEOF(n.payload."before"."CUST_ID") <> 'null', FALSE)
            ELSE COALESCE(JSON_TYPEOF(n.payload."after"."CUST_ID") <> 'null', FALSE)
        END AS haina_key_given_0,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN CASE WHEN JSON_TYPEOF(n.payload."before"."CUST_ID") = 'string' THEN CAST(CAST(n.payload."before"."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(n.payload."before"."CUST_ID" AS INTEGER) END
            ELSE CASE WHEN JSON_TYPEOF(n.payload."after"."CUST_ID") = 'string' THEN CAST(CAST(n.payload."after"."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(n.payload."after"."CUST_ID" AS INTEGER) END
        END AS "CUST_ID"
    FROM haina_apply_new n
    WHERE n.payload IS NOT NULL AND JSON_TYPEOF(n.payload) = 'object';
    -- R12: a key value its column type cannot hold fails the run (Redshift turns a failed
    -- SUPER cast into NULL; the change must not pass for malformed and be skipped for good).
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_parsed
    WHERE op IN ('c', 'u', 'r', 'd') AND ((haina_key_given_0 AND "CUST_ID" IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a key value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R3: change events with their key; anything else is malformed.
    CREATE TEMP TABLE haina_apply_changes AS
    SELECT kafka_partition, kafka_offset, op, after_image,
        "CUST_ID",
        -- R5: the latest change of each key is the one with the highest offset.
        ROW_NUMBER() OVER (PARTITION BY "CUST_ID" ORDER BY kafka_offset DESC, kafka_partition DESC) AS recency
    FROM haina_apply_parsed
    WHERE op IN ('c', 'u', 'r', 'd')
        AND (op = 'd' OR JSON_TYPEOF(after_image) = 'object')
        AND "CUST_ID" IS NOT NULL;
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
    WHERE s.op <> 'd' AND ((COALESCE(JSON_TYPEOF(s.after_image."CUST_ID") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."CUST_ID") = 'string' THEN CAST(CAST(s.after_image."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(s.after_image."CUST_ID" AS INTEGER) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."NAME") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(CAST(s.after_image."NAME" AS VARCHAR(MAX)) AS VARCHAR(100)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."NAME") AS VARCHAR(100)) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."UPDATED_AT") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."UPDATED_AT") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."UPDATED_AT" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMPTZ) WHEN 'string' THEN CAST(CAST(s.after_image."UPDATED_AT" AS VARCHAR(MAX)) AS TIMESTAMPTZ) END) IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R7, R8: remove every touched key, then insert the ones whose latest change is c, u or r.
    DELETE FROM "cdc"."customer"
    USING haina_apply_latest s
    WHERE "cdc"."customer"."CUST_ID" = s."CUST_ID";
    INSERT INTO "cdc"."customer" ("CUST_ID", "NAME", "UPDATED_AT")
    SELECT
        CASE WHEN JSON_TYPEOF(s.after_image."CUST_ID") = 'string' THEN CAST(CAST(s.after_image."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(s.after_image."CUST_ID" AS INTEGER) END,
        CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(CAST(s.after_image."NAME" AS VARCHAR(MAX)) AS VARCHAR(100)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."NAME") AS VARCHAR(100)) END,
        CASE JSON_TYPEOF(s.after_image."UPDATED_AT") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."UPDATED_AT" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMPTZ) WHEN 'string' THEN CAST(CAST(s.after_image."UPDATED_AT" AS VARCHAR(MAX)) AS TIMESTAMPTZ) END
    FROM haina_apply_latest s
    WHERE s.op <> 'd';
    -- R9: the watermark moves past everything read, skipped messages included.
    DELETE FROM "cdc"."apply_offsets"
    WHERE target_table = 'customer'
        AND kafka_partition IN (SELECT DISTINCT kafka_partition FROM haina_apply_new);
    INSERT INTO "cdc"."apply_offsets" (target_table, kafka_partition, last_offset, applied_at)
    SELECT 'customer', kafka_partition, MAX(kafka_offset), GETDATE()
    FROM haina_apply_new
    GROUP BY kafka_partition;
    -- R11: the counts, logged (RAISE takes variables only).
    INSERT INTO "cdc"."apply_runs" (target_table, finished_at, changes_read, upserts, deletes, superseded, tombstones, malformed)
    VALUES ('customer', GETDATE(), v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_malformed);
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
GRANT EXECUTE ON PROCEDURE "cdc"."apply_customer"() TO ROLE "haina_cdc_apply";

-- update (one transaction)
CREATE OR REPLACE PROCEDURE "cdc"."apply_customer"()
AS $$
DECLARE
    v_target VARCHAR(127) := 'customer';
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
    FROM "cdc"."salesdb_customer_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'customer' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
    -- R4: each JSON object's op, after image and key (from "before" for d, else from "after"),
    -- with whether the key's source value was there at all.
    CREATE TEMP TABLE haina_apply_parsed AS
    SELECT n.kafka_partition, n.kafka_offset,
        CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END AS op,
        n.payload."after" AS after_image,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN COALESCE(JSON_TYPEOF(n.payload."before"."CUST_ID") <> 'null', FALSE)
            ELSE COALESCE(JSON_TYPEOF(n.payload."after"."CUST_ID") <> 'null', FALSE)
        END AS haina_key_given_0,
        CASE WHEN CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END = 'd'
            THEN CASE WHEN JSON_TYPEOF(n.payload."before"."CUST_ID") = 'string' THEN CAST(CAST(n.payload."before"."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(n.payload."before"."CUST_ID" AS INTEGER) END
            ELSE CASE WHEN JSON_TYPEOF(n.payload."after"."CUST_ID") = 'string' THEN CAST(CAST(n.payload."after"."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(n.payload."after"."CUST_ID" AS INTEGER) END
        END AS "CUST_ID"
    FROM haina_apply_new n
    WHERE n.payload IS NOT NULL AND JSON_TYPEOF(n.payload) = 'object';
    -- R12: a key value its column type cannot hold fails the run (Redshift turns a failed
    -- SUPER cast into NULL; the change must not pass for malformed and be skipped for good).
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_parsed
    WHERE op IN ('c', 'u', 'r', 'd') AND ((haina_key_given_0 AND "CUST_ID" IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a key value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R3: change events with their key; anything else is malformed.
    CREATE TEMP TABLE haina_apply_changes AS
    SELECT kafka_partition, kafka_offset, op, after_image,
        "CUST_ID",
        -- R5: the latest change of each key is the one with the highest offset.
        ROW_NUMBER() OVER (PARTITION BY "CUST_ID" ORDER BY kafka_offset DESC, kafka_partition DESC) AS recency
    FROM haina_apply_parsed
    WHERE op IN ('c', 'u', 'r', 'd')
        AND (op = 'd' OR JSON_TYPEOF(after_image) = 'object')
        AND "CUST_ID" IS NOT NULL;
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
    WHERE s.op <> 'd' AND ((COALESCE(JSON_TYPEOF(s.after_image."CUST_ID") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."CUST_ID") = 'string' THEN CAST(CAST(s.after_image."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(s.after_image."CUST_ID" AS INTEGER) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."NAME") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(CAST(s.after_image."NAME" AS VARCHAR(MAX)) AS VARCHAR(100)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."NAME") AS VARCHAR(100)) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."UPDATED_AT") <> 'null', FALSE) AND (CASE JSON_TYPEOF(s.after_image."UPDATED_AT") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."UPDATED_AT" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMPTZ) WHEN 'string' THEN CAST(CAST(s.after_image."UPDATED_AT" AS VARCHAR(MAX)) AS TIMESTAMPTZ) END) IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R7, R8: remove every touched key, then insert the ones whose latest change is c, u or r.
    DELETE FROM "cdc"."customer"
    USING haina_apply_latest s
    WHERE "cdc"."customer"."CUST_ID" = s."CUST_ID";
    INSERT INTO "cdc"."customer" ("CUST_ID", "NAME", "UPDATED_AT")
    SELECT
        CASE WHEN JSON_TYPEOF(s.after_image."CUST_ID") = 'string' THEN CAST(CAST(s.after_image."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(s.after_image."CUST_ID" AS INTEGER) END,
        CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(CAST(s.after_image."NAME" AS VARCHAR(MAX)) AS VARCHAR(100)) WHEN 'null' THEN NULL ELSE CAST(JSON_SERIALIZE(s.after_image."NAME") AS VARCHAR(100)) END,
        CASE JSON_TYPEOF(s.after_image."UPDATED_AT") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."UPDATED_AT" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMPTZ) WHEN 'string' THEN CAST(CAST(s.after_image."UPDATED_AT" AS VARCHAR(MAX)) AS TIMESTAMPTZ) END
    FROM haina_apply_latest s
    WHERE s.op <> 'd';
    -- R9: the watermark moves past everything read, skipped messages included.
    DELETE FROM "cdc"."apply_offsets"
    WHERE target_table = 'customer'
        AND kafka_partition IN (SELECT DISTINCT kafka_partition FROM haina_apply_new);
    INSERT INTO "cdc"."apply_offsets" (target_table, kafka_partition, last_offset, applied_at)
    SELECT 'customer', kafka_partition, MAX(kafka_offset), GETDATE()
    FROM haina_apply_new
    GROUP BY kafka_partition;
    -- R11: the counts, logged (RAISE takes variables only).
    INSERT INTO "cdc"."apply_runs" (target_table, finished_at, changes_read, upserts, deletes, superseded, tombstones, malformed)
    VALUES ('customer', GETDATE(), v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_malformed);
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
GRANT EXECUTE ON PROCEDURE "cdc"."apply_customer"() TO ROLE "haina_cdc_apply";

-- drop
DROP PROCEDURE IF EXISTS "cdc"."apply_customer"();

-- exists
SELECT 1 FROM pg_proc_info p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'cdc' AND p.proname = 'apply_customer';
