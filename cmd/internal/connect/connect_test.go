package connect

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestTimeouts: the server's statement and connect timeouts apply unless
// the database URL sets its own.
func TestTimeouts(t *testing.T) {
	for _, tc := range []struct {
		url       string
		statement string
		connect   time.Duration
	}{
		{"postgres://u@h/db", "30000", 5 * time.Second},
		{"postgres://u@h/db?statement_timeout=1000&connect_timeout=2", "1000", 2 * time.Second},
	} {
		cfg, err := pgxpool.ParseConfig(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		Timeouts(30*time.Second, 5*time.Second)(cfg)
		if got := cfg.ConnConfig.RuntimeParams["statement_timeout"]; got != tc.statement {
			t.Errorf("%s: statement_timeout %q, want %q", tc.url, got, tc.statement)
		}
		if got := cfg.ConnConfig.ConnectTimeout; got != tc.connect {
			t.Errorf("%s: connect timeout %s, want %s", tc.url, got, tc.connect)
		}
	}
	cfg, _ := pgxpool.ParseConfig("postgres://u@h/db")
	Timeouts(0, 0)(cfg)
	if _, set := cfg.ConnConfig.RuntimeParams["statement_timeout"]; set || cfg.ConnConfig.ConnectTimeout != 0 {
		t.Errorf("zero timeouts changed the configuration: %v %s", cfg.ConnConfig.RuntimeParams, cfg.ConnConfig.ConnectTimeout)
	}
}
