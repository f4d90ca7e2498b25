package asl

// EvalChoice evaluates one Choice rule (a boolean expression; Next is
// ignored) against input, outside any execution, with the engine's own
// semantics. ctx is the context object $$ paths read; nil means none. The
// router uses it for the journey filters in statemachines/triggers.json.
// input is normalized (see Normalize) first.
func EvalChoice(c *ChoiceRule, input any, ctx map[string]any) (bool, error) {
	cv, err := Normalize(ctx)
	if err != nil {
		return false, err
	}
	if input, err = Normalize(input); err != nil {
		return false, err
	}
	co, _ := cv.(*Object)
	if co == nil {
		co = emptyObject
	}
	e := NewEngine(EngineOptions{})
	var rule cRule
	compileRule(&rule, c)
	return e.evalRule(&run{name: "filter", ctx: co}, &rule, input)
}
