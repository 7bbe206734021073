-- events-per-minute
SELECT minute, "gender", events FROM "ingest"."events_per_minute" WHERE minute > DATEADD(hour, -1, GETDATE()) ORDER BY minute DESC, events DESC;
-- failed-records
SELECT approximate_arrival_timestamp, shard_id, sequence_number, FROM_VARBYTE(failed_payload, 'utf8') AS raw FROM "ingest"."events_landing" WHERE failed_payload IS NOT NULL ORDER BY approximate_arrival_timestamp DESC LIMIT 20;
-- failed-refreshes
SELECT start_time, status, error_message, TRIM(query_text) AS statement FROM sys_query_history WHERE query_text LIKE 'CALL "ingest"."refresh_views"%' AND status = 'failed' ORDER BY start_time DESC LIMIT 20;
-- latest-events
SELECT event_time, event_name, "user" FROM "ingest"."events" ORDER BY approximate_arrival_timestamp DESC LIMIT 20;
-- refresh-now
REFRESH MATERIALIZED VIEW "ingest"."events_per_minute" CASCADE;
-- scan-errors
SELECT record_time, stream_name, partition_id, position, error_code, error_reason FROM sys_stream_scan_errors ORDER BY record_time DESC LIMIT 20;
