package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"supportd/eventschema"
	"supportd/projections"
)

const operatorToken = "fault-op-token"

// maxConns bounds the server's PostgreSQL connections to the least it
// accepts (one per projector and 8 more), as the other test servers do.
var maxConns = strconv.Itoa(len(projections.All(eventschema.Catalog())) + 8)

// binDir holds the binary buildSupportd built; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildSupportd builds the server binary once per test run.
var buildSupportd = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "supportd-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "supportd")
	out, err := exec.Command("go", "build", "-o", bin, "supportd/cmd/supportd").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

// freePort answers a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// server is a supportd subprocess.
type server struct {
	t      *testing.T
	bin    string
	dbURL  string
	addr   string
	base   string
	log    *os.File
	cmd    *exec.Cmd
	exited chan error // receives the process's end
}

// startSupportd runs supportd on dbURL and waits until it is ready.
func startSupportd(t *testing.T, dbURL string) *server {
	t.Helper()
	s := newSupportd(t, dbURL)
	s.start()
	return s
}

// newSupportd prepares a supportd subprocess on dbURL without starting it.
func newSupportd(t *testing.T, dbURL string) *server {
	t.Helper()
	bin, err := buildSupportd()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	log, err := os.Create(filepath.Join(t.TempDir(), "supportd.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, bin: bin, dbURL: dbURL, addr: "127.0.0.1:" + strconv.Itoa(port), log: log}
	s.base = "http://" + s.addr
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("supportd log (end):\n%s", b)
		}
		log.Close()
	})
	return s
}

// start launches the process and waits until /readyz answers 200.
func (s *server) start() {
	s.t.Helper()
	s.launch()
	s.await("/readyz")
}

// launch starts the process.
func (s *server) launch() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--addr", s.addr, "--database-url", s.dbURL, "--operator-token", operatorToken,
		"--password-cost", "4", "--db-max-conns", maxConns, "--log-format", "text")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, exited chan error) { exited <- cmd.Wait() }(s.cmd, s.exited)
}

// await waits until path answers 200; it fails the test if the process
// ends first.
func (s *server) await(path string) {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.base + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			s.t.Fatalf("supportd exited before %s answered: %v", path, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("supportd's %s did not answer 200 in time", path)
		}
	}
}

// kill sends SIGKILL and waits for the process to end.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.exited <- errors.New("killed")
}

// stop ends the process gracefully if it still runs.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case err := <-s.exited:
		s.exited <- err
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.exited
	}
	s.exited <- errors.New("stopped")
}

// running fails the test if the process has ended.
func (s *server) running(when string) {
	s.t.Helper()
	select {
	case err := <-s.exited:
		s.exited <- err
		s.t.Fatalf("supportd exited (%s): %v", when, err)
	default:
	}
}

// call sends a JSON request and answers the status, the Retry-After header
// and the decoded answer; err is a transport error.
func call(ctx context.Context, method, url, token, body string, headers ...string) (int, string, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &out)
	}
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), out, nil
}

// setUp creates a tenant and answers its admin's token.
func setUp(t *testing.T, base string) (tenantID, token string) {
	t.Helper()
	ctx := context.Background()
	tenantID = uuid.Must(uuid.NewV7()).String()
	code, _, out, err := call(ctx, "POST", base+"/v1/tenants", operatorToken, fmt.Sprintf(
		`{"tenant_id":%q,"name":"Acme","time_zone":"Europe/Berlin","set_up":false,"admin":{"email":"boss@acme.example","nickname":"Boss","password":"correct-horse"}}`, tenantID))
	if err != nil || code != 201 {
		t.Fatalf("create tenant: %d %v %v", code, out, err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, _, out, err = call(ctx, "POST", base+"/v1/sessions", "", fmt.Sprintf(
			`{"tenant_id":%q,"email":"boss@acme.example","password":"correct-horse"}`, tenantID))
		if err == nil && code == 201 {
			return tenantID, out["token"].(string)
		}
		if time.Now().After(deadline) {
			t.Fatalf("sign in: %d %v %v", code, out, err)
		}
	}
}

// load is 16 clients creating teams, each team once: a request that gets
// no answer, or 503, is sent again with the same Idempotency-Key until it
// gets a 2xx, so that the log must hold each team exactly once.
type load struct {
	mu       sync.Mutex
	acked    map[string]bool // team names answered 2xx
	tried    map[string]bool
	statuses map[int]int   // answers by status
	unavail  int           // 503s
	noRetry  int           // 503s without Retry-After
	slow503  time.Duration // the slowest 503
	other    []string      // unexpected answers
	lastOK   time.Time
	paused   atomic.Bool // clients send nothing new while set
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

const clients = 16

func startLoad(base, token string) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{acked: map[string]bool{}, tried: map[string]bool{}, statuses: map[int]int{}, cancel: cancel}
	for c := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				for l.paused.Load() && ctx.Err() == nil {
					time.Sleep(20 * time.Millisecond)
				}
				name := fmt.Sprintf("c%02d-%05d", c, n)
				l.mu.Lock()
				l.tried[name] = true
				l.mu.Unlock()
				for ctx.Err() == nil {
					rctx, rcancel := context.WithTimeout(ctx, 15*time.Second)
					start := time.Now()
					code, retry, out, err := call(rctx, "POST", base+"/v1/teams", token, fmt.Sprintf(`{"name":%q}`, name), "Idempotency-Key", name)
					took := time.Since(start)
					rcancel()
					if ctx.Err() != nil {
						return
					}
					l.mu.Lock()
					done := false
					switch {
					case err != nil:
						// Not answered (the server is away): send it again.
					case code >= 200 && code < 300:
						l.acked[name], l.lastOK, done = true, time.Now(), true
					case code == 503:
						l.unavail++
						if retry == "" {
							l.noRetry++
						}
						l.slow503 = max(l.slow503, took)
					default:
						if len(l.other) < 20 {
							l.other = append(l.other, fmt.Sprintf("%s: %d %v", name, code, out))
						}
					}
					if err == nil {
						l.statuses[code]++
					}
					l.mu.Unlock()
					if done {
						break
					}
					if err != nil || code == 503 {
						time.Sleep(50 * time.Millisecond) // a client's pause before it tries again
					} else {
						break // refused for good: a new team
					}
				}
			}
		}()
	}
	return l
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// okSince reports whether a command succeeded after at.
func (l *load) okSince(at time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastOK.After(at)
}

func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// awaitOK waits until a command succeeds after at, failing at once if
// the server exits.
func awaitOK(t *testing.T, srv *server, l *load, at time.Time, what string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !l.okSince(at); time.Sleep(20 * time.Millisecond) {
		srv.running(what)
		if time.Now().After(deadline) {
			t.Fatalf("no command succeeded %s", what)
		}
	}
}

// checkLog requires every acknowledged team of the load in the log exactly
// once, and no team of the load more than once.
func checkLog(t *testing.T, dbURL, tenantID string, l *load) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT data->>'name', count(*) FROM events
		WHERE type = 'TeamCreated' AND metadata->>'tenant_id' = $1 AND data->>'name' ~ '^c[0-9]+-[0-9]+$' GROUP BY 1`, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	inLog := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		inLog[name] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lost := 0
	for name := range l.acked {
		if inLog[name] == 0 {
			lost++
			if lost < 5 {
				t.Errorf("team %s was acknowledged but is not in the log", name)
			}
		}
	}
	for name, n := range inLog {
		if n != 1 {
			t.Errorf("team %s is in the log %d times", name, n)
		}
		if !l.tried[name] {
			t.Errorf("team %s is in the log but was never sent", name)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged teams lost", lost, len(l.acked))
	}
	t.Logf("%d teams acknowledged, %d in the log, answers %v, 503s %d (slowest %s)", len(l.acked), len(inLog), l.statuses, l.unavail, l.slow503)
	for _, o := range l.other {
		t.Errorf("unexpected answer %s", o)
	}
}
