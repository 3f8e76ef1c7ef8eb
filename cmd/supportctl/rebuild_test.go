package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"supportd/eventstore/postgres/pgtest"
	"supportd/readmodels"
)

func TestRebuildCommand(t *testing.T) {
	t.Parallel()
	f := newLogFixture(t)
	acme := f.createTenant(t, "Acme", 3)
	globex := f.createTenant(t, "Globex", 0)
	// The store holds back events while older transactions anywhere on the
	// server run; rebuild reads what is visible, so wait for all of it.
	deadline := time.Now().Add(time.Minute)
	for len(f.all(t)) < 5 {
		if time.Now().After(deadline) {
			t.Fatal("the log never showed all 5 events")
		}
		time.Sleep(5 * time.Millisecond)
	}

	var stdout, stderr bytes.Buffer
	err := runRebuild(context.Background(), []string{"tenants", "--database-url", f.url, "--event-store", "postgres"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("rebuild: %v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "rebuilt tenants: 5 events in ") {
		t.Errorf("stdout = %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "rebuild tenants") || !strings.Contains(stderr.String(), "events/s") {
		t.Errorf("no progress on stderr: %q", stderr.String())
	}

	pool := pgtest.Pool(t, f.url)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		settings int
	}{{"Acme", 1}, {"Globex", 0}} {
		id := acme
		if tc.name == "Globex" {
			id = globex
		}
		tenant, err := readmodels.GetTenant(ctx, pool, id)
		if err != nil || tenant.Name != tc.name {
			t.Errorf("tenant %s = %+v, %v", tc.name, tenant, err)
		}
		settings, err := readmodels.GetTenantSettings(ctx, pool, id)
		if err != nil || len(settings) != tc.settings {
			t.Errorf("settings of %s = %+v, %v", tc.name, settings, err)
		}
	}
	s, err := readmodels.GetTenantSetting(ctx, pool, acme, "agent_no_reply_timeout")
	if err != nil || string(s.Value) != `{"seconds": 240}` || s.Version != 3 {
		t.Errorf("setting = %+v (%s), %v", s, s.Value, err)
	}
	cps, err := readmodels.ListCheckpoints(ctx, pool)
	if err != nil || len(cps) != 1 || cps[0].Projector != "tenants" || cps[0].Commit == 0 {
		t.Errorf("checkpoints = %+v, %v", cps, err)
	}

	// Again, quietly: the same rows.
	stdout.Reset()
	stderr.Reset()
	if err := runRebuild(ctx, []string{"--quiet", "--database-url", f.url, "tenants"}, &stdout, &stderr); err != nil {
		t.Fatalf("second rebuild: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("--quiet wrote %q", stderr.String())
	}
	if again, err := readmodels.GetTenantSettings(ctx, pool, acme); err != nil || len(again) != 1 || string(again[0].Value) != `{"seconds": 240}` {
		t.Errorf("after the second rebuild: %+v, %v", again, err)
	}
}

func TestRebuildCommandRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no name", nil, "name one read model"},
		{"two names", []string{"tenants", "tenants"}, "name one read model"},
		{"unknown read model", []string{"nonesuch"}, `no read model "nonesuch": want one of tenants`},
		{"unknown flag", []string{"--nonesuch", "tenants"}, "nonesuch"},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		err := runRebuild(context.Background(), tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
