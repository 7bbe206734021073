-- kind: table
-- name: "cdc"."customer"

-- definition (a change replaces the object)
(
    "CUST_ID" INTEGER NOT NULL,
    "NAME" VARCHAR(400),
    "UPDATED_AT" TIMESTAMPTZ,
    PRIMARY KEY ("CUST_ID")
)
DISTKEY ("CUST_ID")
SORTKEY ("CUST_ID")

-- create (one transaction)
CREATE TABLE IF NOT EXISTS "cdc"."customer" (
    "CUST_ID" INTEGER NOT NULL,
    "NAME" VARCHAR(400),
    "UPDATED_AT" TIMESTAMPTZ,
    PRIMARY KEY ("CUST_ID")
)
DISTKEY ("CUST_ID")
SORTKEY ("CUST_ID");
DELETE FROM "cdc"."apply_offsets" WHERE target_table = 'customer';

-- update (one transaction)

-- drop
DROP TABLE IF EXISTS "cdc"."customer";

-- exists
SELECT 1 FROM svv_tables WHERE table_schema = 'cdc' AND table_name = 'customer' AND table_type = 'BASE TABLE';
