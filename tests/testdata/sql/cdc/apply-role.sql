-- kind: role
-- name: "haina_cdc_apply"

-- create (one transaction)
CREATE ROLE "haina_cdc_apply";
GRANT USAGE ON SCHEMA "cdc" TO ROLE "haina_cdc_apply";

-- update (one transaction)

-- drop
DROP ROLE "haina_cdc_apply" FORCE;

-- exists
SELECT 1 FROM svv_roles WHERE role_name = 'haina_cdc_apply';
