package fakeprovider

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
)

// RDS is an RDS API endpoint (the Query protocol) for haina's provider in
// tests: DescribeIntegrations and ModifyIntegration over the integrations the
// fake aws provider recorded in the fake cloud dir, with the rules AWS
// documents for a modified data filter. It serves 127.0.0.1 until Close.
type RDS struct {
	URL string
	Dir string

	// AfterModify are the states the next looks at an integration report
	// after a modification, in order, before it is active again (StartRDS:
	// modifying once, as AWS shows it). ModifyErrors are the errors a
	// needs_attention or failed state lists.
	AfterModify  []string
	ModifyErrors []string

	mu       sync.Mutex
	modified []string // the filters set, in order
	pending  map[string][]string
	srv      *httptest.Server
}

// StartRDS serves the fake cloud in dir.
func StartRDS(dir string) *RDS {
	r := &RDS{Dir: dir, AfterModify: []string{"modifying"}, pending: map[string][]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.handle))
	r.URL = r.srv.URL
	return r
}

// Close stops the server.
func (r *RDS) Close() { r.srv.Close() }

// Modified returns the data filters ModifyIntegration set, in order.
func (r *RDS) Modified() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.modified...)
}

type rdsIntegration struct {
	IntegrationArn  string                `xml:"IntegrationArn"`
	IntegrationName string                `xml:"IntegrationName"`
	SourceArn       string                `xml:"SourceArn"`
	TargetArn       string                `xml:"TargetArn"`
	DataFilter      string                `xml:"DataFilter,omitempty"`
	KMSKeyID        string                `xml:"KMSKeyId,omitempty"`
	Status          string                `xml:"Status"`
	Errors          []rdsIntegrationError `xml:"Errors>IntegrationError,omitempty"`
}

type rdsIntegrationError struct {
	Code    string `xml:"ErrorCode"`
	Message string `xml:"ErrorMessage"`
}

func (r *RDS) handle(w http.ResponseWriter, req *http.Request) {
	if err := req.ParseForm(); err != nil {
		rdsFail(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	action, arn := req.Form.Get("Action"), req.Form.Get("IntegrationIdentifier")
	switch action {
	case "DescribeIntegrations", "ModifyIntegration":
	default:
		rdsFail(w, http.StatusBadRequest, "InvalidAction", "the fake RDS endpoint does not implement "+action)
		return
	}
	found, err := findExisting(r.Dir, "aws:rds/integration:Integration", func(s map[string]any) bool { return str(s, "arn") == arn })
	if err != nil {
		rdsFail(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return
	}
	if found == nil {
		rdsFail(w, http.StatusNotFound, "IntegrationNotFoundFault", fmt.Sprintf("Integration %s not found.", arn))
		return
	}
	if action == "ModifyIntegration" {
		// "You can modify only the name, description, and data filtering
		// options" (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/zero-etl.modifying.html);
		// the filter's form is CreateIntegration's (checkDataFilter).
		for k := range req.Form {
			switch k {
			case "Action", "Version", "IntegrationIdentifier", "DataFilter", "IntegrationName", "Description":
			default:
				rdsFail(w, http.StatusBadRequest, "InvalidParameterCombination", k+" cannot be modified on an integration")
				return
			}
		}
		if f, ok := req.Form["DataFilter"]; ok {
			if f[0] == "" {
				// DataFilter is 1 to 25600 characters (API_ModifyIntegration.html,
				// "Length Constraints"; docs/research/zero-etl.md).
				rdsFail(w, http.StatusBadRequest, "InvalidParameterValue", "DataFilter must be 1 to 25600 characters")
				return
			}
			if err := checkDataFilter(f[0]); err != nil {
				rdsFail(w, http.StatusBadRequest, "InvalidParameterValue", err.Error())
				return
			}
			found.State["dataFilter"] = f[0]
			r.modified = append(r.modified, f[0])
			r.pending[arn] = append([]string(nil), r.AfterModify...)
			b, err := json.Marshal(found)
			if err == nil {
				err = os.WriteFile(cloudFile(r.Dir, found.URN), b, 0o644)
			}
			if err != nil {
				rdsFail(w, http.StatusInternalServerError, "InternalFailure", err.Error())
				return
			}
		}
	}
	// The fake has no replication to wait for: an integration is active,
	// but for the states a modification passes through.
	i := rdsIntegration{IntegrationArn: arn, IntegrationName: str(found.State, "integrationName"), SourceArn: str(found.State, "sourceArn"),
		TargetArn: str(found.State, "targetArn"), DataFilter: str(found.State, "dataFilter"), KMSKeyID: str(found.State, "kmsKeyId"), Status: "active"}
	if p := r.pending[arn]; len(p) > 0 {
		i.Status = p[0]
		if action == "DescribeIntegrations" {
			r.pending[arn] = p[1:]
		}
		if i.Status == "needs_attention" || i.Status == "failed" {
			for _, e := range r.ModifyErrors {
				i.Errors = append(i.Errors, rdsIntegrationError{Code: "NeedsAttention", Message: e})
			}
		}
	}
	var body any
	if action == "ModifyIntegration" {
		body = struct {
			XMLName xml.Name       `xml:"ModifyIntegrationResponse"`
			Result  rdsIntegration `xml:"ModifyIntegrationResult"`
		}{Result: i}
	} else {
		body = struct {
			XMLName      xml.Name         `xml:"DescribeIntegrationsResponse"`
			Integrations []rdsIntegration `xml:"DescribeIntegrationsResult>Integrations>Integration"`
		}{Integrations: []rdsIntegration{i}}
	}
	w.Header().Set("Content-Type", "text/xml")
	_ = xml.NewEncoder(w).Encode(body)
}

// rdsFail writes a Query-protocol error.
func rdsFail(w http.ResponseWriter, code int, errCode, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(code)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Type    string   `xml:"Error>Type"`
		Code    string   `xml:"Error>Code"`
		Message string   `xml:"Error>Message"`
	}{Type: "Sender", Code: errCode, Message: msg})
}
