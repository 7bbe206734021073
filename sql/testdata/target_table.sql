-- kind: table
-- name: "ingest"."events_history"

-- create (one transaction)
CREATE TABLE IF NOT EXISTS "ingest"."events_history" (
    event_time TIMESTAMPTZ,
    event_name VARCHAR(64),
    "user" INTEGER,
    loaded_at TIMESTAMP DEFAULT GETDATE()
)
DISTSTYLE AUTO
SORTKEY (event_time);

-- update (one transaction)

-- drop
DROP TABLE IF EXISTS "ingest"."events_history";

-- exists
SELECT 1 FROM svv_tables WHERE table_schema = 'ingest' AND table_name = 'events_history' AND table_type = 'BASE TABLE';
