-- kind: configuration
-- name: binlog retention hours

-- create (one transaction)
CALL mysql.rds_set_configuration('binlog retention hours', 168);

-- update (one transaction)
CALL mysql.rds_set_configuration('binlog retention hours', 168);

-- drop
SELECT 'binlog retention hours left as it is';

-- exists
SELECT 1 FROM mysql.rds_configuration WHERE name = 'binlog retention hours' AND value = '168';
