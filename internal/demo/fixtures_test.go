package demo

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

var update = flag.Bool("update", false, "rewrite events/demo/*.json from testdata/webhooks/*.json")

// repoRoot holds template.yaml, statemachines/, journeys/ and events/.
var repoRoot = func() string {
	d, _ := filepath.Abs("../..")
	return d
}()

// spec is an editable delivery: the sender's headers (without the
// signature and timestamp) and the body. It is delivered, and signed, at
// the body's occurred_at.
type spec struct {
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// build signs a spec with the dev Standard secret at its occurred_at.
func build(t *testing.T, sp spec) []byte {
	t.Helper()
	var body bytes.Buffer
	if err := json.Compact(&body, sp.Body); err != nil {
		t.Fatalf("body: %v", err)
	}
	var v struct {
		OccurredAt time.Time `json:"occurred_at"`
	}
	if err := json.Unmarshal(body.Bytes(), &v); err != nil || v.OccurredAt.IsZero() {
		t.Fatalf("body needs occurred_at (RFC 3339): %v", err)
	}
	id := sp.Headers["webhook-id"]
	if id == "" {
		t.Fatal("headers need webhook-id")
	}
	req, err := StandardRequest(touchpoint.DevStandardSecret, id, v.OccurredAt, sp.Headers, body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(req, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestFixtures checks events/demo/ is testdata/webhooks/ signed (and
// rewrites it with -update), that every story beat has its fixture and
// that each fixture decodes and verifies at its own time.
func TestFixtures(t *testing.T) {
	specs, err := filepath.Glob("testdata/webhooks/*.json")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs in testdata/webhooks: %v", err)
	}
	outDir := filepath.Join(repoRoot, FixtureDir)
	if *update {
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := map[string]bool{}
	for _, p := range specs {
		name := filepath.Base(p)
		names[name] = true
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var sp spec
			if err := json.Unmarshal(b, &sp); err != nil {
				t.Fatal(err)
			}
			want := build(t, sp)
			out := filepath.Join(outDir, name)
			if *update {
				if err := os.WriteFile(out, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/demo -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s is stale: run go test ./internal/demo -update", out)
			}

			f, err := LoadFixture(repoRoot, name)
			if err != nil {
				t.Fatal(err)
			}
			src, err := touchpoint.NewStandard(touchpoint.DevStandardSecret, func() time.Time { return f.At })
			if err != nil {
				t.Fatal(err)
			}
			r, err := touchpoint.NewRequest(f.Request.Headers, f.Request.Body, f.Request.IsBase64Encoded)
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Verify(r); err != nil {
				t.Fatalf("verify at its own time: %v", err)
			}
			evs, err := src.Decode(r)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(evs) != 1 || string(evs[0].Type) != f.Type || !evs[0].OccurredAt.Equal(f.At) {
				t.Fatalf("decoded %+v, want one %s at %v", evs, f.Type, f.At)
			}
			if !strings.HasSuffix(f.Email, "@example.com") {
				t.Errorf("email %q: demo addresses stay at example.com", f.Email)
			}
		})
	}
	for _, b := range Default.Beats {
		if !names[b.Fixture] {
			t.Errorf("beat %s has no spec in testdata/webhooks", b.Fixture)
		}
	}
	if entries, err := os.ReadDir(outDir); err == nil {
		for _, e := range entries {
			if !names[e.Name()] {
				t.Errorf("%s/%s has no spec in testdata/webhooks (delete it)", FixtureDir, e.Name())
			}
		}
	}
}
