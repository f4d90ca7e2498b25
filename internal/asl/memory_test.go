package asl

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestParkedExecutionsMemory starts 100,000 executions that each run a Pass
// state and park in a 30-day Wait, then measures the heap they retain
// (runtime.ReadMemStats after GC, before and after). The bound, 2 KiB per
// execution with history on, is a memory budget, not a timing: it holds the
// Execution record, its history events, the parked run and its timer, and
// the execution's input and name.
func TestParkedExecutionsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100,000 executions")
	}
	const n = 100_000
	const budget = 2048 // bytes per parked execution
	sm := mustParse(t, `{"StartAt":"Tag","States":{
		"Tag":{"Type":"Pass","Result":"welcome","ResultPath":"$.step","Next":"Wait30d"},
		"Wait30d":{"Type":"Wait","Seconds":2592000,"Next":"Done"},
		"Done":{"Type":"Succeed"}}}`)
	ctx := context.Background()
	before := heapInUse()
	e := NewEngine(EngineOptions{Start: t0})
	for i := range n {
		in := map[string]any{"profile_key": fmt.Sprintf("p%06d", i)}
		if _, err := e.Start(ctx, sm, fmt.Sprintf("c%06d", i), in); err != nil {
			t.Fatal(err)
		}
	}
	after := heapInUse()
	perExec := float64(after-before) / n
	t.Logf("%d parked executions retain %.0f bytes each (%.1f MiB total)", n, perExec, float64(after-before)/(1<<20))
	if perExec > budget {
		t.Errorf("each parked execution retains %.0f bytes, budget %d", perExec, budget)
	}
	if len(e.timers) != n {
		t.Fatalf("%d timers, want %d", len(e.timers), n)
	}
	e.Advance(ctx, 30*24*time.Hour)
	for _, x := range e.Executions()[:10] {
		if x.Status != StatusSucceeded {
			t.Fatalf("%s: %s", x.Name, x.Status)
		}
	}
	runtime.KeepAlive(e)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
