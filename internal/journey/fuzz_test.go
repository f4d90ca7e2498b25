package journey

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/parcours/parcours/internal/asl"
)

// FuzzParse feeds journey.yaml parsing (and, for what parses, the
// compiler) arbitrary bytes, seeded from the committed journeys and the
// bad corpus. It must never panic; it returns a journey or diagnostics,
// never both or neither; every diagnostic points at a line and column;
// it is deterministic; and a compiled journey marshals to ASL that parses
// back.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../../journeys/*/journey.yaml", "testdata/bad/*/journey.yaml"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("name: x\n&a [*a]"))
	exists := func(string) bool { return true }
	f.Fuzz(func(t *testing.T, data []byte) {
		j, ds := Parse("fuzz/journey.yaml", data, exists)
		if (j == nil) == (len(ds) == 0) {
			t.Fatalf("journey %v with %d diagnostics", j != nil, len(ds))
		}
		for _, d := range ds {
			// "empty journey file" is about the whole file and comes at
			// 0:0 (the parser's choice for a document without nodes).
			whole := d.Msg == "empty journey file"
			if (!whole && (d.Line < 1 || d.Column < 1)) || d.Msg == "" || d.File != "fuzz/journey.yaml" {
				t.Fatalf("diagnostic without a position or message: %+v", d)
			}
		}
		j2, ds2 := Parse("fuzz/journey.yaml", data, exists)
		if !reflect.DeepEqual(ds, ds2) || (j == nil) != (j2 == nil) {
			t.Fatalf("not deterministic: %v / %v", ds, ds2)
		}
		if j == nil {
			return
		}
		sm, err := Compile(j)
		if err != nil {
			return
		}
		b, err := asl.Marshal(sm)
		if err != nil {
			t.Fatalf("compiled journey does not marshal: %v", err)
		}
		if _, err := asl.Parse(b); err != nil {
			t.Fatalf("compiled journey does not parse back: %v\n%s", err, b)
		}
	})
}
