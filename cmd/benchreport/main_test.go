package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	out := `goos: linux
BenchmarkIngest/shopify-2         	   12345	     41234 ns/op	  55.10 MB/s	   12000 B/op	     150 allocs/op
BenchmarkEngineVsPeer/welcome-2   	     300	    127000 ns/op	      7874 exec/s	       692.0 peer-exec/s	        11.38 x-faster	  101000 B/op	    1004 allocs/op
PASS
`
	rs := parse(strings.NewReader(out))
	if len(rs) != 2 {
		t.Fatalf("%d results, want 2: %+v", len(rs), rs)
	}
	for _, c := range []struct {
		i      int
		name   string
		metric string
		want   float64
	}{
		{0, "BenchmarkIngest/shopify", "ns/op", 41234},
		{0, "BenchmarkIngest/shopify", "allocs/op", 150},
		{1, "BenchmarkEngineVsPeer/welcome", "x-faster", 11.38},
		{1, "BenchmarkEngineVsPeer/welcome", "peer-exec/s", 692},
	} {
		t.Run(c.name+" "+c.metric, func(t *testing.T) {
			if rs[c.i].Name != c.name || rs[c.i].Metrics[c.metric] != c.want {
				t.Errorf("got %s %v, want %s %v", rs[c.i].Name, rs[c.i].Metrics[c.metric], c.name, c.want)
			}
		})
	}
}

func TestKeptSections(t *testing.T) {
	doc := "# Benchmarks\n\nintro\n\n## Ingest: handler against its floor\n\ngenerated\n\n## ASL engine\n\nprose by hand\n\n### Before\n\n| a |\n\n## Cost\n\ngenerated\n"
	p := filepath.Join(t.TempDir(), "b.md")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "## ASL engine\n\nprose by hand\n\n### Before\n\n| a |\n"
	if got := keptSections(p); got != want {
		t.Errorf("kept %q, want %q", got, want)
	}
	if got := keptSections(filepath.Join(t.TempDir(), "missing.md")); got != "" {
		t.Errorf("missing file kept %q", got)
	}
	r := &report{CostGoal: "x"}
	if md := r.markdown(want); !strings.HasSuffix(md, want) {
		t.Errorf("markdown does not end with the kept section:\n%s", md)
	}
}

// TestIntroNamesKeptSections: the generated intro lists every section
// benchreport keeps by hand, so it cannot drift from Kept again.
func TestIntroNamesKeptSections(t *testing.T) {
	intro := strings.SplitN((&report{}).markdown(""), "\n\n", 3)[1]
	for _, k := range Kept {
		if name := strings.TrimPrefix(k, "## "); !strings.Contains(intro, `"`+name+`"`) {
			t.Errorf("intro does not name %q: %s", name, intro)
		}
	}
}

func TestMedians(t *testing.T) {
	rs := parse(strings.NewReader(`BenchmarkIngest/standard-2   	   81564	     14920 ns/op	    4931 B/op	      60 allocs/op
BenchmarkFloor/standard-2    	  123494	      9814 ns/op	    4608 B/op	     113 allocs/op
BenchmarkIngest/standard-2   	   78938	     23400 ns/op	    4930 B/op	      60 allocs/op
BenchmarkFloor/standard-2    	  114478	     10817 ns/op	    4608 B/op	     113 allocs/op
BenchmarkIngest/standard-2   	   79380	     14748 ns/op	    4930 B/op	      60 allocs/op
BenchmarkIngest/standard-2   	   79380	     15000 ns/op	    4930 B/op	      60 allocs/op
`))
	got := medians(rs)
	if len(got) != 2 || got[0].Name != "BenchmarkIngest/standard" || got[1].Name != "BenchmarkFloor/standard" {
		t.Fatalf("medians = %+v", got)
	}
	// 14748, 14920, 15000, 23400: the lower middle value; the disturbed run does not count.
	if v := got[0].Metrics["ns/op"]; v != 14920 {
		t.Errorf("ingest ns/op = %v, want 14920", v)
	}
	if v := got[1].Metrics["ns/op"]; v != 9814 {
		t.Errorf("floor ns/op = %v, want 9814 (lower middle of two)", v)
	}
	if v := got[0].Metrics["allocs/op"]; v != 60 {
		t.Errorf("allocs/op = %v", v)
	}
}
