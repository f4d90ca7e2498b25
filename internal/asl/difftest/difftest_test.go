package difftest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/modroot"
)

// minDefinitions is the floor the issue sets for hand-written definitions.
const minDefinitions = 40

type suiteFile struct {
	path string // what run.mjs was given
	name string // base name, the key run.mjs reports
	cf   *CaseFile
}

// loadSuite reads every hand-written case file and builds one for every
// compiled statemachines/*.asl.json.
func loadSuite(t testing.TB, root string) []suiteFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(DiffDir(root), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var suite []suiteFile
	for _, p := range paths {
		cf, err := LoadCaseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		suite = append(suite, suiteFile{path: p, name: filepath.Base(p), cf: cf})
	}
	if len(suite) < minDefinitions {
		t.Fatalf("%d hand-written definitions in %s, want at least %d", len(suite), DiffDir(root), minDefinitions)
	}
	compiled, err := CompiledCaseFiles(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range compiled {
		cf, err := LoadCaseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		suite = append(suite, suiteFile{path: p, name: filepath.Base(p), cf: cf})
	}
	return suite
}

func TestDifferential(t *testing.T) {
	root, err := modroot.Find()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Node(root); err != nil {
		t.Fatal(err)
	}
	suite := loadSuite(t, root)
	var files []string
	for _, f := range suite {
		files = append(files, f.path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	peer, err := RunPeer(ctx, root, files)
	if err != nil {
		t.Fatal(err)
	}

	for _, f := range suite {
		for _, c := range f.cf.Cases {
			t.Run(strings.TrimSuffix(f.name, ".json")+"/"+c.Name, func(t *testing.T) {
				p, ok := peer[f.name+"/"+c.Name]
				if !ok {
					t.Fatalf("run.mjs printed no result for %s/%s", f.name, c.Name)
				}
				if p.Status == "INVALID" || p.Status == "HARNESS_ERROR" {
					t.Fatalf("aws-local-stepfunctions could not run the case: %s %s", p.Status, deref(p.Error))
				}
				got, err := RunEngine(ctx, f.cf.Definition, c)
				if err != nil {
					t.Fatal(err)
				}
				if c.Divergence != "" {
					checkDivergence(t, root, c, p, got.Result)
				} else {
					for _, d := range Compare(p, got.Result, c.Ignore, false) {
						t.Errorf("parcours differs from aws-local-stepfunctions: %s", d)
					}
				}
				if c.Elapsed != nil {
					want := time.Duration(*c.Elapsed * float64(time.Second))
					if got.Elapsed != want {
						t.Errorf("virtual time: want %v, got %v", want, got.Elapsed)
					}
				}
			})
		}
	}
}

// checkDivergence compares parcours with the AWS-documented result of a case
// where aws-local-stepfunctions departs from AWS, and checks that the peer
// still departs (so a fixed peer does not leave a stale mark behind).
func checkDivergence(t *testing.T, root string, c Case, peer, got Result) {
	t.Helper()
	if c.Expect == nil {
		t.Fatalf("divergence %s without an expect block", c.Divergence)
	}
	doc, anchor, _ := strings.Cut(c.Divergence, "#")
	b, err := os.ReadFile(filepath.Join(root, "docs", doc))
	if err != nil {
		t.Fatalf("divergence %s: %v", c.Divergence, err)
	}
	if !strings.Contains(string(b), `<a id="`+anchor+`"></a>`) {
		t.Fatalf("divergence %s: docs/%s has no anchor %q", c.Divergence, doc, anchor)
	}
	for _, d := range Compare(*c.Expect, got, c.Ignore, true) {
		t.Errorf("parcours differs from the AWS-documented result (%s): %s", c.Divergence, d)
	}
	if len(Compare(*c.Expect, peer, c.Ignore, true)) == 0 {
		t.Errorf("aws-local-stepfunctions now gives the AWS-documented result: remove the divergence mark %s", c.Divergence)
	}
}

func TestCompare(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name       string
		want, got  Result
		ignore     []string
		partial    bool
		wantDiffs  int
		wantSubstr string
	}{
		{"numbers compare numerically", Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"a":1.0,"b":[2e0]}`)},
			Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"b":[2],"a":1}`)}, nil, false, 0, ""},
		{"different value", Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"a":1}`)},
			Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"a":2}`)}, nil, false, 1, "$.a: want 1, got 2"},
		{"missing field", Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"a":1,"b":null}`)},
			Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"a":1}`)}, nil, false, 1, "$.b: missing field"},
		{"ignored path compares type", Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"id":"x"}`)},
			Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"id":"y"}`)}, []string{"$.id"}, false, 0, ""},
		{"ignored path still typed", Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"id":"x"}`)},
			Result{Status: "SUCCEEDED", Output: json.RawMessage(`{"id":3}`)}, []string{"$.id"}, false, 1, "want a string, got a number"},
		{"status", Result{Status: "SUCCEEDED"}, Result{Status: "FAILED", Error: s("X")}, nil, false, 1, "status"},
		{"error name", Result{Status: "FAILED", Error: s("A"), Cause: s("c")}, Result{Status: "FAILED", Error: s("B"), Cause: s("c")}, nil, false, 1, `error: want "A", got "B"`},
		{"task cause compared", Result{Status: "FAILED", Error: s("A"), Cause: s("c")}, Result{Status: "FAILED", Error: s("A"), Cause: s("d")}, nil, false, 1, "cause"},
		{"runtime cause is free text", Result{Status: "FAILED", Error: s("States.Runtime"), Cause: s("x")}, Result{Status: "FAILED", Error: s("States.Runtime"), Cause: s("y")}, nil, false, 0, ""},
		{"states order", Result{Status: "SUCCEEDED", Output: json.RawMessage(`1`), States: []string{"A", "B"}},
			Result{Status: "SUCCEEDED", Output: json.RawMessage(`1`), States: []string{"B", "A"}}, nil, false, 1, "states entered"},
		{"nested is a multiset", Result{Status: "SUCCEEDED", Output: json.RawMessage(`1`), Nested: []string{"A", "B", "A"}},
			Result{Status: "SUCCEEDED", Output: json.RawMessage(`1`), Nested: []string{"B", "A", "A"}}, nil, false, 0, ""},
		{"partial skips absent fields", Result{Status: "FAILED", Error: s("E")},
			Result{Status: "FAILED", Error: s("E"), Cause: s("whatever"), States: []string{"A"}}, nil, true, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diffs := Compare(tt.want, tt.got, tt.ignore, tt.partial)
			if len(diffs) != tt.wantDiffs {
				t.Fatalf("want %d differences, got %q", tt.wantDiffs, diffs)
			}
			if tt.wantSubstr != "" && !strings.Contains(diffs[0], tt.wantSubstr) {
				t.Errorf("difference %q does not mention %q", diffs[0], tt.wantSubstr)
			}
		})
	}
}
