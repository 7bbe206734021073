-- kind: user
-- name: 'debezium'@'%'

-- create (one transaction)
CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY :generated_password REQUIRE SSL;
ALTER USER 'debezium'@'%' IDENTIFIED BY :generated_password REQUIRE SSL;
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%';

-- update (one transaction)
ALTER USER 'debezium'@'%' REQUIRE SSL;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'debezium'@'%';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%';

-- drop
DROP USER IF EXISTS 'debezium'@'%';

-- exists
SELECT 1 FROM mysql.user WHERE user = 'debezium' AND host = '%';
