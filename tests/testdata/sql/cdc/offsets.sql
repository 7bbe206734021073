-- kind: table
-- name: "cdc"."apply_offsets"

-- create (one transaction)
CREATE TABLE IF NOT EXISTS "cdc"."apply_offsets" (
    target_table VARCHAR(127) NOT NULL,
    kafka_partition BIGINT NOT NULL,
    last_offset BIGINT NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    PRIMARY KEY (target_table, kafka_partition)
)
DISTSTYLE ALL
SORTKEY (target_table, kafka_partition);

-- update (one transaction)

-- drop
DROP TABLE IF EXISTS "cdc"."apply_offsets";

-- exists
SELECT 1 FROM svv_tables WHERE table_schema = 'cdc' AND table_name = 'apply_offsets' AND table_type = 'BASE TABLE';
