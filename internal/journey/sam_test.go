package journey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoCopy copies what Build reads (journeys/, statemachines/,
// template.yaml, README.md) to a temporary directory.
func repoCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", p)
		top := strings.Split(filepath.ToSlash(rel), "/")[0]
		switch {
		case rel == ".":
			return nil
		case d.IsDir() && top != "journeys" && top != "statemachines":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		case top != "journeys" && top != "statemachines" && rel != "template.yaml" && rel != "README.md":
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestTemplateUpToDate: the repository's template.yaml is what Build
// writes, and every region is non-empty.
func TestTemplateUpToDate(t *testing.T) {
	out, err := Build("../..")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(out.Files["template.yaml"])
	for _, r := range SAMRegions {
		body, ok := RegionBody(doc, r.Name)
		if !ok || strings.TrimSpace(body) == "" {
			t.Errorf("region %q is empty or missing", r.Name)
		}
	}
	if d := out.Diff("../.."); len(d) != 0 {
		t.Errorf("stale: %v (run make statemachines)", d)
	}
}

// TestCheckDetectsDriftInEveryRegion: a hand edit inside any generated
// region of template.yaml is what `parcours compile --check` reports, and
// compile puts the region back.
func TestCheckDetectsDriftInEveryRegion(t *testing.T) {
	orig, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range SAMRegions {
		t.Run(r.Name, func(t *testing.T) {
			dir := repoCopy(t)
			body, ok := RegionBody(string(orig), r.Name)
			if !ok {
				t.Fatalf("no region %q in template.yaml", r.Name)
			}
			// Drop the region's last line: a journey's fragment removed by hand.
			lines := strings.SplitAfter(strings.TrimSuffix(body, "\n"), "\n")
			edited := strings.Replace(string(orig), body, strings.Join(lines[:len(lines)-1], ""), 1)
			if edited == string(orig) {
				t.Fatal("edit changed nothing")
			}
			if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := Build(dir)
			if err != nil {
				t.Fatal(err)
			}
			if d := strings.Join(out.Diff(dir), " "); d != "template.yaml" {
				t.Errorf("check reports %q, want template.yaml", d)
			}
			if err := out.Write(dir); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(filepath.Join(dir, "template.yaml"))
			if string(got) != string(orig) {
				t.Errorf("compile did not restore the region")
			}
		})
	}
}

// TestReplaceRegionsErrors: each malformed marker layout is rejected with
// the line and what to do.
func TestReplaceRegionsErrors(t *testing.T) {
	regions := []Region{
		{"a", func([]*Journey) string { return "x: 1\n" }},
		{"b", func([]*Journey) string { return "- y\n" }},
	}
	begin := func(ind, n string) string { return ind + RegionBegin(n) + "\n" }
	end := func(ind, n string) string { return ind + RegionEnd(n) + "\n" }
	for _, c := range []struct{ name, doc, want string }{
		{"missing region", begin("", "a") + end("", "a"), `no generated region "b" (add its BEGIN and END marker lines where it belongs: docs/journeys.md)`},
		{"no end", begin("", "a") + "k: v\n" + begin("", "b") + end("", "b"), `line 1: region "a" has no "# END parcours compile: a" line after it`},
		{"end indented differently", begin("  ", "a") + end("    ", "a") + begin("", "b") + end("", "b"), `line 2: END of region "a" is not indented like its BEGIN (line 1)`},
		{"unknown", begin("", "c") + end("", "c"), `line 1: unknown generated region "c" (parcours compile writes "a", "b")`},
		{"twice", begin("", "a") + end("", "a") + begin("", "a") + end("", "a"), `line 3: region "a" appears twice`},
		{"stray end", end("", "a"), `line 1: "# END parcours compile: a" without its BEGIN marker`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReplaceRegions(c.doc, regions, nil)
			if err == nil || err.Error() != c.want {
				t.Errorf("error = %v, want %s", err, c.want)
			}
		})
	}
	t.Run("indents the body like its marker", func(t *testing.T) {
		doc := "top:\n" + begin("  ", "a") + "  old: 0\n" + end("  ", "a") + "list:\n" + begin("    ", "b") + end("    ", "b")
		got, err := ReplaceRegions(doc, regions, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "top:\n" + begin("  ", "a") + "  x: 1\n" + end("  ", "a") + "list:\n" + begin("    ", "b") + "    - y\n" + end("    ", "b")
		if got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
}
