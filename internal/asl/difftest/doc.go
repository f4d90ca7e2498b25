// Package difftest proves parcours' ASL engine (internal/asl) against an
// implementation nobody here wrote: aws-local-stepfunctions, pinned in
// package.json and run by Node 22 from node_modules.
//
// TestDifferential runs every case file of internal/asl/testdata/diff and
// every compiled statemachines/*.asl.json through both engines and compares
// the status, the output (JSON-equal, numbers compared numerically), the
// error name, the cause, the top-level states entered in order and the
// multiset of states entered inside Parallel branches and Map iterations.
// BenchmarkEngineVsPeer measures executions per second of both on the same
// workload.
//
// # Case files
//
// internal/asl/testdata/diff/<name>.json:
//
//	{
//	  "definition": {...},             // any ASL definition (JSONPath)
//	  "validation": {"checkPaths": false}, // optional: the peer's validationOptions
//	  "context": {...},                // optional: extra context object fields for the peer
//	  "cases": [{
//	    "name": "...",
//	    "input": {...},
//	    "tasks": {"StateName": [{"output": <json>} | {"echo": true} | {"large": N} | {"error": "Name", "cause": "..."}]},
//	    "waits": {"StateName": 0 | null},
//	    "ignore": ["$.path"],          // compared by JSON type only (UUID, MathRandom, StartTime)
//	    "elapsed": 11.5,               // optional: virtual seconds the execution takes (parcours only)
//	    "divergence": "asl-divergences.md#anchor",
//	    "expect": {"status", "output", "error", "cause", "states", "nested"}
//	  }]
//	}
//
// The i-th invocation of a Task state gets the i-th entry of its script and
// the last entry repeats; "echo" returns the task's effective input;
// "large" returns {"s": "aaa…"} with N a's (a result near the 256 KiB
// limit without a case file that large). On the
// peer every Wait state is overridden to 0 ms unless "waits" maps it to null
// (then its Seconds/Timestamp paths are evaluated for real, so it must not
// wait), and every Retry interval is overridden to 0 ms; parcours runs in
// virtual time and gets the same wait overrides. State names must be unique
// across the whole definition (the peer's events do not say which Parallel
// branch a state belongs to).
//
// A case marked "divergence" is one where aws-local-stepfunctions departs
// from the AWS documentation (docs/asl-divergences.md explains each with its
// reference): parcours is compared with "expect" (the documented result)
// instead, and the test fails if the peer stops diverging, so stale marks are
// noticed. Fields absent from "expect" are not compared.
package difftest
