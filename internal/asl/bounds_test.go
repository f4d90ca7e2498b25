package asl_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/asl/difftest"
	"github.com/parcours/parcours/internal/modroot"
)

// TestPayloadBoundsNeverBelowSize runs every differential case (the
// hand-written files and the compiled journeys) in the engine with every
// size bound it derives checked against the payload's real size: a bound
// below it could let a payload over 262,144 bytes through.
func TestPayloadBoundsNeverBelowSize(t *testing.T) {
	root, err := modroot.Find()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(difftest.DiffDir(root), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := difftest.CompiledCaseFiles(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, compiled...)
	if len(paths) < 40 {
		t.Fatalf("only %d case files", len(paths))
	}
	asl.VerifyBounds(t)
	ctx := context.Background()
	for _, p := range paths {
		cf, err := difftest.LoadCaseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cf.Cases {
			t.Run(strings.TrimSuffix(filepath.Base(p), ".json")+"/"+c.Name, func(t *testing.T) {
				if _, err := difftest.RunEngine(ctx, cf.Definition, c); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
