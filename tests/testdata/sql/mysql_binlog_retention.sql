-- kind: configuration
-- name: binlog retention hours

-- create (one transaction)
CALL mysql.rds_set_configuration('binlog retention hours', 168);

-- update (one transaction)
CALL mysql.rds_set_configuration('binlog retention hours', 168);

-- drop
CALL mysql.rds_set_configuration('binlog retention hours', NULL);

-- exists
SELECT 1 FROM mysql.rds_configuration WHERE name = 'binlog retention hours' AND value = '168';
