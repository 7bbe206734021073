-- IngestLagSeconds (Seconds) of ingest.events_landing
SELECT DATEDIFF(second, MAX(approximate_arrival_timestamp), GETDATE()) FROM "ingest"."events_landing";
-- FailedParses (Count) of ingest.events_landing
SELECT COUNT(*) FROM "ingest"."events_landing" WHERE failed_payload IS NOT NULL AND refresh_time >= CAST(:since AS TIMESTAMP) AND approximate_arrival_timestamp >= DATEADD(hour, -24, GETDATE());
-- StreamScanErrors (Count) of ingest.events_landing
SELECT COUNT(*) FROM sys_stream_scan_errors WHERE record_time >= CAST(:since AS TIMESTAMP) AND TRIM(external_schema_name) = 'kds' AND TRIM(mv_name) = 'events_landing';
-- RefreshFailures (Count) of materialized-views
SELECT COUNT(*) FROM sys_mv_refresh_history WHERE start_time >= CAST(:since AS TIMESTAMP) AND TRIM(schema_name) IN ('ingest', 'cdc') AND (status ILIKE '%fail%' OR status ILIKE '%abort%');
-- LoadFailures (Count) of ingest.events_history
SELECT COUNT(*) FROM sys_load_history WHERE start_time >= DATEADD(minute, -10, CAST(:since AS TIMESTAMP)) AND TRIM(table_name) = 'events_history' AND (status = 'aborted' OR error_count > 0);
-- StreamScanErrors (Count) of cdc.salesdb.CUSTOMER_changes
SELECT COUNT(*) FROM sys_stream_scan_errors WHERE record_time >= CAST(:since AS TIMESTAMP) AND TRIM(external_schema_name) = 'cdc_msk' AND TRIM(mv_name) = 'salesdb.CUSTOMER_changes';
-- CdcPendingAgeSeconds (Seconds) of customer
SELECT COALESCE(DATEDIFF(second, MIN(l.kafka_timestamp), GETDATE()), 0) FROM "cdc"."salesdb.CUSTOMER_changes" l LEFT JOIN "cdc"."apply_offsets" w ON w.target_table = 'customer' AND w.kafka_partition = l.kafka_partition WHERE l.kafka_offset > COALESCE(w.last_offset, -1);
-- CdcLagSeconds (Seconds) of customer
SELECT DATEDIFF(second, TIMESTAMP 'epoch' + MAX(l.payload."source"."ts_ms"::BIGINT) / 1000 * INTERVAL '1 second', GETDATE()) FROM "cdc"."salesdb.CUSTOMER_changes" l JOIN "cdc"."apply_offsets" w ON w.target_table = 'customer' AND w.kafka_partition = l.kafka_partition WHERE l.kafka_offset <= w.last_offset AND l.kafka_offset > w.last_offset - 1000 AND l.payload IS NOT NULL;
-- CdcApplyRejects (Count) of customer
SELECT COUNT(*) FROM "cdc"."apply_rejects" WHERE target_table = 'customer' AND rejected_at >= CAST(:since AS TIMESTAMP);
-- CdcChangesApplied (Count) of customer
SELECT COALESCE(SUM(upserts + deletes), 0) FROM "cdc"."apply_runs" WHERE target_table = 'customer' AND finished_at >= CAST(:since AS TIMESTAMP);
