// Package samtemplate reads template.yaml the way the deploy tools do, so
// tests can check it without an AWS account: goformation
// (github.com/awslabs/goformation/v7) parses it into typed resources, and
// the same parser's intrinsic-preserving mode gives the raw document, in
// which !Ref, !GetAtt, !Sub and !Join stay visible as their long forms.
package samtemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// Template is one parsed SAM template.
type Template struct {
	// Typed holds every resource as goformation's typed struct (by logical
	// id), decoded with intrinsic functions resolved as goformation does
	// (!Ref of a parameter is its Default; what it cannot resolve, such as
	// !Ref of a resource, is empty). Decoding rejects unknown properties
	// and wrong types, as CloudFormation would.
	Typed map[string]cloudformation.Resource
	// Raw is the whole document with intrinsics in long form
	// ({"Ref": "Table"}, {"Fn::Sub": "…"}).
	Raw map[string]any
}

// Load parses the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	typed, err := typedResources(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rawJSON, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(rawJSON, &raw); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return &Template{Typed: typed, Raw: raw}, nil
}

// NewerThanGoformation are properties SAM and CloudFormation accept that
// goformation v7.14.9's generated schema does not know yet (by resource
// type, as paths under Properties). They are left out of the typed
// decoding; tests check them on the raw document.
var NewerThanGoformation = map[string][][]string{
	"AWS::Serverless::Function":                  {{"LoggingConfig"}},
	"AWS::Serverless::StateMachine":              {{"AutoPublishAlias"}},
	"AWS::SES::ConfigurationSetEventDestination": {{"EventDestination", "EventBridgeDestination"}},
}

// typedResources decodes each resource into goformation's struct for its
// type. goformation.ParseYAML would do the same for the whole template,
// but fails on the first property newer than its schema.
func typedResources(data []byte) (map[string]cloudformation.Resource, error) {
	resolved, err := intrinsics.ProcessYAML(data, nil)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var doc struct {
		Resources map[string]map[string]any
	}
	if err := json.Unmarshal(resolved, &doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	all := cloudformation.AllResources()
	out := map[string]cloudformation.Resource{}
	var errs []string
	for id, r := range doc.Resources {
		typ, _ := r["Type"].(string)
		target, ok := all[typ]
		if !ok {
			errs = append(errs, fmt.Sprintf("resource %s: type %q unknown to goformation", id, typ))
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		for _, p := range NewerThanGoformation[typ] {
			m := props
			for _, k := range p[:len(p)-1] {
				m, _ = m[k].(map[string]any)
			}
			delete(m, p[len(p)-1])
		}
		b, err := json.Marshal(r)
		if err == nil {
			err = json.Unmarshal(b, target)
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("resource %s (%s): %v", id, typ, err))
			continue
		}
		out[id] = target
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return out, nil
}

// Resource is one raw resource.
type Resource struct {
	ID         string
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	Condition  string
}

// Resources returns the raw resources of the given type (all when typ is
// empty), sorted by logical id.
func (t *Template) Resources(typ string) []Resource {
	res, _ := t.Raw["Resources"].(map[string]any)
	var out []Resource
	for id, v := range res {
		m, _ := v.(map[string]any)
		r := Resource{ID: id}
		r.Type, _ = m["Type"].(string)
		r.Properties, _ = m["Properties"].(map[string]any)
		r.Metadata, _ = m["Metadata"].(map[string]any)
		r.Condition, _ = m["Condition"].(string)
		if typ == "" || r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Resource returns the raw resource id, or false.
func (t *Template) Resource(id string) (Resource, bool) {
	for _, r := range t.Resources("") {
		if r.ID == id {
			return r, true
		}
	}
	return Resource{}, false
}

// Get walks a raw value by map keys.
func Get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Resolver evaluates intrinsic functions to local stand-in values: a
// parameter to its Default (or Params[name]), a resource to
// "arn:aws:local:<id>", an attribute to "arn:aws:local:<id>.<attr>", the
// pseudo parameters to fixed values; an HTTP API to its lower-cased
// logical id, which URLs use as a host name label.
type Resolver struct {
	T      *Template
	Params map[string]string // values of parameters without a Default
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// String resolves v to a string.
func (r Resolver) String(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return fmt.Sprint(x), nil
	case map[string]any:
		if len(x) != 1 {
			return "", fmt.Errorf("not an intrinsic function: %v", x)
		}
		for fn, arg := range x {
			switch fn {
			case "Ref":
				name, _ := arg.(string)
				return r.ref(name)
			case "Fn::GetAtt":
				switch a := arg.(type) {
				case []any:
					if len(a) == 2 {
						return r.getAtt(fmt.Sprint(a[0]), fmt.Sprint(a[1]))
					}
				case string:
					id, attr, _ := strings.Cut(a, ".")
					return r.getAtt(id, attr)
				}
				return "", fmt.Errorf("Fn::GetAtt %v", arg)
			case "Fn::Sub":
				return r.sub(arg)
			case "Fn::Join":
				a, ok := arg.([]any)
				if !ok || len(a) != 2 {
					return "", fmt.Errorf("Fn::Join %v", arg)
				}
				sep, _ := a[0].(string)
				parts, _ := a[1].([]any)
				out := make([]string, 0, len(parts))
				for _, p := range parts {
					s, err := r.String(p)
					if err != nil {
						return "", err
					}
					out = append(out, s)
				}
				return strings.Join(out, sep), nil
			}
			return "", fmt.Errorf("%s: not resolved locally", fn)
		}
	}
	return "", fmt.Errorf("cannot resolve %T %v", v, v)
}

func (r Resolver) ref(name string) (string, error) {
	switch name {
	case "AWS::Region":
		return "eu-west-1", nil
	case "AWS::AccountId":
		return "123456789012", nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return "parcours", nil
	}
	if p, ok := r.T.Raw["Parameters"].(map[string]any)[name]; ok {
		if v, ok := r.Params[name]; ok {
			return v, nil
		}
		if d, ok := Get(p, "Default").(string); ok {
			return d, nil
		}
		if d, ok := Get(p, "Default").(float64); ok {
			return fmt.Sprint(d), nil
		}
		return "", fmt.Errorf("parameter %s has no Default and no test value", name)
	}
	if x, ok := r.T.Resource(name); ok {
		if x.Type == "AWS::Serverless::HttpApi" || x.Type == "AWS::ApiGatewayV2::Api" {
			return strings.ToLower(name), nil // an API id: part of a host name
		}
		return "arn:aws:local:" + name, nil
	}
	if base, ok := r.generatedAlias(name); ok {
		return "arn:aws:local:" + base + ":live", nil
	}
	return "", fmt.Errorf("!Ref %s: no such parameter or resource", name)
}

// generatedAlias reports whether name is the alias SAM generates for a
// state machine with AutoPublishAlias (<LogicalId>Alias<alias>).
func (r Resolver) generatedAlias(name string) (string, bool) {
	for _, sm := range r.T.Resources("AWS::Serverless::StateMachine") {
		alias, _ := sm.Properties["AutoPublishAlias"].(string)
		if alias != "" && name == sm.ID+"Alias"+alias {
			return sm.ID, true
		}
	}
	return "", false
}

func (r Resolver) getAtt(id, attr string) (string, error) {
	if _, ok := r.T.Resource(id); !ok {
		return "", fmt.Errorf("!GetAtt %s.%s: no such resource", id, attr)
	}
	return "arn:aws:local:" + id + "." + attr, nil
}

func (r Resolver) sub(arg any) (string, error) {
	str, vars := arg, map[string]any{}
	if a, ok := arg.([]any); ok && len(a) == 2 {
		str = a[0]
		vars, _ = a[1].(map[string]any)
	}
	s, ok := str.(string)
	if !ok {
		return "", fmt.Errorf("Fn::Sub template is not a string")
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		var v string
		var err error
		switch {
		case vars[name] != nil:
			v, err = r.String(vars[name])
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			id, attr, _ := strings.Cut(name, ".")
			v, err = r.getAtt(id, attr)
		default:
			v, err = r.ref(name)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	})
	return out, firstErr
}
