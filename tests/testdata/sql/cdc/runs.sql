-- kind: table
-- name: "cdc"."apply_runs"

-- create (one transaction)
CREATE TABLE IF NOT EXISTS "cdc"."apply_runs" (
    target_table VARCHAR(127) NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    changes_read BIGINT NOT NULL,
    upserts BIGINT NOT NULL,
    deletes BIGINT NOT NULL,
    superseded BIGINT NOT NULL,
    tombstones BIGINT NOT NULL,
    malformed BIGINT NOT NULL,
    rejected BIGINT NOT NULL
)
DISTSTYLE ALL
SORTKEY (finished_at);

-- update (one transaction)

-- drop
DROP TABLE IF EXISTS "cdc"."apply_runs";

-- exists
SELECT 1 FROM svv_tables WHERE table_schema = 'cdc' AND table_name = 'apply_runs' AND table_type = 'BASE TABLE';
