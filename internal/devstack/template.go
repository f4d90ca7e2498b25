package devstack

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Local values the template's intrinsic functions resolve to.
const (
	LocalRegion    = "us-east-1"
	LocalAccountID = "000000000000"
	// DefaultStackName stands in for ${AWS::StackName}.
	DefaultStackName = "parcours"
	// localAPIID is what !Ref of an HTTP API resolves to; an
	// https://<id>.execute-api.<region>.amazonaws.com URL built from it is
	// rewritten to the dev stack's own base URL.
	localAPIID = "local-http-api"
)

// Template is what the dev stack reads from template.yaml, with every
// intrinsic function resolved to a local value.
type Template struct {
	Functions     map[string]*Function // by logical id
	StateMachines []*StateMachineResource
	// Table is the resolved name of the DynamoDB table (the first
	// AWS::DynamoDB::Table or AWS::Serverless::SimpleTable); empty when the
	// template declares none.
	Table string
	// Notes are what the dev stack had to guess (logged at start).
	Notes []string
}

// Function is one AWS::Serverless::Function.
type Function struct {
	LogicalID string
	Name      string // the function name ARNs carry
	ARN       string
	Env       map[string]string
	// Unresolved lists the environment variables whose value could not be
	// resolved locally (a parameter without default, a dynamic reference):
	// the dev stack gives them a dev value.
	Unresolved []string
	Routes     []Route
}

// Route is one HttpApi event of a function.
type Route struct {
	Method   string // upper case, or "ANY"
	Path     string // API Gateway syntax: /webhooks/{source}, /assets/{proxy+}
	Function string // logical id
}

// RouteKey is the API Gateway route key, "POST /webhooks/{source}".
func (r Route) RouteKey() string { return r.Method + " " + r.Path }

// StateMachineResource is one AWS::Serverless::StateMachine.
type StateMachineResource struct {
	LogicalID     string
	Name          string
	DefinitionURI string
	Substitutions map[string]string
	Alias         string // AutoPublishAlias, "live"
	ARN           string // unqualified
}

// QualifiedARN is the ARN executions start on: the alias when there is one.
func (m *StateMachineResource) QualifiedARN() string {
	if m.Alias == "" {
		return m.ARN
	}
	return m.ARN + ":" + m.Alias
}

// TemplateError is an invalid template.yaml.
type TemplateError struct {
	File string
	Msg  string
}

func (e *TemplateError) Error() string { return e.File + ": " + e.Msg }

// LoadTemplate reads and resolves file. baseURL is the dev stack's own URL
// (http://127.0.0.1:8080), which HTTP API URLs resolve to.
func LoadTemplate(file, stackName, baseURL string) (*Template, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	return ParseTemplate(filepath.Base(file), data, stackName, baseURL)
}

// ParseTemplate resolves a SAM template. CloudFormation's short tags (!Ref,
// !GetAtt, !Sub, !Join, !Select, !Split) and their long forms (Ref,
// Fn::GetAtt, …) are understood; other intrinsics leave the value
// unresolved.
func ParseTemplate(name string, data []byte, stackName, baseURL string) (*Template, error) {
	bad := func(format string, args ...any) error {
		return &TemplateError{File: name, Msg: fmt.Sprintf(format, args...)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, bad("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, bad("not a YAML mapping (want AWSTemplateFormatVersion, Resources, …)")
	}
	root := doc.Content[0]
	resNode := mapGet(root, "Resources")
	if resNode == nil || resNode.Kind != yaml.MappingNode {
		return nil, bad("no Resources mapping")
	}
	if stackName == "" {
		stackName = DefaultStackName
	}
	r := &resolver{stack: stackName, base: strings.TrimSuffix(baseURL, "/"), params: map[string]*yaml.Node{}, res: map[string]*resource{}}
	if p := mapGet(root, "Parameters"); p != nil && p.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(p.Content); i += 2 {
			r.params[p.Content[i].Value] = p.Content[i+1]
		}
	}
	var order []string
	for i := 0; i+1 < len(resNode.Content); i += 2 {
		id, body := resNode.Content[i].Value, resNode.Content[i+1]
		if body.Kind != yaml.MappingNode {
			return nil, bad("line %d: resource %s is not a mapping", body.Line, id)
		}
		typ := mapGet(body, "Type")
		if typ == nil || typ.Kind != yaml.ScalarNode || typ.Value == "" {
			return nil, bad("line %d: resource %s has no Type", body.Line, id)
		}
		props := mapGet(body, "Properties")
		r.res[id] = &resource{id: id, typ: typ.Value, props: props}
		order = append(order, id)
	}

	t := &Template{Functions: map[string]*Function{}}
	// The functions the dev stack builds are referenced (the send
	// function's ARN by every state machine) before template.yaml may
	// declare them: stand in for them, so references resolve.
	for _, id := range knownFunctionIDs {
		if r.res[id] == nil {
			r.res[id] = &resource{id: id, typ: "AWS::Serverless::Function", implicit: true}
			order = append(order, id)
		}
	}
	// Physical names first: references between resources use them.
	for _, id := range order {
		x := r.res[id]
		x.name = stackName + "-" + id
		if n := propString(r, x.props, nameProp(x.typ)); n != "" {
			x.name = n
		}
	}
	var globalEnv *yaml.Node
	if g := mapGet(root, "Globals"); g != nil {
		globalEnv = path(g, "Function", "Environment", "Variables")
	}
	for _, id := range order {
		x := r.res[id]
		switch x.typ {
		case "AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable":
			if t.Table == "" {
				t.Table = x.name
			}
		case "AWS::Serverless::Function":
			if x.implicit {
				continue
			}
			f := &Function{LogicalID: id, Name: x.name, ARN: r.functionARN(x.name), Env: map[string]string{}}
			for _, vars := range []*yaml.Node{globalEnv, path(x.props, "Environment", "Variables")} {
				if vars == nil {
					continue
				}
				if vars.Kind != yaml.MappingNode {
					return nil, bad("line %d: %s Environment.Variables is not a mapping", vars.Line, id)
				}
				for i := 0; i+1 < len(vars.Content); i += 2 {
					k := vars.Content[i].Value
					v, err := r.eval(vars.Content[i+1])
					s, ok := v.(string)
					if err != nil || !ok {
						f.Unresolved = append(f.Unresolved, k)
						delete(f.Env, k)
						continue
					}
					f.Env[k] = s
				}
			}
			sort.Strings(f.Unresolved)
			if ev := mapGet(x.props, "Events"); ev != nil && ev.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(ev.Content); i += 2 {
					e := ev.Content[i+1]
					typ := mapGet(e, "Type")
					if typ == nil || typ.Value != "HttpApi" {
						continue
					}
					p := mapGet(e, "Properties")
					method, pth := strings.ToUpper(propString(r, p, "Method")), propString(r, p, "Path")
					if method == "" || pth == "" {
						return nil, bad("line %d: %s event %s: an HttpApi event needs Path and Method (the dev stack does not serve a catch-all API)", e.Line, id, ev.Content[i].Value)
					}
					if !strings.HasPrefix(pth, "/") {
						return nil, bad("line %d: %s event %s: Path %q must start with /", e.Line, id, ev.Content[i].Value, pth)
					}
					f.Routes = append(f.Routes, Route{Method: method, Path: pth, Function: id})
				}
			}
			t.Functions[id] = f
		case "AWS::Serverless::StateMachine":
			m := &StateMachineResource{LogicalID: id, Name: x.name, ARN: r.stateMachineARN(x.name), Substitutions: map[string]string{}}
			m.DefinitionURI = propString(r, x.props, "DefinitionUri")
			if m.DefinitionURI == "" {
				return nil, bad("line %d: state machine %s has no DefinitionUri (the dev stack runs the compiled statemachines/*.asl.json)", x.line(), id)
			}
			m.Alias = propString(r, x.props, "AutoPublishAlias")
			if subs := mapGet(x.props, "DefinitionSubstitutions"); subs != nil {
				for i := 0; i+1 < len(subs.Content); i += 2 {
					k := subs.Content[i].Value
					v, err := r.eval(subs.Content[i+1])
					s, ok := v.(string)
					if err != nil {
						return nil, bad("line %d: %s DefinitionSubstitutions.%s: %v", subs.Content[i+1].Line, id, k, err)
					}
					if !ok {
						return nil, bad("line %d: %s DefinitionSubstitutions.%s: not a string", subs.Content[i+1].Line, id, k)
					}
					m.Substitutions[k] = s
				}
			}
			t.StateMachines = append(t.StateMachines, m)
		}
	}
	return t, nil
}

type resource struct {
	id, typ, name string
	props         *yaml.Node
	implicit      bool // a known function template.yaml does not declare
}

// knownFunctionIDs are the functions the dev stack knows how to build.
var knownFunctionIDs = []string{IngestFunction, RouterFunction, SendFunction, UnsubscribeFunction, FeedbackFunction}

func (x *resource) line() int {
	if x.props == nil {
		return 0
	}
	return x.props.Line
}

func nameProp(typ string) string {
	switch typ {
	case "AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable":
		return "TableName"
	case "AWS::Serverless::Function":
		return "FunctionName"
	case "AWS::Serverless::StateMachine":
		return "Name"
	}
	return ""
}

type resolver struct {
	stack, base string
	params      map[string]*yaml.Node
	res         map[string]*resource
}

func (r *resolver) functionARN(name string) string {
	return "arn:aws:lambda:" + LocalRegion + ":" + LocalAccountID + ":function:" + name
}

func (r *resolver) stateMachineARN(name string) string {
	return "arn:aws:states:" + LocalRegion + ":" + LocalAccountID + ":stateMachine:" + name
}

// errUnresolved is a value with no local equivalent.
var errUnresolved = errors.New("no local value")

func propString(r *resolver, props *yaml.Node, key string) string {
	if key == "" || props == nil {
		return ""
	}
	n := mapGet(props, key)
	if n == nil {
		return ""
	}
	v, err := r.eval(n)
	if s, ok := v.(string); ok && err == nil {
		return s
	}
	return ""
}

var (
	dynamicRef = regexp.MustCompile(`\{\{resolve:[^}]*\}\}`)
	subVar     = regexp.MustCompile(`\$\{([^}!]+)\}`)
	apiURL     = regexp.MustCompile(`^https://` + localAPIID + `\.execute-api\.[a-z0-9-]+\.amazonaws\.com(/\$default)?`)
)

// eval resolves a node to a string, a []any, a map[string]any or an error.
func (r *resolver) eval(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Tag {
	case "!Ref":
		return r.ref(n.Value)
	case "!GetAtt":
		if n.Kind == yaml.SequenceNode && len(n.Content) == 2 {
			return r.getAtt(n.Content[0].Value + "." + n.Content[1].Value)
		}
		return r.getAtt(n.Value)
	case "!Sub":
		return r.sub(n)
	case "!Join", "!Select", "!Split":
		return r.fn(strings.TrimPrefix(n.Tag, "!"), n)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("%s: %w", n.Tag, errUnresolved)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if dynamicRef.MatchString(n.Value) {
			return nil, fmt.Errorf("dynamic reference: %w", errUnresolved)
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := r.eval(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if len(n.Content) == 2 {
			k, v := n.Content[0].Value, n.Content[1]
			switch k {
			case "Ref":
				return r.ref(v.Value)
			case "Fn::GetAtt":
				if v.Kind == yaml.SequenceNode && len(v.Content) == 2 {
					return r.getAtt(v.Content[0].Value + "." + v.Content[1].Value)
				}
				return r.getAtt(v.Value)
			case "Fn::Sub":
				return r.sub(v)
			case "Fn::Join", "Fn::Select", "Fn::Split":
				return r.fn(strings.TrimPrefix(k, "Fn::"), v)
			}
			if strings.HasPrefix(k, "Fn::") {
				return nil, fmt.Errorf("%s: %w", k, errUnresolved)
			}
		}
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := r.eval(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[n.Content[i].Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected YAML node: %w", errUnresolved)
}

func (r *resolver) ref(name string) (any, error) {
	switch name {
	case "AWS::StackName":
		return r.stack, nil
	case "AWS::Region":
		return LocalRegion, nil
	case "AWS::AccountId":
		return LocalAccountID, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackId":
		return "arn:aws:cloudformation:" + LocalRegion + ":" + LocalAccountID + ":stack/" + r.stack + "/local", nil
	case "ServerlessHttpApi":
		return localAPIID, nil
	}
	if p, ok := r.params[name]; ok {
		if d := mapGet(p, "Default"); d != nil && d.Kind == yaml.ScalarNode {
			return d.Value, nil
		}
		return nil, fmt.Errorf("parameter %s has no Default: %w", name, errUnresolved)
	}
	// SAM's generated alias resources: MyStateMachine.Alias, or
	// MyStateMachineAliaslive.
	if base, ok := strings.CutSuffix(name, ".Alias"); ok {
		if x := r.res[base]; x != nil && x.typ == "AWS::Serverless::StateMachine" {
			return r.stateMachineARN(x.name) + ":" + propString(r, x.props, "AutoPublishAlias"), nil
		}
		if x := r.res[base]; x != nil && x.typ == "AWS::Serverless::Function" {
			return r.functionARN(x.name) + ":" + propString(r, x.props, "AutoPublishAlias"), nil
		}
	}
	for id, x := range r.res {
		if alias, ok := strings.CutPrefix(name, id+"Alias"); ok && alias != "" && x.typ == "AWS::Serverless::StateMachine" {
			return r.stateMachineARN(x.name) + ":" + alias, nil
		}
	}
	x := r.res[name]
	if x == nil {
		return nil, fmt.Errorf("!Ref %s: no such parameter or resource", name)
	}
	switch x.typ {
	case "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine":
		return r.stateMachineARN(x.name), nil
	case "AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api":
		return localAPIID, nil
	}
	return x.name, nil
}

func (r *resolver) getAtt(s string) (any, error) {
	id, attr, ok := strings.Cut(s, ".")
	x := r.res[id]
	if !ok || x == nil {
		return nil, fmt.Errorf("!GetAtt %s: no such resource", s)
	}
	switch {
	case x.typ == "AWS::Serverless::Function" && attr == "Arn":
		return r.functionARN(x.name), nil
	case strings.Contains(x.typ, "StateMachine") && attr == "Arn":
		return r.stateMachineARN(x.name), nil
	case x.typ == "AWS::Serverless::StateMachine" && attr == "Alias":
		return r.stateMachineARN(x.name) + ":" + propString(r, x.props, "AutoPublishAlias"), nil
	case strings.Contains(x.typ, "StateMachine") && attr == "Name":
		return x.name, nil
	case x.typ == "AWS::DynamoDB::Table" && attr == "Arn":
		return "arn:aws:dynamodb:" + LocalRegion + ":" + LocalAccountID + ":table/" + x.name, nil
	case x.typ == "AWS::DynamoDB::Table" && attr == "StreamArn":
		return "arn:aws:dynamodb:" + LocalRegion + ":" + LocalAccountID + ":table/" + x.name + "/stream/local", nil
	case attr == "Arn":
		svc := strings.ToLower(strings.Split(x.typ, "::")[1])
		return "arn:aws:" + svc + ":" + LocalRegion + ":" + LocalAccountID + ":" + x.name, nil
	}
	return nil, fmt.Errorf("!GetAtt %s: %w", s, errUnresolved)
}

func (r *resolver) sub(n *yaml.Node) (any, error) {
	str, vars := n, map[string]any{}
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) != 2 {
			return nil, fmt.Errorf("!Sub takes a string or [string, map]")
		}
		str = n.Content[0]
		m, err := r.eval(n.Content[1])
		if err != nil {
			return nil, err
		}
		mm, ok := m.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("!Sub variables are not a mapping")
		}
		vars = mm
	}
	if str.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("!Sub template is not a string")
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(str.Value, func(m string) string {
		name := m[2 : len(m)-1]
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v = x
		} else if strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::") {
			v, err = r.getAtt(name)
		} else {
			v, err = r.ref(name)
		}
		s, ok := v.(string)
		if err == nil && !ok {
			err = fmt.Errorf("${%s} is not a string", name)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return s
	})
	if firstErr != nil {
		return nil, firstErr
	}
	out = strings.ReplaceAll(out, "${!", "${")
	if loc := apiURL.FindStringIndex(out); loc != nil {
		out = r.base + out[loc[1]:]
	}
	return out, nil
}

func (r *resolver) fn(name string, n *yaml.Node) (any, error) {
	v, err := r.eval(&yaml.Node{Kind: n.Kind, Content: n.Content, Value: n.Value, Line: n.Line})
	if err != nil {
		return nil, err
	}
	args, _ := v.([]any)
	switch name {
	case "Join":
		if len(args) == 2 {
			sep, ok1 := args[0].(string)
			list, ok2 := args[1].([]any)
			if ok1 && ok2 {
				parts := make([]string, len(list))
				for i, p := range list {
					if parts[i], ok1 = p.(string); !ok1 {
						return nil, fmt.Errorf("!Join: element %d is not a string", i)
					}
				}
				return strings.Join(parts, sep), nil
			}
		}
	case "Select":
		if len(args) == 2 {
			i, err := strconv.Atoi(fmt.Sprint(args[0]))
			list, ok := args[1].([]any)
			if err == nil && ok && i >= 0 && i < len(list) {
				return list[i], nil
			}
		}
	case "Split":
		if len(args) == 2 {
			sep, ok1 := args[0].(string)
			s, ok2 := args[1].(string)
			if ok1 && ok2 {
				var out []any
				for _, p := range strings.Split(s, sep) {
					out = append(out, p)
				}
				return out, nil
			}
		}
	}
	return nil, fmt.Errorf("!%s: malformed arguments", name)
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func path(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n = mapGet(n, k); n == nil {
			return nil
		}
	}
	return n
}

// methodMatches says whether a request method fits a route method.
func methodMatches(route, method string) bool {
	return route == "ANY" || route == method || route == http.MethodGet && method == http.MethodHead
}
