package ddbtest

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Dump returns every item of a table as DynamoDB JSON, one item a line,
// lines sorted and set members sorted, so that two backends' tables can be
// compared as strings (their Scan orders and set orders differ). The
// values of the attributes named in mask (ids drawn at random, say) are
// written as "masked".
func Dump(tb testing.TB, db *dynamodb.Client, table string, mask ...string) string {
	tb.Helper()
	items := Scan(tb, db, table)
	lines := make([]string, len(items))
	for i, it := range items {
		m := jsonItem(it)
		for _, name := range mask {
			if _, ok := m[name]; ok {
				m[name] = "masked"
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			tb.Fatalf("ddbtest: dump %s: %v", table, err)
		}
		lines[i] = string(b)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func jsonItem(item map[string]types.AttributeValue) map[string]any {
	m := make(map[string]any, len(item))
	for k, v := range item {
		m[k] = jsonValue(v)
	}
	return m
}

// jsonValue is v in DynamoDB JSON (encoding/json sorts the map keys).
func jsonValue(v types.AttributeValue) map[string]any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": v.Value}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": slices.Sorted(slices.Values(v.Value))}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": slices.Sorted(slices.Values(v.Value))}
	case *types.AttributeValueMemberBS:
		bs := make([]string, len(v.Value))
		for i, b := range v.Value {
			bs[i] = base64.StdEncoding.EncodeToString(b)
		}
		slices.Sort(bs)
		return map[string]any{"BS": bs}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = jsonValue(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": jsonItem(v.Value)}
	default:
		return map[string]any{"?": "unknown attribute value type"}
	}
}
