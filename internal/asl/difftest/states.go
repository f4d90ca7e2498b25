package difftest

import "github.com/parcours/parcours/internal/asl"

// entered splits the states an execution entered into the top-level ones,
// in order, and the ones entered inside Parallel branches and Map
// iterations (compared as a multiset: their interleaving is concurrent).
func entered(x *asl.Execution) (top, nested []string) {
	for _, s := range x.States() {
		if s.Depth == 0 {
			top = append(top, s.Name)
		} else {
			nested = append(nested, s.Name)
		}
	}
	return top, nested
}
