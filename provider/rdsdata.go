package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
)

// RDSDataAPI is the part of the RDS Data API client haina uses.
type RDSDataAPI interface {
	ExecuteStatement(context.Context, *rdsdata.ExecuteStatementInput, ...func(*rdsdata.Options)) (*rdsdata.ExecuteStatementOutput, error)
	BeginTransaction(context.Context, *rdsdata.BeginTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.BeginTransactionOutput, error)
	CommitTransaction(context.Context, *rdsdata.CommitTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.CommitTransactionOutput, error)
	RollbackTransaction(context.Context, *rdsdata.RollbackTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.RollbackTransactionOutput, error)
}

// MySQLRunner runs statements on Aurora MySQL through the RDS Data API. The
// API is synchronous; a batch runs in one transaction, though MySQL commits
// DDL implicitly, so setup statements are written to be re-runnable.
type MySQLRunner struct{ API RDSDataAPI }

// Batch runs sqls in order in one transaction; the first failure rolls back
// and names the statement and the database's message. A failed
// CommitTransaction leaves the outcome unknown (the commit may have been
// applied before the call failed): an OutcomeUnknownError.
func (r *MySQLRunner) Batch(ctx context.Context, t Target, sqls []string, timeout time.Duration) error {
	if len(sqls) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tx, err := r.API.BeginTransaction(ctx, &rdsdata.BeginTransactionInput{
		ResourceArn: aws.String(t.ResourceArn), SecretArn: aws.String(t.SecretArn), Database: optional(t.Database),
	})
	if err != nil {
		return fmt.Errorf("beginning a transaction on %s: %w", t.ResourceArn, err)
	}
	for i, q := range sqls {
		if _, err := r.API.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(t.ResourceArn), SecretArn: aws.String(t.SecretArn), Database: optional(t.Database),
			Sql: aws.String(q), TransactionId: tx.TransactionId,
		}); err != nil {
			rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, rerr := r.API.RollbackTransaction(rctx, &rdsdata.RollbackTransactionInput{
				ResourceArn: aws.String(t.ResourceArn), SecretArn: aws.String(t.SecretArn), TransactionId: tx.TransactionId,
			})
			rcancel()
			// MySQL commits DDL implicitly: a rollback undoes only what ran since the last DDL.
			rolled := "the transaction was rolled back"
			if rerr != nil {
				rolled = fmt.Sprintf("rolling the transaction back failed (%v); the Data API rolls back a transaction left unused for 3 minutes", rerr)
			}
			if ctx.Err() != nil {
				return fmt.Errorf("statement %d of %d did not finish within %s; %s", i+1, len(sqls), timeout, rolled)
			}
			return fmt.Errorf("statement %d of %d failed: %v\n  SQL: %s\n  (%s)", i+1, len(sqls), err, abbreviate(q), rolled)
		}
	}
	if _, err := r.API.CommitTransaction(ctx, &rdsdata.CommitTransactionInput{
		ResourceArn: aws.String(t.ResourceArn), SecretArn: aws.String(t.SecretArn), TransactionId: tx.TransactionId,
	}); err != nil {
		return &OutcomeUnknownError{What: "transaction " + aws.ToString(tx.TransactionId) + " on " + t.ResourceArn,
			Reason: fmt.Sprintf("ran its %d statement(s), but committing it failed (%v)", len(sqls), err), Err: err}
	}
	return nil
}

// Query runs one statement and returns how many rows it returned.
func (r *MySQLRunner) Query(ctx context.Context, t Target, sql string, timeout time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := r.API.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
		ResourceArn: aws.String(t.ResourceArn), SecretArn: aws.String(t.SecretArn), Database: optional(t.Database), Sql: aws.String(sql),
	})
	if err != nil {
		return 0, fmt.Errorf("query failed: %v\n  SQL: %s", err, abbreviate(sql))
	}
	return int64(len(out.Records)), nil
}
