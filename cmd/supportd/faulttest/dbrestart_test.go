package faulttest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// cluster is a private PostgreSQL cluster on a free port.
type cluster struct {
	t      *testing.T
	bin    string // the directory of initdb and pg_ctl
	dir    string
	port   int
	asUser []string // the command prefix that runs as user postgres, if root
}

// startCluster initdbs and starts a cluster, stopped and removed when the
// test ends. It skips the test when no PostgreSQL binaries are installed.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		t.Skip("no initdb under /usr/lib/postgresql/*/bin: this test needs the PostgreSQL server binaries")
	}
	sort.Strings(found)
	c := &cluster{t: t, bin: filepath.Dir(found[len(found)-1]), port: freePort(t)}
	dir, err := os.MkdirTemp("", "supportd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		// initdb refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and no user postgres to run initdb as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	c.start()
	t.Cleanup(func() { _ = c.ctl("stop", "-m", "immediate") })
	return c
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *cluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/supportd?sslmode=disable", c.port)
}

func (c *cluster) command(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string(nil), c.asUser...), filepath.Join(c.bin, name)), args...)
	return exec.Command(argv[0], argv[1:]...)
}

func (c *cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.command(name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s: %v: %s", name, err, out)
	}
}

// ctl runs pg_ctl with the cluster's options.
func (c *cluster) ctl(action string, args ...string) error {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60",
		c.port, c.dir)
	argv := append([]string{action, "-D", c.data(), "-w", "-t", "60", "-l", filepath.Join(c.dir, "log"), "-o", opts}, args...)
	out, err := c.command("pg_ctl", argv...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v: %s", action, err, out)
	}
	return nil
}

func (c *cluster) start() {
	c.t.Helper()
	if err := c.ctl("start"); err != nil {
		c.t.Fatal(err)
	}
}

// TestDatabaseRestartAndOutage: supportd on a private cluster, under load
// from 16 clients, lives through a fast restart of PostgreSQL and a 10 s
// outage: commands answer 503 with Retry-After, quickly, while it is away;
// the process never exits; it recovers without a restart; every
// acknowledged command's events are in the log exactly once, and the read
// models catch up.
func TestDatabaseRestartAndOutage(t *testing.T) {
	pg := startCluster(t)
	srv := startSupportd(t, pg.url())
	tenantID, token := setUp(t, srv.base)
	l := startLoad(srv.base, token)
	defer l.stop()
	awaitOK(t, srv, l, time.Now(), "before the restart")

	// Each fault comes after a quiet moment, when every reader of the log
	// has caught up and waits for new events, polling: a reader that does
	// not survive its poll failing ends the process.
	quiet := func() {
		l.paused.Store(true)
		time.Sleep(2 * time.Second) // quiet for longer than the store's poll interval
	}

	// A fast restart: every connection is terminated by the server.
	quiet()
	if err := pg.ctl("restart", "-m", "fast"); err != nil {
		t.Fatal(err)
	}
	l.paused.Store(false)
	restarted := time.Now()
	awaitOK(t, srv, l, restarted, "after PostgreSQL restarted")
	srv.running("after PostgreSQL restarted")

	// An outage of 10 s.
	l.mu.Lock()
	before503 := l.unavail
	l.mu.Unlock()
	quiet()
	if err := pg.ctl("stop", "-m", "fast"); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	for time.Since(stopped) < 10*time.Second {
		if time.Since(stopped) > 2*time.Second {
			l.paused.Store(false) // commands while it is down
		}
		srv.running("while PostgreSQL was down")
		time.Sleep(100 * time.Millisecond) // the outage lasts 10 s whatever happens
	}
	l.mu.Lock()
	during503, noRetry, slowest := l.unavail-before503, l.noRetry, l.slow503
	l.mu.Unlock()
	if during503 == 0 {
		t.Error("no 503 while PostgreSQL was down")
	}
	if noRetry > 0 {
		t.Errorf("%d answers 503 without Retry-After", noRetry)
	}
	if slowest > 6*time.Second {
		t.Errorf("the slowest 503 took %s", slowest)
	}
	pg.start()
	awaitOK(t, srv, l, time.Now(), "after PostgreSQL came back")
	srv.running("after PostgreSQL came back")
	time.Sleep(time.Second) // a little more load after recovery
	l.stop()

	// The read models catch up: /readyz answers 200 (every projector
	// running, the database answering).
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, _, out, err := call(ctx, "GET", srv.base+"/readyz", "", "")
		if err == nil && code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz: %d %v %v", code, out, err)
		}
	}
	checkLog(t, pg.url(), tenantID, l)
	srv.running("at the end")
	t.Logf("503s while down: %d", during503)
}
