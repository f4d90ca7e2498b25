package journey

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/mail"
)

var update = flag.Bool("update", false, "rewrite golden files")

const repoRoot = "../.."

func loadRepo(t *testing.T) []*Journey {
	t.Helper()
	js, err := LoadAll(filepath.Join(repoRoot, "journeys"))
	if err != nil {
		t.Fatalf("load journeys: %v", err)
	}
	if len(js) != 5 {
		t.Fatalf("want the five journeys, got %d", len(js))
	}
	return js
}

// TestGolden compiles every journey and compares with testdata/golden
// (go test ./internal/journey -update rewrites them).
func TestGolden(t *testing.T) {
	for _, j := range loadRepo(t) {
		t.Run(j.Name, func(t *testing.T) {
			sm, err := Compile(j)
			if err != nil {
				t.Fatal(err)
			}
			got, err := asl.Marshal(sm)
			if err != nil {
				t.Fatal(err)
			}
			st := Measure(sm)
			got = append(got, []byte("# "+st.String()+"\n")...)
			file := filepath.Join("testdata", "golden", j.Name+".asl.json")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/journey -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the compiler output (run go test ./internal/journey -update and review the diff)", file)
			}
		})
	}
}

// loadFeatures loads testdata/features: one small journey per language
// feature the five shipped journeys do not use (wait until, split with a
// holdout, segment conditions).
func loadFeatures(t *testing.T) []*Journey {
	t.Helper()
	js, err := LoadAll(filepath.Join("testdata", "features"))
	if err != nil {
		t.Fatalf("load features: %v", err)
	}
	if len(js) != 3 {
		t.Fatalf("want 3 feature journeys, got %d", len(js))
	}
	return js
}

// TestFeatureGoldens compiles the feature journeys and compares with
// testdata/golden/features (-update rewrites them).
func TestFeatureGoldens(t *testing.T) {
	for _, j := range loadFeatures(t) {
		t.Run(j.Name, func(t *testing.T) {
			sm, err := Compile(j)
			if err != nil {
				t.Fatal(err)
			}
			got, err := asl.Marshal(sm)
			if err != nil {
				t.Fatal(err)
			}
			if err := asl.Validate(sm); err != nil {
				t.Fatalf("engine rejects the definition: %v", err)
			}
			got = append(got, []byte("# "+Measure(sm).String()+"\n")...)
			file := filepath.Join("testdata", "golden", "features", j.Name+".asl.json")
			if *update {
				must(t, os.MkdirAll(filepath.Dir(file), 0o755))
				must(t, os.WriteFile(file, got, 0o644))
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/journey -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the compiler output (run go test ./internal/journey -update and review the diff)", file)
			}
		})
	}
}

// TestTransitions pins the cost of each journey's longest path: state
// transitions are what AWS bills.
func TestTransitions(t *testing.T) {
	want := map[string]struct{ transitions, emails int }{
		"abandoned-cart":     {14, 3},
		"browse-abandonment": {6, 1},
		"review-request":     {12, 2},
		"welcome":            {13, 3},
		"win-back":           {14, 3},
	}
	for _, j := range loadRepo(t) {
		t.Run(j.Name, func(t *testing.T) {
			sm, _ := Compile(j)
			st := Measure(sm)
			if w := want[j.Name]; st.Transitions != w.transitions || st.Emails != w.emails {
				t.Errorf("longest path: %d transitions for %d emails, want %d for %d", st.Transitions, st.Emails, w.transitions, w.emails)
			}
			if st.MaxHistoryEvents > MaxHistoryEvents {
				t.Errorf("history bound %d over %d", st.MaxHistoryEvents, MaxHistoryEvents)
			}
		})
	}
}

// TestASLValidator runs the npm asl-validator on every compiled definition,
// with the ${...} substitutions replaced by ARNs of the right shape.
func TestASLValidator(t *testing.T) {
	node := filepath.Join(repoRoot, "node_modules", ".bin", "node")
	validator := filepath.Join(repoRoot, "node_modules", ".bin", "asl-validator")
	for _, p := range []string{node, validator} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run make npm (npm ci) first; this check never skips", p)
		}
	}
	dir := t.TempDir()
	for _, j := range append(loadRepo(t), loadFeatures(t)...) {
		t.Run(j.Name, func(t *testing.T) {
			sm, _ := Compile(j)
			data, _ := asl.Marshal(sm)
			s := strings.NewReplacer(SubstTable, "parcours-table", SubstSend, "arn:aws:lambda:eu-west-1:123456789012:function:parcours-send").Replace(string(data))
			if strings.Contains(s, "${") {
				t.Fatalf("a substitution was not replaced")
			}
			file := filepath.Join(dir, j.Name+".json")
			if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(node, validator, "--json-path", file).CombinedOutput()
			if err != nil {
				t.Fatalf("asl-validator rejects %s: %v\n%s", j.Name, err, out)
			}
			if !strings.Contains(string(out), "is valid") {
				t.Fatalf("asl-validator said: %s", out)
			}
		})
	}
}

// TestTemplates parses every template with Funcs and renders it with
// sample data (CheckTemplates), and checks what a rendered email contains.
func TestTemplates(t *testing.T) {
	for _, j := range loadRepo(t) {
		t.Run(j.Name, func(t *testing.T) {
			if err := CheckTemplates(j); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("cart lists the line items with money and the recovery link", func(t *testing.T) {
		j, err := Load(filepath.Join(repoRoot, "journeys", "abandoned-cart"))
		if err != nil {
			t.Fatal(err)
		}
		s := j.Steps[1]
		src, _ := os.ReadFile(filepath.Join(j.Dir, s.Template+".html"))
		tm, err := mail.ParseHTML("x", string(src))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tm.Execute(&b, SampleData(j, s)); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Hi Ada,", "Linen shirt", "€99.80", "€24.00", "€123.80", "https://shop.example/checkouts/c-1/recover", "https://shop.example/unsubscribe?t=sample"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("rendered email lacks %q", want)
			}
		}
	})
	t.Run("a template using an unknown field fails with its line", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "x")
		must(t, os.Mkdir(dir, 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "journey.yaml"), []byte("name: x\ntrigger: {event: order_placed, key: order.id}\nsteps:\n  - send: a\n    subject: Hi\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "a.html"), []byte("<p>\n{{.Order.Nmber}}</p>\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("ok\n"), 0o644))
		j, ds := Parse(filepath.Join(dir, "journey.yaml"), mustRead(t, filepath.Join(dir, "journey.yaml")), nil)
		if ds != nil {
			t.Fatal(ds)
		}
		j.Dir = dir
		err := CheckTemplates(j)
		want := filepath.Join(dir, "a.html") + ":2:8: executing \"a.html\" at <.Order.Nmber>: can't evaluate field Nmber in type *touchpoint.Order (hint: see the template data and functions in docs/journeys.md)"
		if err == nil || err.Error() != want {
			t.Errorf("got  %v\nwant %s", err, want)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	return b
}

// TestBadJourneys loads each journey under testdata/bad and compares every
// diagnostic (file:line:column, message, hint) with its want.txt.
func TestBadJourneys(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join("testdata", "bad", e.Name())
			_, err := Load(dir)
			if _, ok := err.(Diagnostics); !ok {
				t.Fatalf("want diagnostics, got %v", err)
			}
			got := err.Error() + "\n"
			file := filepath.Join(dir, "want.txt")
			if *update {
				must(t, os.WriteFile(file, []byte(got), 0o644))
			}
			if want := string(mustRead(t, file)); got != want {
				t.Errorf("got:\n%swant:\n%s", got, want)
			}
		})
	}
}

// TestSchema checks the editor schema accepts the five journeys and rejects
// an unknown step, with ajv from node_modules.
func TestSchema(t *testing.T) {
	node := filepath.Join(repoRoot, "node_modules", ".bin", "node")
	if _, err := os.Stat(filepath.Join(repoRoot, "node_modules", "ajv")); err != nil {
		t.Fatalf("node_modules/ajv is missing: run make npm first; this check never skips")
	}
	for _, j := range append(loadRepo(t), loadFeatures(t)...) {
		t.Run(j.Name, func(t *testing.T) {
			out, err := exec.Command(node, "testdata/schema.js", repoRoot, j.File).CombinedOutput()
			if err != nil {
				t.Errorf("schema rejects %s: %v\n%s", j.File, err, out)
			}
		})
	}
	t.Run("unknown step is rejected", func(t *testing.T) {
		if out, err := exec.Command(node, "testdata/schema.js", repoRoot, "testdata/bad/unknown-step/journey.yaml").CombinedOutput(); err == nil {
			t.Errorf("schema accepts a wiat step: %s", out)
		}
	})
}
