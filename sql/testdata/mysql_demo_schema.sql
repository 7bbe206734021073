-- kind: table
-- name: `salesdb`.`CUSTOMER`

-- create (one transaction)
CREATE DATABASE IF NOT EXISTS `salesdb`;
CREATE TABLE IF NOT EXISTS `salesdb`.`CUSTOMER` (
    CUST_ID INT NOT NULL PRIMARY KEY,
    NAME VARCHAR(100) NOT NULL,
    MKTSEGMENT VARCHAR(100),
    UPDATED_AT TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
);
INSERT IGNORE INTO `salesdb`.`CUSTOMER` (CUST_ID, NAME, MKTSEGMENT) VALUES
    (1, 'Customer#000000001', 'BUILDING'),
    (2, 'Customer#000000002', 'AUTOMOBILE'),
    (3, 'Customer#000000003', 'MACHINERY');

-- update (one transaction)

-- drop
DROP TABLE IF EXISTS `salesdb`.`CUSTOMER`;

-- exists
SELECT 1 FROM information_schema.tables WHERE table_schema = 'salesdb' AND table_name = 'CUSTOMER';
