-- kind: procedure
-- name: "cdc"."apply_customer"()

-- create (one transaction)
CREATE OR REPLACE PROCEDURE "cdc"."apply_customer"()
AS $$
DECLARE
    v_target VARCHAR(127) := 'customer';
    v_read BIGINT;
    v_tombstones BIGINT;
    v_rejected BIGINT;
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
    SELECT l.kafka_partition, l.kafka_offset, l.kafka_key, l.payload, l.failed_payload
    FROM "cdc"."salesdb_customer_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'customer' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
    -- R5: what earlier runs read of the keys read now. Debezium keys each message by the row's
    -- primary key, so the Kafka key finds them without parsing the whole view (a VARBYTE
    -- join); they are matched by the key parsed from them below.
    CREATE TEMP TABLE haina_apply_seen AS
    SELECT l.kafka_partition, l.kafka_offset, l.payload, l.failed_payload
    FROM "cdc"."salesdb_customer_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'customer' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset <= COALESCE(w.last_offset, -1)
        AND l.payload IS NOT NULL
        AND l.kafka_key IN (SELECT kafka_key FROM haina_apply_new WHERE kafka_key IS NOT NULL);
    -- R4: each message's op, row images, key (from "before" for d, else from "after") with
    -- whether its source value was there at all, and binlog position (R5); R3: why it cannot
    -- be applied, if it cannot (NULL: a change). Tombstones (R2) are left out.
    CREATE TEMP TABLE haina_apply_parsed AS
    SELECT p.*,
        CASE
            WHEN p.haina_payload_type IS NULL THEN 'not JSON'
            WHEN p.haina_payload_type <> 'object' OR p.op IS NULL OR p.op NOT IN ('c', 'u', 'r', 'd') THEN 'not a change event'
            WHEN COALESCE(p.haina_image_type, 'null') <> 'object' THEN 'no row image'
            WHEN NOT (haina_key_given_0) THEN 'missing key'
        END AS reject_reason
    FROM (
        SELECT e.kafka_partition, e.kafka_offset, e.fresh, e.payload, e.failed_payload, e.op,
            JSON_TYPEOF(e.payload) AS haina_payload_type,
            CASE WHEN e.op = 'd' THEN JSON_TYPEOF(e.payload."before") ELSE JSON_TYPEOF(e.payload."after") END AS haina_image_type,
            e.payload."after" AS after_image,
            -- R5: the binlog position Debezium's MySQL connector puts in each event's source block
            -- (file, pos, row; "snapshot" is one of SnapshotRecord's values, lower case, or false;
            -- a boolean before Debezium 2). An event without file and pos sorts before those with.
            CASE WHEN JSON_TYPEOF(e.payload."source"."file") = 'string' AND JSON_TYPEOF(e.payload."source"."pos") = 'number' THEN 1 ELSE 0 END AS haina_positioned,
            CASE WHEN JSON_TYPEOF(e.payload."source"."file") = 'string' AND JSON_TYPEOF(e.payload."source"."pos") = 'number' THEN CAST(e.payload."source"."file" AS VARCHAR(MAX)) ELSE '' END AS haina_file,
            CASE WHEN JSON_TYPEOF(e.payload."source"."file") = 'string' AND JSON_TYPEOF(e.payload."source"."pos") = 'number' THEN CAST(e.payload."source"."pos" AS BIGINT) ELSE 0 END AS haina_pos,
            CASE WHEN JSON_TYPEOF(e.payload."source"."row") = 'number' THEN CAST(e.payload."source"."row" AS BIGINT) ELSE 0 END AS haina_row,
            CASE WHEN e.op = 'r' OR JSON_SERIALIZE(e.payload."source"."snapshot") IN ('true', '"true"', '"first"', '"first_in_data_collection"', '"last_in_data_collection"', '"last"', '"incremental"') THEN 0 ELSE 1 END AS haina_streamed,
            CASE WHEN e.op = 'd' THEN COALESCE(JSON_TYPEOF(e.payload."before"."CUST_ID") <> 'null', FALSE)
                WHEN e.op IN ('c', 'u', 'r') THEN COALESCE(JSON_TYPEOF(e.payload."after"."CUST_ID") <> 'null', FALSE)
                ELSE FALSE
            END AS haina_key_given_0,
            CASE WHEN e.op = 'd' THEN CASE WHEN JSON_TYPEOF(e.payload."before"."CUST_ID") = 'string' THEN CAST(CAST(e.payload."before"."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(e.payload."before"."CUST_ID" AS INTEGER) END
                WHEN e.op IN ('c', 'u', 'r') THEN CASE WHEN JSON_TYPEOF(e.payload."after"."CUST_ID") = 'string' THEN CAST(CAST(e.payload."after"."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(e.payload."after"."CUST_ID" AS INTEGER) END
            END AS "CUST_ID"
        FROM (
            SELECT n.kafka_partition, n.kafka_offset, n.fresh, n.payload, n.failed_payload,
                CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END AS op
            FROM (
                SELECT kafka_partition, kafka_offset, TRUE AS fresh, payload, failed_payload FROM haina_apply_new
                WHERE payload IS NOT NULL OR failed_payload IS NOT NULL
                UNION ALL
                SELECT kafka_partition, kafka_offset, FALSE AS fresh, payload, failed_payload FROM haina_apply_seen
            ) n
        ) e
    ) p;
    -- R12: a key value its column type cannot hold fails the run (Redshift turns a failed
    -- SUPER cast into NULL; the change must not pass for a missing key and be rejected).
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_parsed
    WHERE fresh AND op IN ('c', 'u', 'r', 'd') AND ((haina_key_given_0 AND "CUST_ID" IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a key value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R3: the changes, read now or before (R5), each ranked among its key's.
    CREATE TEMP TABLE haina_apply_changes AS
    SELECT kafka_partition, kafka_offset, fresh, op, after_image,
        "CUST_ID",
        -- R5: the newest change of each key: the latest binlog file (a longer name is a later
        -- file: the sequence number grows past six digits), position, a streamed change before
        -- a snapshot read at the same position, the row within the event; equal positions are
        -- one change delivered twice: then the Kafka position.
        ROW_NUMBER() OVER (PARTITION BY "CUST_ID"
            ORDER BY haina_positioned DESC, OCTET_LENGTH(haina_file) DESC, haina_file DESC, haina_pos DESC,
                haina_streamed DESC, haina_row DESC, kafka_offset DESC, kafka_partition DESC) AS recency
    FROM haina_apply_parsed
    WHERE reject_reason IS NULL;
    -- R2, R3: what was skipped or rejected.
    SELECT INTO v_read, v_tombstones
        COUNT(*), COUNT(CASE WHEN payload IS NULL AND failed_payload IS NULL THEN 1 END)
    FROM haina_apply_new;
    SELECT INTO v_changes COUNT(*) FROM haina_apply_changes WHERE fresh;
    SELECT INTO v_rejected COUNT(*) FROM haina_apply_parsed WHERE fresh AND reject_reason IS NOT NULL;
    -- R5: only the newest change of each key counts, and only if it was read now (else an
    -- earlier run applied it and the changes read now are older).
    CREATE TEMP TABLE haina_apply_latest AS
    SELECT * FROM haina_apply_changes WHERE recency = 1 AND fresh;
    SELECT INTO v_upserts, v_deletes
        COUNT(CASE WHEN op <> 'd' THEN 1 END), COUNT(CASE WHEN op = 'd' THEN 1 END)
    FROM haina_apply_latest;
    -- R6: the rest were superseded.
    v_superseded := v_changes - v_upserts - v_deletes;
    -- R12: any other value its column type cannot hold fails the run too, text longer in bytes
    -- than its column included.
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_latest s
    WHERE s.op <> 'd' AND ((COALESCE(JSON_TYPEOF(s.after_image."CUST_ID") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."CUST_ID") = 'string' THEN CAST(CAST(s.after_image."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(s.after_image."CUST_ID" AS INTEGER) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."NAME") <> 'null', FALSE) AND (CAST(CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(s.after_image."NAME" AS VARCHAR(MAX)) WHEN 'null' THEN NULL ELSE JSON_SERIALIZE(s.after_image."NAME") END AS VARCHAR(400))) IS NULL)
        OR OCTET_LENGTH(CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(s.after_image."NAME" AS VARCHAR(MAX)) WHEN 'null' THEN NULL ELSE JSON_SERIALIZE(s.after_image."NAME") END) > 400
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
        CAST(CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(s.after_image."NAME" AS VARCHAR(MAX)) WHEN 'null' THEN NULL ELSE JSON_SERIALIZE(s.after_image."NAME") END AS VARCHAR(400)),
        CASE JSON_TYPEOF(s.after_image."UPDATED_AT") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."UPDATED_AT" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMPTZ) WHEN 'string' THEN CAST(CAST(s.after_image."UPDATED_AT" AS VARCHAR(MAX)) AS TIMESTAMPTZ) END
    FROM haina_apply_latest s
    WHERE s.op <> 'd';
    -- R13: what cannot be applied is listed with its reason, never lost: the message replaces
    -- what an earlier run said of it (a replay after a fix), so each is listed once.
    DELETE FROM "cdc"."apply_rejects"
    USING haina_apply_new n
    WHERE "cdc"."apply_rejects".target_table = 'customer'
        AND "cdc"."apply_rejects".kafka_partition = n.kafka_partition
        AND "cdc"."apply_rejects".kafka_offset = n.kafka_offset;
    INSERT INTO "cdc"."apply_rejects" (target_table, kafka_partition, kafka_offset, reason, payload, failed_payload, rejected_at)
    SELECT 'customer', kafka_partition, kafka_offset, reject_reason, payload, failed_payload, GETDATE()
    FROM haina_apply_parsed
    WHERE fresh AND reject_reason IS NOT NULL;
    -- R9: the watermark moves past everything read, rejected messages included (R13 kept them).
    DELETE FROM "cdc"."apply_offsets"
    WHERE target_table = 'customer'
        AND kafka_partition IN (SELECT DISTINCT kafka_partition FROM haina_apply_new);
    INSERT INTO "cdc"."apply_offsets" (target_table, kafka_partition, last_offset, applied_at)
    SELECT 'customer', kafka_partition, MAX(kafka_offset), GETDATE()
    FROM haina_apply_new
    GROUP BY kafka_partition;
    -- R11: the counts, logged (RAISE takes variables only); malformed is rejected's former name.
    INSERT INTO "cdc"."apply_runs" (target_table, finished_at, changes_read, upserts, deletes, superseded, tombstones, malformed, rejected)
    VALUES ('customer', GETDATE(), v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_rejected, v_rejected);
    RAISE INFO 'haina apply %: % read, % upserts, % deletes, % superseded, % tombstones, % rejected',
        v_target, v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_rejected;
    DROP TABLE haina_apply_latest;
    DROP TABLE haina_apply_changes;
    DROP TABLE haina_apply_parsed;
    DROP TABLE haina_apply_seen;
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
    v_rejected BIGINT;
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
    SELECT l.kafka_partition, l.kafka_offset, l.kafka_key, l.payload, l.failed_payload
    FROM "cdc"."salesdb_customer_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'customer' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
    -- R5: what earlier runs read of the keys read now. Debezium keys each message by the row's
    -- primary key, so the Kafka key finds them without parsing the whole view (a VARBYTE
    -- join); they are matched by the key parsed from them below.
    CREATE TEMP TABLE haina_apply_seen AS
    SELECT l.kafka_partition, l.kafka_offset, l.payload, l.failed_payload
    FROM "cdc"."salesdb_customer_changes" l
    LEFT JOIN "cdc"."apply_offsets" w
        ON w.target_table = 'customer' AND w.kafka_partition = l.kafka_partition
    WHERE l.kafka_offset <= COALESCE(w.last_offset, -1)
        AND l.payload IS NOT NULL
        AND l.kafka_key IN (SELECT kafka_key FROM haina_apply_new WHERE kafka_key IS NOT NULL);
    -- R4: each message's op, row images, key (from "before" for d, else from "after") with
    -- whether its source value was there at all, and binlog position (R5); R3: why it cannot
    -- be applied, if it cannot (NULL: a change). Tombstones (R2) are left out.
    CREATE TEMP TABLE haina_apply_parsed AS
    SELECT p.*,
        CASE
            WHEN p.haina_payload_type IS NULL THEN 'not JSON'
            WHEN p.haina_payload_type <> 'object' OR p.op IS NULL OR p.op NOT IN ('c', 'u', 'r', 'd') THEN 'not a change event'
            WHEN COALESCE(p.haina_image_type, 'null') <> 'object' THEN 'no row image'
            WHEN NOT (haina_key_given_0) THEN 'missing key'
        END AS reject_reason
    FROM (
        SELECT e.kafka_partition, e.kafka_offset, e.fresh, e.payload, e.failed_payload, e.op,
            JSON_TYPEOF(e.payload) AS haina_payload_type,
            CASE WHEN e.op = 'd' THEN JSON_TYPEOF(e.payload."before") ELSE JSON_TYPEOF(e.payload."after") END AS haina_image_type,
            e.payload."after" AS after_image,
            -- R5: the binlog position Debezium's MySQL connector puts in each event's source block
            -- (file, pos, row; "snapshot" is one of SnapshotRecord's values, lower case, or false;
            -- a boolean before Debezium 2). An event without file and pos sorts before those with.
            CASE WHEN JSON_TYPEOF(e.payload."source"."file") = 'string' AND JSON_TYPEOF(e.payload."source"."pos") = 'number' THEN 1 ELSE 0 END AS haina_positioned,
            CASE WHEN JSON_TYPEOF(e.payload."source"."file") = 'string' AND JSON_TYPEOF(e.payload."source"."pos") = 'number' THEN CAST(e.payload."source"."file" AS VARCHAR(MAX)) ELSE '' END AS haina_file,
            CASE WHEN JSON_TYPEOF(e.payload."source"."file") = 'string' AND JSON_TYPEOF(e.payload."source"."pos") = 'number' THEN CAST(e.payload."source"."pos" AS BIGINT) ELSE 0 END AS haina_pos,
            CASE WHEN JSON_TYPEOF(e.payload."source"."row") = 'number' THEN CAST(e.payload."source"."row" AS BIGINT) ELSE 0 END AS haina_row,
            CASE WHEN e.op = 'r' OR JSON_SERIALIZE(e.payload."source"."snapshot") IN ('true', '"true"', '"first"', '"first_in_data_collection"', '"last_in_data_collection"', '"last"', '"incremental"') THEN 0 ELSE 1 END AS haina_streamed,
            CASE WHEN e.op = 'd' THEN COALESCE(JSON_TYPEOF(e.payload."before"."CUST_ID") <> 'null', FALSE)
                WHEN e.op IN ('c', 'u', 'r') THEN COALESCE(JSON_TYPEOF(e.payload."after"."CUST_ID") <> 'null', FALSE)
                ELSE FALSE
            END AS haina_key_given_0,
            CASE WHEN e.op = 'd' THEN CASE WHEN JSON_TYPEOF(e.payload."before"."CUST_ID") = 'string' THEN CAST(CAST(e.payload."before"."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(e.payload."before"."CUST_ID" AS INTEGER) END
                WHEN e.op IN ('c', 'u', 'r') THEN CASE WHEN JSON_TYPEOF(e.payload."after"."CUST_ID") = 'string' THEN CAST(CAST(e.payload."after"."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(e.payload."after"."CUST_ID" AS INTEGER) END
            END AS "CUST_ID"
        FROM (
            SELECT n.kafka_partition, n.kafka_offset, n.fresh, n.payload, n.failed_payload,
                CASE WHEN JSON_TYPEOF(n.payload."op") = 'string' THEN CAST(CAST(n.payload."op" AS VARCHAR(MAX)) AS VARCHAR(8)) END AS op
            FROM (
                SELECT kafka_partition, kafka_offset, TRUE AS fresh, payload, failed_payload FROM haina_apply_new
                WHERE payload IS NOT NULL OR failed_payload IS NOT NULL
                UNION ALL
                SELECT kafka_partition, kafka_offset, FALSE AS fresh, payload, failed_payload FROM haina_apply_seen
            ) n
        ) e
    ) p;
    -- R12: a key value its column type cannot hold fails the run (Redshift turns a failed
    -- SUPER cast into NULL; the change must not pass for a missing key and be rejected).
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_parsed
    WHERE fresh AND op IN ('c', 'u', 'r', 'd') AND ((haina_key_given_0 AND "CUST_ID" IS NULL));
    IF v_unfit > 0 THEN
        RAISE EXCEPTION 'haina apply %: % changes have a key value its column type cannot hold', v_target, v_unfit;
    END IF;
    -- R3: the changes, read now or before (R5), each ranked among its key's.
    CREATE TEMP TABLE haina_apply_changes AS
    SELECT kafka_partition, kafka_offset, fresh, op, after_image,
        "CUST_ID",
        -- R5: the newest change of each key: the latest binlog file (a longer name is a later
        -- file: the sequence number grows past six digits), position, a streamed change before
        -- a snapshot read at the same position, the row within the event; equal positions are
        -- one change delivered twice: then the Kafka position.
        ROW_NUMBER() OVER (PARTITION BY "CUST_ID"
            ORDER BY haina_positioned DESC, OCTET_LENGTH(haina_file) DESC, haina_file DESC, haina_pos DESC,
                haina_streamed DESC, haina_row DESC, kafka_offset DESC, kafka_partition DESC) AS recency
    FROM haina_apply_parsed
    WHERE reject_reason IS NULL;
    -- R2, R3: what was skipped or rejected.
    SELECT INTO v_read, v_tombstones
        COUNT(*), COUNT(CASE WHEN payload IS NULL AND failed_payload IS NULL THEN 1 END)
    FROM haina_apply_new;
    SELECT INTO v_changes COUNT(*) FROM haina_apply_changes WHERE fresh;
    SELECT INTO v_rejected COUNT(*) FROM haina_apply_parsed WHERE fresh AND reject_reason IS NOT NULL;
    -- R5: only the newest change of each key counts, and only if it was read now (else an
    -- earlier run applied it and the changes read now are older).
    CREATE TEMP TABLE haina_apply_latest AS
    SELECT * FROM haina_apply_changes WHERE recency = 1 AND fresh;
    SELECT INTO v_upserts, v_deletes
        COUNT(CASE WHEN op <> 'd' THEN 1 END), COUNT(CASE WHEN op = 'd' THEN 1 END)
    FROM haina_apply_latest;
    -- R6: the rest were superseded.
    v_superseded := v_changes - v_upserts - v_deletes;
    -- R12: any other value its column type cannot hold fails the run too, text longer in bytes
    -- than its column included.
    SELECT INTO v_unfit COUNT(*) FROM haina_apply_latest s
    WHERE s.op <> 'd' AND ((COALESCE(JSON_TYPEOF(s.after_image."CUST_ID") <> 'null', FALSE) AND (CASE WHEN JSON_TYPEOF(s.after_image."CUST_ID") = 'string' THEN CAST(CAST(s.after_image."CUST_ID" AS VARCHAR(MAX)) AS INTEGER) ELSE CAST(s.after_image."CUST_ID" AS INTEGER) END) IS NULL)
        OR (COALESCE(JSON_TYPEOF(s.after_image."NAME") <> 'null', FALSE) AND (CAST(CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(s.after_image."NAME" AS VARCHAR(MAX)) WHEN 'null' THEN NULL ELSE JSON_SERIALIZE(s.after_image."NAME") END AS VARCHAR(400))) IS NULL)
        OR OCTET_LENGTH(CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(s.after_image."NAME" AS VARCHAR(MAX)) WHEN 'null' THEN NULL ELSE JSON_SERIALIZE(s.after_image."NAME") END) > 400
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
        CAST(CASE JSON_TYPEOF(s.after_image."NAME") WHEN 'string' THEN CAST(s.after_image."NAME" AS VARCHAR(MAX)) WHEN 'null' THEN NULL ELSE JSON_SERIALIZE(s.after_image."NAME") END AS VARCHAR(400)),
        CASE JSON_TYPEOF(s.after_image."UPDATED_AT") WHEN 'number' THEN CAST((TIMESTAMP 'epoch' + CAST(s.after_image."UPDATED_AT" AS BIGINT) * INTERVAL '0.001 second') AS TIMESTAMPTZ) WHEN 'string' THEN CAST(CAST(s.after_image."UPDATED_AT" AS VARCHAR(MAX)) AS TIMESTAMPTZ) END
    FROM haina_apply_latest s
    WHERE s.op <> 'd';
    -- R13: what cannot be applied is listed with its reason, never lost: the message replaces
    -- what an earlier run said of it (a replay after a fix), so each is listed once.
    DELETE FROM "cdc"."apply_rejects"
    USING haina_apply_new n
    WHERE "cdc"."apply_rejects".target_table = 'customer'
        AND "cdc"."apply_rejects".kafka_partition = n.kafka_partition
        AND "cdc"."apply_rejects".kafka_offset = n.kafka_offset;
    INSERT INTO "cdc"."apply_rejects" (target_table, kafka_partition, kafka_offset, reason, payload, failed_payload, rejected_at)
    SELECT 'customer', kafka_partition, kafka_offset, reject_reason, payload, failed_payload, GETDATE()
    FROM haina_apply_parsed
    WHERE fresh AND reject_reason IS NOT NULL;
    -- R9: the watermark moves past everything read, rejected messages included (R13 kept them).
    DELETE FROM "cdc"."apply_offsets"
    WHERE target_table = 'customer'
        AND kafka_partition IN (SELECT DISTINCT kafka_partition FROM haina_apply_new);
    INSERT INTO "cdc"."apply_offsets" (target_table, kafka_partition, last_offset, applied_at)
    SELECT 'customer', kafka_partition, MAX(kafka_offset), GETDATE()
    FROM haina_apply_new
    GROUP BY kafka_partition;
    -- R11: the counts, logged (RAISE takes variables only); malformed is rejected's former name.
    INSERT INTO "cdc"."apply_runs" (target_table, finished_at, changes_read, upserts, deletes, superseded, tombstones, malformed, rejected)
    VALUES ('customer', GETDATE(), v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_rejected, v_rejected);
    RAISE INFO 'haina apply %: % read, % upserts, % deletes, % superseded, % tombstones, % rejected',
        v_target, v_read, v_upserts, v_deletes, v_superseded, v_tombstones, v_rejected;
    DROP TABLE haina_apply_latest;
    DROP TABLE haina_apply_changes;
    DROP TABLE haina_apply_parsed;
    DROP TABLE haina_apply_seen;
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
