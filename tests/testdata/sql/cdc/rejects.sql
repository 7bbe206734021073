-- kind: table
-- name: "cdc"."apply_rejects"

-- create (one transaction)
CREATE TABLE IF NOT EXISTS "cdc"."apply_rejects" (
    target_table VARCHAR(127) NOT NULL,
    kafka_partition BIGINT NOT NULL,
    kafka_offset BIGINT NOT NULL,
    reason VARCHAR(64) NOT NULL,
    payload SUPER,
    failed_payload VARBYTE(16777216),
    rejected_at TIMESTAMP NOT NULL,
    PRIMARY KEY (target_table, kafka_partition, kafka_offset)
)
SORTKEY (target_table, kafka_partition, kafka_offset);

-- update (one transaction)

-- drop
DROP TABLE IF EXISTS "cdc"."apply_rejects";

-- exists
SELECT 1 FROM svv_tables WHERE table_schema = 'cdc' AND table_name = 'apply_rejects' AND table_type = 'BASE TABLE';
