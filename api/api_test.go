package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"supportd/commands"
	"supportd/domain"
	"supportd/eventstore"
	"supportd/projections"
)

func newTestAPI(t *testing.T) http.Handler {
	t.Helper()
	e, err := New(Deps{Gatherer: prometheus.NewRegistry(), OperatorToken: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Every route the server registers is in the OpenAPI document, and every
// operation of the document is served.
func TestRoutesMatchDocument(t *testing.T) {
	e, err := New(Deps{Gatherer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := loadDocument()
	if err != nil {
		t.Fatal(err)
	}
	var served, documented []string
	for _, r := range e.Routes() {
		if r.Method == "echo_route_not_found" || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		path := r.Path
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, ":") {
				path = strings.Replace(path, seg, "{"+seg[1:]+"}", 1)
			}
		}
		served = append(served, r.Method+" "+path)
	}
	for path, item := range doc.spec.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(served)
	sort.Strings(documented)
	if fmt.Sprint(served) != fmt.Sprint(documented) {
		t.Errorf("routes and document differ\nserved:     %v\ndocumented: %v", served, documented)
	}
}

func TestEveryOperationHasAnExample(t *testing.T) {
	doc, err := loadDocument()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.spec.Paths.Map() {
		for method, op := range item.Operations() {
			found := false
			for _, r := range op.Responses.Map() {
				if r.Value == nil {
					continue
				}
				for _, mt := range r.Value.Content {
					if mt.Example != nil || mt.Examples != nil {
						found = true
					}
				}
			}
			if !found && path != "/metrics" && path != "/v1/openapi.json" {
				t.Errorf("%s %s has no response example", method, path)
			}
		}
	}
}

func TestProblemFor(t *testing.T) {
	cases := []struct {
		err    error
		status int
		typ    string
	}{
		{domain.Errorf(domain.Invalid, "x", "name", "bad"), 422, "validation"},
		{fmt.Errorf("wrapped: %w", domain.Errorf(domain.NotFound, "x", "", "missing")), 404, "not-found"},
		{domain.Errorf(domain.Conflict, "x", "", "exists"), 409, "conflict"},
		{domain.Errorf(domain.Forbidden, "x", "", "no"), 403, "forbidden"},
		{&eventstore.WrongVersionError{Stream: "s"}, 409, "concurrent-update"},
		{commands.ErrConflict, 409, "concurrent-update"},
		{commands.ErrVersionMismatch, 412, "precondition-failed"},
		{ErrNotFound, 404, "not-found"},
		{errors.New("disk on fire"), 500, "internal"},
		// The database away: the caller may try again.
		{fmt.Errorf("load: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}), 503, "unavailable"},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, 503, "unavailable"},
		{&pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}, 503, "unavailable"},
		{&pgconn.PgError{Code: "08006"}, 503, "unavailable"},
		{fmt.Errorf("read: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), 503, "unavailable"},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), 503, "unavailable"},
		{context.DeadlineExceeded, 503, "timeout"},
		{fmt.Errorf("wait: %w", projections.ErrStopped), 503, "unavailable"},
		{errTooManyStreams, 429, "too-many-streams"},
		// Not the database: a request's own fault stays what it is.
		{&pgconn.PgError{Code: "23505"}, 500, "internal"},
		{echo.NewHTTPError(400, "bad body").SetInternal(io.EOF), 400, "validation"},
	}
	for _, tc := range cases {
		p := problemFor(tc.err)
		if p.Status != tc.status || p.Type != tc.typ {
			t.Errorf("%v: got %d %s, want %d %s", tc.err, p.Status, p.Type, tc.status, tc.typ)
		}
		if (p.Status == 503 || p.Status == 429) != (p.retryAfter > 0) {
			t.Errorf("%v: %d with Retry-After %d", tc.err, p.Status, p.retryAfter)
		}
	}
}

func TestRequestsAreAuthenticatedAndValidated(t *testing.T) {
	h := newTestAPI(t)
	cases := []struct {
		name   string
		method string
		path   string
		token  string
		body   string
		status int
		detail string
	}{
		{"no token", "POST", "/v1/tenants", "", `{}`, 401, ""},
		{"missing name", "POST", "/v1/tenants", "secret", `{"tenant_id":"0190f3b0-0000-7000-8000-0000000000aa","admin":{"email":"a@b.c","nickname":"A","password":"12345678"}}`, 422, "name"},
		{"unknown field", "POST", "/v1/tenants", "secret", `{"tenant_id":"0190f3b0-0000-7000-8000-0000000000aa","name":"A","color":"red","admin":{"email":"a@b.c","nickname":"A","password":"12345678"}}`, 422, "color"},
		{"bad uuid", "POST", "/v1/tenants", "secret", `{"tenant_id":"nope","name":"A","admin":{"email":"a@b.c","nickname":"A","password":"12345678"}}`, 422, "tenant_id"},
		{"not json", "POST", "/v1/tenants", "secret", `{`, 422, ""},
		{"bad min_position", "GET", "/v1/tenant/settings?min_position=x", "secret", ``, 422, "min_position"},
		{"unknown route", "GET", "/v1/nothing", "secret", ``, 404, ""},
		{"open document", "GET", "/v1/openapi.json", "", ``, 200, ""},
		{"health", "GET", "/healthz", "", ``, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status >= 400 {
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("content type %q", ct)
				}
				var p Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tc.status || !strings.HasPrefix(p.Type, problemBase) {
					t.Errorf("problem %s (%v)", rec.Body, err)
				}
				if !strings.Contains(p.Detail, tc.detail) {
					t.Errorf("detail %q does not name %q", p.Detail, tc.detail)
				}
			}
		})
	}
}
