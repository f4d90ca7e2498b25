package lambdabench

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/ddbtest"
)

const root = "../.."

var (
	hostOnce sync.Once
	hostDir  string
	hostErr  error
)

// hostBinary builds functions/<name> for this machine once per test run.
func hostBinary(tb testing.TB, name string) string {
	tb.Helper()
	hostOnce.Do(func() {
		hostDir, hostErr = os.MkdirTemp("", "lambdabench")
	})
	if hostErr != nil {
		tb.Fatal(hostErr)
	}
	bin := filepath.Join(hostDir, name)
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := Build(context.Background(), root, Function{Name: name, Dir: "./functions/" + name}, runtime.GOOS, runtime.GOARCH, bin); err != nil {
		tb.Fatal(err)
	}
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if hostDir != "" {
		_ = os.RemoveAll(hostDir)
	}
	os.Exit(code)
}

func fixture(t *testing.T, path string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "events", path))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestRuntimeAPIServesIngest starts the real ingest binary against the
// local Runtime API and the embedded DynamoDB: it asks for its first
// invocation, stores a signed Shopify order and rejects a tampered one.
func TestRuntimeAPIServesIngest(t *testing.T) {
	emu := ddbtest.Start(t)
	table := emu.NewTable(t)
	env, err := Env(root, Function{Name: "ingest"}, emu.URL)
	if err != nil {
		t.Fatal(err)
	}
	env = append(env, "TABLE_NAME="+table) // the later value wins
	p, err := Start(hostBinary(t, "ingest"), env)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if d, err := p.Ready(ctx); err != nil || d <= 0 {
		t.Fatalf("first next after %v: %v", d, err)
	}
	signed := fixture(t, "shopify/orders-create.json")
	tampered := signed
	tampered.Body = strings.Replace(signed.Body, `"id":`, `"id": `, 1)
	for _, c := range []struct {
		name     string
		req      events.APIGatewayV2HTTPRequest
		status   int
		body     string
		minItems int
		maxItems int
	}{
		{"tampered body: 401, nothing written", tampered, 401, `{"status":"rejected","reason":"invalid signature"}`, 0, 0},
		{"signed order: stored", signed, 200, `{"status":"stored"}`, 1, 1 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			payload, _ := json.Marshal(c.req)
			res, err := p.API.Invoke(ctx, payload)
			if err != nil {
				t.Fatal(err)
			}
			if res.Error {
				t.Fatalf("function error: %s", res.Body)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(res.Body, &resp); err != nil {
				t.Fatalf("response %s: %v", res.Body, err)
			}
			if resp.StatusCode != c.status || resp.Body != c.body {
				t.Errorf("answered %d %s, want %d %s", resp.StatusCode, resp.Body, c.status, c.body)
			}
			if n := len(ddbtest.Scan(t, emu.Client, table)); n < c.minItems || n > c.maxItems {
				t.Errorf("%d items in the table, want between %d and %d", n, c.minItems, c.maxItems)
			}
		})
	}
}

func TestProcessThatExitsIsAnError(t *testing.T) {
	env, err := Env(root, Function{Name: "ingest"}, "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	var without []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "SHOPIFY_WEBHOOK_SECRET=") {
			without = append(without, kv)
		}
	}
	p, err := Start(hostBinary(t, "ingest"), without)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = p.Ready(ctx)
	if err == nil || !strings.Contains(err.Error(), "environment variable SHOPIFY_WEBHOOK_SECRET is not set") {
		t.Errorf("error %v, want the missing variable named", err)
	}
}

// TestArtifactSizes builds every function for linux/arm64 with the
// Makefile's flags: each bootstrap must be at most Goal (10,000,000 bytes).
func TestArtifactSizes(t *testing.T) {
	fns, err := Functions(root)
	if err != nil || len(fns) == 0 {
		t.Fatalf("functions: %v %v", fns, err)
	}
	dir := t.TempDir()
	for _, f := range fns {
		t.Run(f.Name, func(t *testing.T) {
			out := filepath.Join(dir, f.Name, "bootstrap")
			if err := Build(context.Background(), root, f, "linux", "arm64", out); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > Goal {
				t.Errorf("%s bootstrap is %d bytes, over the %d-byte goal", f.Name, st.Size(), Goal)
			}
			t.Logf("%s bootstrap: %d bytes", f.Name, st.Size())
		})
	}
}

// TestFunctionDeps keeps the heavy packages out of the functions: only send
// renders templates (internal/mail, which executes text/template/parse
// trees itself); no function links html/template or text/template (their
// reflective method calls cost megabytes, see Goal), the SDK's config
// package and credential chain (internal/awsenv reads the environment
// instead), the journey compiler or YAML.
func TestFunctionDeps(t *testing.T) {
	fns, err := Functions(root)
	if err != nil || len(fns) == 0 {
		t.Fatalf("functions: %v %v", fns, err)
	}
	sendOnly := []string{"github.com/parcours/parcours/internal/mail", "text/template/parse"}
	never := []string{"html/template", "text/template", "github.com/aws/aws-sdk-go-v2/config",
		"github.com/aws/aws-sdk-go-v2/service/sts", "github.com/aws/aws-sdk-go-v2/service/sso",
		"gopkg.in/yaml.v3", "github.com/parcours/parcours/internal/journey"}
	for _, f := range fns {
		t.Run(f.Name, func(t *testing.T) {
			args := append(append([]string{"list", "-deps"}, BuildFlags...), f.Dir)
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := map[string]bool{}
			for _, p := range strings.Fields(string(out)) {
				deps[p] = true
			}
			for _, p := range never {
				if deps[p] {
					t.Errorf("%s links %s", f.Name, p)
				}
			}
			for _, p := range sendOnly {
				if deps[p] != (f.Name == "send") {
					t.Errorf("%s links %s: %v (only send may)", f.Name, p, deps[p])
				}
			}
		})
	}
}

// TestMakefileFlags keeps BuildFlags equal to the Makefile's LAMBDA_BUILD.
func TestMakefileFlags(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	want := "LAMBDA_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'"
	if !strings.Contains(string(b), want) {
		t.Errorf("the Makefile no longer has %q: update BuildFlags to match", want)
	}
}

func TestEveryFunctionStarts(t *testing.T) {
	fns, err := Functions(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fns {
		t.Run(f.Name, func(t *testing.T) {
			env, err := Env(root, f, "http://127.0.0.1:1")
			if err != nil {
				t.Fatal(err)
			}
			ds, err := InitTimes(context.Background(), hostBinary(t, f.Name), env, 1)
			if err != nil || len(ds) != 1 {
				t.Fatalf("%v %v", ds, err)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {90, 9}, {100, 10}, {0, 1}} {
		if got := Percentile(ds, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
}

// BenchmarkInit is the cold start of each function on this machine: from
// process start to its first next request.
func BenchmarkInit(b *testing.B) {
	fns, err := Functions(root)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range fns {
		b.Run(f.Name, func(b *testing.B) {
			bin := hostBinary(b, f.Name)
			env, err := Env(root, f, "http://127.0.0.1:1")
			if err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			n := 0
			for b.Loop() {
				ds, err := InitTimes(context.Background(), bin, env, 1)
				if err != nil {
					b.Fatal(err)
				}
				total += ds[0]
				n++
			}
			b.ReportMetric(float64(total.Microseconds())/float64(n), "init-µs/op")
		})
	}
}
