-- kind: copy-job
-- name: "haina_staging_events_history"

-- create (one transaction)
COPY "ingest"."events_history" (event_time, event_name, "user")
FROM 's3://haina-staging-lake-123456789012-us-east-1/redshift-events/'
IAM_ROLE 'arn:aws:iam::123456789012:role/haina-staging-redshift-streaming'
FORMAT JSON 'auto ignorecase'
GZIP
TIMEFORMAT 'auto'
JOB CREATE "haina_staging_events_history"
AUTO ON;

-- update (one transaction)

-- drop
COPY JOB DROP "haina_staging_events_history";

-- exists
SELECT 1 FROM sys_copy_job WHERE job_name = 'haina_staging_events_history';
