package kafkatopics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// Request is the Lambda's input: the program's JSON plus the lifecycle key
// that aws.lambda.Invocation adds.
//
// With lifecycleScope "CRUD", the invocation resource (Terraform's
// aws_lambda_invocation underneath) injects a key, "tf" unless terraformKey
// says otherwise, with subkeys "action" ("create", "update" or "delete") and
// "prev_input" (the input of the previous invocation, null on create); see
// terraform-provider-aws website/docs/r/lambda_invocation.html.markdown,
// "CRUD Lifecycle Scope". The Pulumi side must leave terraformKey unset (or
// "tf"). Without the key (the default CREATE_ONLY scope, or a manual
// invoke) the request is treated as a create.
type Request struct {
	// Bootstrap is the IAM bootstrap brokers, host:port each (port 9098 on
	// MSK). MSK's bootstrapBrokersSaslIam is one comma-separated string:
	// split it before it goes here.
	Bootstrap []string   `json:"bootstrap"`
	Topics    []Topic    `json:"topics"`
	TF        *Lifecycle `json:"tf,omitempty"`
}

// Lifecycle is the "tf" key of a CRUD-scoped invocation.
type Lifecycle struct {
	Action string `json:"action"`
	// PrevInput is not acted on: the wanted state is always the current
	// input, and nothing is deleted.
	PrevInput json.RawMessage `json:"prev_input,omitempty"`
}

// Lifecycle actions.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// DeleteNote is the Result.Note of a delete.
const DeleteNote = "delete is a no-op: topics are kept because they hold the change history; deleting the MSK cluster removes them"

// Action is the lifecycle action the request asks for.
func (r Request) Action() string {
	if r.TF == nil || r.TF.Action == "" {
		return ActionCreate
	}
	return r.TF.Action
}

// Validate checks the request without contacting Kafka.
func (r Request) Validate() error {
	var errs []error
	if len(r.Bootstrap) == 0 {
		errs = append(errs, fmt.Errorf("%w: bootstrap is empty", ErrInvalid))
	}
	for _, b := range r.Bootstrap {
		if strings.Contains(b, ",") {
			errs = append(errs, fmt.Errorf("%w: bootstrap entry %q holds a comma: split the broker list into one host:port per entry", ErrInvalid, b))
			continue
		}
		if host, port, err := net.SplitHostPort(b); err != nil || host == "" || port == "" {
			errs = append(errs, fmt.Errorf("%w: bootstrap entry %q is not host:port", ErrInvalid, b))
		}
	}
	if len(r.Topics) == 0 {
		// An empty list is surely a wiring mistake, not a wish.
		errs = append(errs, fmt.Errorf("%w: no topics", ErrInvalid))
	}
	if err := ValidateTopics(r.Topics); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Handle serves one invocation. newAdmin connects to the brokers; the Lambda
// passes one that dials TLS with IAM auth, tests one that dials a plaintext
// kfake cluster. The client it returns is closed here.
func Handle(ctx context.Context, req Request, newAdmin func(bootstrap []string) (*kadm.Client, error)) (Result, error) {
	res := newResult()
	res.Action = req.Action()
	switch res.Action {
	case ActionDelete:
		// Deliberately no Kafka call and no validation: the topics hold
		// the CDC change history, which outlives this invocation resource
		// (a replace or a rename must not wipe it), and on a full destroy
		// deleting the cluster removes the topics anyway. Not connecting
		// also keeps a destroy from hanging on a cluster already gone.
		res.Note = DeleteNote
		return res, nil
	case ActionCreate, ActionUpdate:
		// An update ensures the new input. Topics dropped from the list
		// since prev_input are kept, for the same reason as on delete.
	default:
		return res, fmt.Errorf("%w: unknown lifecycle action %q (want create, update or delete)", ErrInvalid, res.Action)
	}
	if err := req.Validate(); err != nil {
		return res, err
	}
	adm, err := newAdmin(req.Bootstrap)
	if err != nil {
		return res, fmt.Errorf("connecting to %v: %w", req.Bootstrap, err)
	}
	defer adm.Close()
	out, err := Ensure(ctx, adm, req.Topics)
	out.Action = res.Action
	return out, err
}
