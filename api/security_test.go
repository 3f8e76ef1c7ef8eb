package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestReadyHidesErrors: /readyz says a check failed, never how: database
// errors name hosts, users and databases.
func TestReadyHidesErrors(t *testing.T) {
	e, err := New(Deps{Gatherer: prometheus.NewRegistry(), Checks: map[string]func(context.Context) error{
		"database": func(context.Context) error {
			return errors.New(`failed to connect to host=db.internal user=supportd database=prod: password authentication failed`)
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, `"database":"unavailable"`) {
		t.Fatalf("readyz %d %s", rec.Code, body)
	}
	for _, leak := range []string{"db.internal", "supportd", "prod", "password"} {
		if strings.Contains(body, leak) {
			t.Errorf("readyz shows %q: %s", leak, body)
		}
	}
}
