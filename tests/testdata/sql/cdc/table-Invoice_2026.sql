-- kind: table
-- name: "cdc"."Invoice 2026"

-- definition (a change replaces the object)
(
    "InvoiceNo" BIGINT NOT NULL,
    "Line" SMALLINT NOT NULL,
    "Line Total" DECIMAL(12,2),
    "Paid" BOOLEAN,
    "Rate" DOUBLE PRECISION,
    "Due" DATE,
    "At" TIME,
    "Issued" TIMESTAMP,
    "Note" VARCHAR(1024),
    "Code" VARCHAR(12),
    "Meta" SUPER,
    PRIMARY KEY ("InvoiceNo", "Line")
)
DISTKEY ("InvoiceNo")
SORTKEY ("InvoiceNo", "Line")

-- create (one transaction)
CREATE TABLE IF NOT EXISTS "cdc"."Invoice 2026" (
    "InvoiceNo" BIGINT NOT NULL,
    "Line" SMALLINT NOT NULL,
    "Line Total" DECIMAL(12,2),
    "Paid" BOOLEAN,
    "Rate" DOUBLE PRECISION,
    "Due" DATE,
    "At" TIME,
    "Issued" TIMESTAMP,
    "Note" VARCHAR(1024),
    "Code" VARCHAR(12),
    "Meta" SUPER,
    PRIMARY KEY ("InvoiceNo", "Line")
)
DISTKEY ("InvoiceNo")
SORTKEY ("InvoiceNo", "Line");
DELETE FROM "cdc"."apply_offsets" WHERE target_table = 'Invoice 2026';

-- update (one transaction)

-- drop
DROP TABLE IF EXISTS "cdc"."Invoice 2026";

-- exists
SELECT 1 FROM svv_tables WHERE table_schema = 'cdc' AND table_name = 'Invoice 2026' AND table_type = 'BASE TABLE';
