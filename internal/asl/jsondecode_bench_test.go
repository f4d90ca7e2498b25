package asl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// profileDoc is the document States.StringToJson decodes on every profile
// read of a journey in the diff test's state machines.
func profileDoc(b *testing.B) string {
	doc, err := os.ReadFile(filepath.Join("testdata", "diff", "statemachines", "profile.json"))
	if err != nil {
		b.Fatal(err)
	}
	return string(bytes.TrimSpace(doc))
}

func BenchmarkDecodeProfile(b *testing.B) {
	doc := profileDoc(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := decodeJSONString(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeProfileStd is BenchmarkDecodeProfile's peer: encoding/json
// with UseNumber on the same document.
func BenchmarkDecodeProfileStd(b *testing.B) {
	doc := profileDoc(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeProfileArena is BenchmarkDecodeProfile as the engine
// decodes: objects made from an objectArena (States.StringToJson passes the
// engine's). A fresh arena every 8 decodes: an arena's blocks hold 35
// objects and 83 members, a profile takes 6 objects and 24 members, so
// every few decodes pay for new blocks, as in the engine.
func BenchmarkDecodeProfileArena(b *testing.B) {
	doc := profileDoc(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	var a *objectArena
	for n := range b.N {
		if n%8 == 0 {
			a = new(objectArena)
		}
		if _, err := decodeJSONIn(doc, a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanLazyProfile is what States.StringToJson does with a
// profile it has not read last: validate it and locate its members
// (lazy.go), against the shape of the one before.
func BenchmarkScanLazyProfile(b *testing.B) {
	doc := profileDoc(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if scanLazy(doc) == nil {
			b.Fatal("not lazy")
		}
	}
}
