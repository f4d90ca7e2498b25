package devstack

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// avFromJSON reads a DynamoDB JSON attribute value ({"S": "x"}, {"M": {…}})
// as the Step Functions integrations pass them.
func avFromJSON(v any) (types.AttributeValue, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("attribute value must be an object with one type key, got %v", v)
	}
	for k, x := range m {
		switch k {
		case "S":
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("type S must be a string")
			}
			return &types.AttributeValueMemberS{Value: s}, nil
		case "N":
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("type N must be a string")
			}
			return &types.AttributeValueMemberN{Value: s}, nil
		case "B":
			s, _ := x.(string)
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("type B must be base64")
			}
			return &types.AttributeValueMemberB{Value: b}, nil
		case "BOOL":
			b, ok := x.(bool)
			if !ok {
				return nil, fmt.Errorf("type BOOL must be a boolean")
			}
			return &types.AttributeValueMemberBOOL{Value: b}, nil
		case "NULL":
			return &types.AttributeValueMemberNULL{Value: true}, nil
		case "SS", "NS":
			list, ok := x.([]any)
			if !ok {
				return nil, fmt.Errorf("%s must be a list", k)
			}
			ss := make([]string, len(list))
			for i, e := range list {
				if ss[i], ok = e.(string); !ok {
					return nil, fmt.Errorf("%s elements must be strings", k)
				}
			}
			if k == "SS" {
				return &types.AttributeValueMemberSS{Value: ss}, nil
			}
			return &types.AttributeValueMemberNS{Value: ss}, nil
		case "L":
			list, ok := x.([]any)
			if !ok {
				return nil, fmt.Errorf("type L must be a list")
			}
			out := make([]types.AttributeValue, len(list))
			for i, e := range list {
				av, err := avFromJSON(e)
				if err != nil {
					return nil, err
				}
				out[i] = av
			}
			return &types.AttributeValueMemberL{Value: out}, nil
		case "M":
			mm, ok := x.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("type M must be an object")
			}
			out, err := itemFromJSON(mm)
			if err != nil {
				return nil, err
			}
			return &types.AttributeValueMemberM{Value: out}, nil
		}
		return nil, fmt.Errorf("unknown attribute type %q", k)
	}
	panic("unreachable")
}

func itemFromJSON(m map[string]any) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		av, err := avFromJSON(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

// avToJSON writes an attribute value in the DynamoDB JSON the Step
// Functions integration answers with.
func avToJSON(av types.AttributeValue) any {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": x.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": x.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(x.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": x.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": strs(x.Value)}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": strs(x.Value)}
	case *types.AttributeValueMemberBS:
		l := make([]any, len(x.Value))
		for i, b := range x.Value {
			l[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": l}
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			l[i] = avToJSON(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": itemToJSON(x.Value)}
	}
	return nil
}

func itemToJSON(item map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(item))
	for k, v := range item {
		out[k] = avToJSON(v)
	}
	return out
}

func strs(s []string) []any {
	c := append([]string(nil), s...)
	sort.Strings(c)
	out := make([]any, len(c))
	for i, v := range c {
		out[i] = v
	}
	return out
}

// decodeJSON decodes with json.Number, as the ASL engine wants its values.
func decodeJSON(b []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytesReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
