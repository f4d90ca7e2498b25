package difftest

import "github.com/parcours/parcours/internal/asl"

// entered splits the states an execution entered into the top-level ones,
// in order, and the ones entered inside Parallel branches and Map
// iterations (compared as a multiset: their interleaving is concurrent).
// Like run.mjs it tells them apart by name: state names are unique across a
// case's definition (run.mjs refuses a definition where they are not).
func entered(x *asl.Execution, sm *asl.StateMachine) (top, nested []string) {
	for _, s := range x.States() {
		if sm.States.Get(s.Name) != nil {
			top = append(top, s.Name)
		} else {
			nested = append(nested, s.Name)
		}
	}
	return top, nested
}
