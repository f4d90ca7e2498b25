package asl

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestEngineOwnClockAndRandom: an engine made without a Clock has a
// VirtualClock standing at Start, and its random source is the PCG seeded
// from Seed as before (same names, UUIDs and jitter for a seed).
func TestEngineOwnClockAndRandom(t *testing.T) {
	e := NewEngine(EngineOptions{Start: t0, Seed: 7})
	vc, ok := e.Clock().(*VirtualClock)
	if !ok || !vc.Now().Equal(t0) {
		t.Fatalf("clock %T at %v", e.Clock(), e.Now())
	}
	vc.Set(t0.Add(time.Hour))
	if !e.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("engine at %v after its clock was set", e.Now())
	}
	ref := rand.New(rand.NewPCG(7, 7^0x5851f42d4c957f2d))
	for i := range 5 {
		if got, want := e.rng.Uint64(), ref.Uint64(); got != want {
			t.Fatalf("draw %d: %d, want %d", i, got, want)
		}
	}
	if got := NewEngine(EngineOptions{}).Now(); !got.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("default start %v", got)
	}
}
