package asl

// nextStates is the states a state has moved to, found by name once
// (States.Get hashes the name) and then by comparing the name with the few
// a state can name: its Next, its Choice rules' and Default, its Catchers'.
// The names are the definition's own strings, so the comparison usually
// ends at their shared pointer. A table is immutable and belongs to one
// state list (states): a State shared by two definitions looks its
// successors up by name in the other.
type nextStates struct {
	states *States
	names  []string
	sts    []*State
	plans  []*statePlan // planOf(sts[i], names[i])
}

// maxNextStates bounds a table (a state names few successors).
const maxNextStates = 16

// nextState returns the state named name in states, the successor of the
// state planned by p, and its plan (nil when it was not looked up here).
func (p *statePlan) nextState(states *States, name string) (*State, *statePlan) {
	t := p.next.Load()
	if t != nil && t.states == states {
		for i, n := range t.names {
			if n == name {
				return t.sts[i], t.plans[i]
			}
		}
	}
	st := states.Get(name)
	if st == nil || (t != nil && (t.states != states || len(t.names) >= maxNextStates)) {
		return st, nil
	}
	nt := &nextStates{states: states}
	if t != nil {
		nt.names = append(nt.names, t.names...)
		nt.sts = append(nt.sts, t.sts...)
		nt.plans = append(nt.plans, t.plans...)
	}
	plan := planOf(st, name)
	nt.names = append(nt.names, name)
	nt.sts = append(nt.sts, st)
	nt.plans = append(nt.plans, plan)
	p.next.CompareAndSwap(t, nt) // another goroutine's table is as good
	return st, plan
}
