package ddbtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtx"
	"github.com/parcours/parcours/internal/modroot"
	"github.com/parcours/parcours/internal/profile"
)

// Dynalite is a dynalite process (npm, pinned in package.json, in memory)
// on a loopback port, served to clients through the transaction front
// (internal/ddbtx, Standalone) and the TTL operations dynalite lacks; see
// the package comment for what each side answers.
type Dynalite struct {
	URL    string           // the endpoint clients use (the front), e.g. http://127.0.0.1:41234
	Client *dynamodb.Client // a real SDK client; SDK retries are off so failures show at once
	proc   *nodeProcess
	http   *httptest.Server
}

// StartDynalite runs a dynalite process of its own until the test ends
// (killed and reaped at tb.Cleanup; its stderr is logged if the test
// failed). If node or dynalite is not installed the test fails, telling to
// run `make npm`: it never skips.
func StartDynalite(tb testing.TB) *Dynalite {
	tb.Helper()
	d, err := startDynalite()
	if err != nil {
		tb.Fatalf("ddbtest: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			d.logStderr(tb)
		}
		d.stop()
	})
	return d
}

// NewTable creates a fresh, empty table with the project's schema
// (profile.CreateTable), waits until dynalite says it is ACTIVE, and
// returns its name.
func (d *Dynalite) NewTable(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("parcours-test-%d", tables.Add(1))
	ctx := context.Background()
	if err := profile.CreateTable(ctx, d.Client, name); err != nil {
		tb.Fatalf("ddbtest: dynalite: %v", err)
	}
	for {
		out, err := d.Client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			tb.Fatalf("ddbtest: dynalite: describe %s: %v", name, err)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			return name
		}
		time.Sleep(time.Millisecond) // --createTableMs 0: active on dynalite's next tick
	}
}

func (d *Dynalite) stop() {
	d.http.Close()
	d.proc.stop()
}

func (d *Dynalite) logStderr(tb testing.TB) {
	tb.Helper()
	if s := d.proc.stderr(); s != "" {
		tb.Logf("dynalite stderr:\n%s", s)
	}
}

// ForEachBackend runs f as a subtest on each DynamoDB implementation, each
// time with a real SDK client and a fresh table: minidyn (Start, its own
// server per subtest) and dynalite (one process per test package when its
// TestMain calls Main, else one per subtest).
func ForEachBackend(t *testing.T, f func(t *testing.T, db *dynamodb.Client, table string)) {
	t.Helper()
	t.Run("minidyn", func(t *testing.T) {
		db, table := New(t)
		f(t, db, table)
	})
	t.Run("dynalite", func(t *testing.T) {
		d := SharedDynalite(t)
		f(t, d.Client, d.NewTable(t))
	})
}

// shared is the package's dynalite when its TestMain calls Main.
var shared struct {
	sync.Mutex
	main bool // Main is running the tests: it stops the process
	d    *Dynalite
	err  error // the first start's failure, given to every later test
}

// Main runs a test package's tests (from its TestMain) with one dynalite
// process shared by SharedDynalite and ForEachBackend, started by the
// first test that needs it and stopped (killed and reaped) after the last:
//
//	func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }
func Main(m *testing.M) int {
	shared.Lock()
	shared.main = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.d != nil {
		if code != 0 {
			if s := shared.d.proc.stderr(); s != "" {
				fmt.Fprintf(os.Stderr, "dynalite stderr:\n%s\n", s)
			}
		}
		shared.d.stop()
		shared.d = nil
	}
	return code
}

// SharedDynalite returns the package's dynalite process (see Main), or
// without Main a process of the test's own (StartDynalite). Tests sharing
// it use tables of their own (NewTable).
func SharedDynalite(tb testing.TB) *Dynalite {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.main {
		return StartDynalite(tb)
	}
	if shared.d == nil && shared.err == nil {
		shared.d, shared.err = startDynalite()
	}
	if shared.err != nil {
		tb.Fatalf("ddbtest: %v", shared.err)
	}
	d := shared.d
	tb.Cleanup(func() {
		if tb.Failed() {
			d.logStderr(tb)
		}
	})
	return d
}

// startDynalite starts the process on a free loopback port (retrying when
// another process took the port first) and the front in front of it.
func startDynalite() (*Dynalite, error) {
	node, cli, err := dynalitePaths()
	if err != nil {
		return nil, err
	}
	var p *nodeProcess
	for attempt := 0; ; attempt++ {
		port, perr := freePort()
		if perr != nil {
			return nil, fmt.Errorf("dynalite: pick a port: %w", perr)
		}
		p, err = startNode(node, cli, port)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || attempt == 4 {
			return nil, err
		}
	}
	target := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))}
	front := ddbtx.New(backendProxy(target), ddbtx.Options{Standalone: true})
	hs := httptest.NewServer(withTTL(front))
	return &Dynalite{
		URL:    hs.URL,
		Client: NewClient(hs.URL, func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} }),
		proc:   p,
		http:   hs,
	}, nil
}

// backendProxy passes requests to dynalite at target. It reads each
// request's body whole before proxying it: the Transport's write loop
// reads a body once more after its Content-Length to check it ended, and
// if dynalite has answered by then, the server has closed the inbound
// body (it discards what the handler left unread once the response
// starts), that read fails, and the Transport closes the connection in the
// middle of the response. The client then got a truncated answer
// ("deserialization failed, unexpected EOF"; CI saw it on a Scan in
// TestBackendsEraseContract/dynalite). TestBackendProxyReadsBodyFirst
// reproduces that ordering.
func backendProxy(target *url.URL) http.Handler {
	proxy := &httputil.ReverseProxy{
		// A transport of its own: other tests' httptest servers close
		// http.DefaultTransport's idle connections when they stop, and
		// dynalite (Node's http server) drops a keep-alive connection
		// after 5 s idle, so a connection idle longer than that is closed
		// here first (a request sent on one Node is closing fails, and a
		// proxied POST is not retried).
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     2 * time.Second,
		},
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// dynalite checks that a request is signed (not the signature):
			// the front's own calls are not.
			if pr.Out.Header.Get("Authorization") == "" {
				pr.Out.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
				pr.Out.Header.Set("X-Amz-Date", "20260101T000000Z")
			}
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			ddbtx.WriteAWSError(w, http.StatusBadGateway, "InternalServerError", "ddbtest: dynalite unreachable")
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			ddbtx.WriteAWSError(w, http.StatusBadRequest, "SerializationException", "unreadable body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		proxy.ServeHTTP(w, r)
	})
}

// withTTL answers UpdateTimeToLive (dynalite has none) and
// DescribeTimeToLive (dynalite's always says DISABLED) as Handler does for
// minidyn, after asking next whether the table exists, so an unknown
// table gets dynalite's ResourceNotFoundException.
func withTTL(next http.Handler) http.Handler {
	ttl := &ttlTables{spec: map[string]string{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		if op != "UpdateTimeToLive" && op != "DescribeTimeToLive" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			ddbtx.WriteAWSError(w, http.StatusBadRequest, "SerializationException", "unreadable body")
			return
		}
		// DescribeTimeToLive validates the table name and answers
		// ResourceNotFoundException for an unknown table.
		check := r.Clone(r.Context())
		check.Header.Set("X-Amz-Target", "DynamoDB_20120810.DescribeTimeToLive")
		check.Body = io.NopCloser(bytes.NewReader(body))
		check.ContentLength = int64(len(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, check)
		if rec.Code != http.StatusOK {
			ddbtx.WriteJSON(w, rec.Code, rec.Body.Bytes())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if op == "UpdateTimeToLive" {
			ttl.update(w, r)
		} else {
			ttl.describe(w, r)
		}
	})
}

// dynalitePaths returns the pinned node binary and dynalite's CLI.
func dynalitePaths() (node, cli string, err error) {
	root, err := modroot.Find()
	if err != nil {
		return "", "", fmt.Errorf("dynalite: %w", err)
	}
	node = filepath.Join(root, "node_modules", ".bin", "node")
	cli = filepath.Join(root, "node_modules", "dynalite", "cli.js")
	for _, p := range []string{node, cli} {
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("%s is missing: run `make npm` to install the pinned JavaScript test peers (dynalite, node@22)", p)
		}
	}
	return node, cli, nil
}

// nodeProcess is a running dynalite.
type nodeProcess struct {
	cmd    *exec.Cmd
	port   int
	exited chan struct{} // closed once the process is reaped
	errBuf *lockedBuffer
}

var errPortTaken = errors.New("dynalite: port taken")

// startupLimit bounds the wait for dynalite's "listening" line, so a hung
// process fails the test with its stderr instead of hanging it.
const startupLimit = 60 * time.Second

// startNode starts dynalite on port and waits until it listens.
func startNode(node, cli string, port int) (*nodeProcess, error) {
	cmd := exec.Command(node, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	p := &nodeProcess{cmd: cmd, port: port, exited: make(chan struct{}), errBuf: &lockedBuffer{}}
	cmd.Stderr = p.errBuf
	out := &readyWriter{ready: make(chan struct{})}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynalite: start %s: %w", node, err)
	}
	ready := out.ready
	waitErr := make(chan error, 1)
	go func() {
		waitErr <- cmd.Wait()
		close(p.exited)
	}()
	select {
	case <-ready:
		return p, nil
	case err := <-waitErr:
		if strings.Contains(p.stderr(), "EADDRINUSE") {
			return nil, errPortTaken
		}
		return nil, fmt.Errorf("dynalite exited before listening (%v): %s", err, p.stderr())
	case <-time.After(startupLimit):
		p.stop()
		return nil, fmt.Errorf("dynalite did not listen within %v: %s", startupLimit, p.stderr())
	}
}

// stop kills the process and reaps it.
func (p *nodeProcess) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (p *nodeProcess) stderr() string { return p.errBuf.String() }

// freePort asks the kernel for a free loopback port. Another process may
// take it before dynalite binds it: startDynalite then retries.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// readyWriter is dynalite's stdout: it closes ready once dynalite says it
// listens, and drops the rest.
type readyWriter struct {
	mu    sync.Mutex
	seen  []byte
	ready chan struct{}
	done  bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.seen = append(w.seen, p...)
		if bytes.Contains(w.seen, []byte("Dynalite listening at")) {
			close(w.ready)
			w.done, w.seen = true, nil
		}
	}
	return len(p), nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
