package difftest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parcours/parcours/internal/asl"
)

// CompiledCaseFiles writes a case file into dir for every compiled
// statemachines/*.asl.json and returns their paths. Cases come from
// testdata/diff/statemachines/<name>.json ({"cases": [...]}) when it exists;
// otherwise two default cases are generated: every dynamodb:getItem answers
// with the profile fixture (testdata/diff/statemachines/profile.json) — or
// the order fixture (order.json) when the state's name mentions an order —, every
// other DynamoDB task with {}, and every Lambda (the send function) with
// {"status":"sent"} — or, in the second case, first with
// {"status":"deferred","not_before":...} and then "sent".
func CompiledCaseFiles(root, dir string) ([]string, error) {
	defs, err := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(defs)
	fixtures := filepath.Join(DiffDir(root), "statemachines")
	var out []string
	for _, def := range defs {
		name := strings.TrimSuffix(filepath.Base(def), ".asl.json")
		definition, err := os.ReadFile(def)
		if err != nil {
			return nil, err
		}
		sm, err := asl.Parse(definition)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", def, err)
		}
		cf := CaseFile{Definition: definition}
		b, err := os.ReadFile(filepath.Join(fixtures, name+".json"))
		switch {
		case err == nil:
			if err := json.Unmarshal(b, &cf); err != nil {
				return nil, fmt.Errorf("%s cases: %w", name, err)
			}
			cf.Definition = definition
		case errors.Is(err, os.ErrNotExist):
			cases, err := defaultCases(fixtures, sm)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			cf.Cases = cases
		default:
			return nil, err
		}
		// The peer has no $$.State; compiled journeys compare profile
		// moments with $$.State.EnteredTime, so give it the virtual start.
		cf.Context = json.RawMessage(`{"State":{"EnteredTime":"2024-01-01T00:00:00Z"}}`)
		b, err = json.Marshal(cf)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, "statemachine_"+name+".json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func defaultCases(fixtures string, sm *asl.StateMachine) ([]Case, error) {
	profile, err := os.ReadFile(filepath.Join(fixtures, "profile.json"))
	if err != nil {
		return nil, fmt.Errorf("profile fixture: %w", err)
	}
	input, err := os.ReadFile(filepath.Join(fixtures, "input.json"))
	if err != nil {
		return nil, fmt.Errorf("input fixture: %w", err)
	}
	order, err := os.ReadFile(filepath.Join(fixtures, "order.json"))
	if err != nil {
		return nil, fmt.Errorf("order fixture: %w", err)
	}
	item, err := json.Marshal(map[string]any{"Item": map[string]any{
		"pk":   map[string]string{"S": "PROFILE#ada@example.com"},
		"sk":   map[string]string{"S": "PROFILE"},
		"view": map[string]string{"S": string(bytes.TrimSpace(profile))},
	}})
	if err != nil {
		return nil, err
	}
	orderItem, err := json.Marshal(map[string]any{"Item": map[string]any{
		"pk":   map[string]string{"S": "PROFILE#ada@example.com"},
		"sk":   map[string]string{"S": "ORDER#shopify#1001"},
		"view": map[string]string{"S": string(bytes.TrimSpace(order))},
	}})
	if err != nil {
		return nil, err
	}
	// The optimized lambda:invoke integration wraps the function's reply in
	// Payload; a plain function ARN returns it as is.
	reply := func(resource, body string) ScriptEntry {
		if strings.Contains(resource, ":::lambda:invoke") {
			body = `{"StatusCode":200,"Payload":` + body + `}`
		}
		return ScriptEntry{Output: json.RawMessage(body)}
	}
	// The send function's answers carry resume_at (where the compiled Wait
	// after the send ends; docs/runtime.md); a resolve_wait answer is read
	// from the same field.
	const sent = `{"status":"sent","resume_at":"2024-01-02T08:00:00Z"}`
	const deferred = `{"status":"deferred","not_before":"2024-01-02T08:00:00Z","resume_at":"2024-01-02T08:00:00Z"}`
	sentTasks := map[string][]ScriptEntry{}
	deferredTasks := map[string][]ScriptEntry{}
	walk(sm, func(name string, st *asl.State) {
		if st.Type != "Task" {
			return
		}
		switch {
		case strings.Contains(st.Resource, "dynamodb:getItem") && strings.Contains(strings.ToLower(name), "order"):
			sentTasks[name] = []ScriptEntry{{Output: orderItem}}
		case strings.Contains(st.Resource, "dynamodb:getItem"):
			sentTasks[name] = []ScriptEntry{{Output: item}}
		case strings.Contains(st.Resource, "dynamodb"):
			sentTasks[name] = []ScriptEntry{{Output: json.RawMessage(`{}`)}}
		default:
			sentTasks[name] = []ScriptEntry{reply(st.Resource, sent)}
			deferredTasks[name] = []ScriptEntry{reply(st.Resource, deferred), reply(st.Resource, sent)}
		}
	})
	for k, v := range sentTasks {
		if _, ok := deferredTasks[k]; !ok {
			deferredTasks[k] = v
		}
	}
	return []Case{
		{Name: "sent", Input: input, Tasks: sentTasks},
		{Name: "deferred then sent", Input: input, Tasks: deferredTasks},
	}, nil
}
