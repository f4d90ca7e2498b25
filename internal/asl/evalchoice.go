package asl

// EvalChoice evaluates one Choice rule (a boolean expression; Next is
// ignored) against input, outside any execution, with the engine's own
// semantics. ctx is the context object $$ paths read; nil means none. The
// router uses it for the journey filters in statemachines/triggers.json.
// input must be in the engine's JSON representation (see Normalize).
func EvalChoice(c *ChoiceRule, input any, ctx map[string]any) (bool, error) {
	if ctx == nil {
		ctx = map[string]any{}
	}
	e := NewEngine(EngineOptions{})
	var rule cRule
	compileRule(&rule, c)
	return e.evalRule(&run{name: "filter", ctx: ctx}, &rule, input)
}
