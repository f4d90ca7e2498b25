package journey

import (
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// kind is what a Choice rule can do with a field.
type kind int

const (
	kString    kind = iota + 1
	kNumber         // a JSON number
	kDecimal        // a decimal string such as "129.90" (money)
	kBool           //
	kTimestamp      // RFC 3339
	kObject         // only presence can be tested
	kArray          // only presence can be tested
	kAny            // free-form (properties): type from the literal
)

func (k kind) String() string {
	return map[kind]string{kString: "string", kNumber: "number", kDecimal: "decimal string", kBool: "boolean",
		kTimestamp: "timestamp", kObject: "object", kArray: "list", kAny: "any"}[k]
}

// field is one known field of a source.
type field struct {
	kind     kind
	optional bool // may be absent: every comparison is guarded with IsPresent
}

// source is where a condition reads a field: the profile read after each wait,
// the triggering event, or the triggering order's item.
type source string

const (
	srcProfile source = "profile"
	srcTrigger source = "trigger"
	srcOrder   source = "order"
)

// jsonPrefix is where each source lives in the execution state.
var jsonPrefix = map[source]string{
	srcProfile: "$.profile.view",
	srcTrigger: "$.trigger",
	srcOrder:   "$.order.view",
}

// catalog lists the fields of each source, by dotted name. Map-valued fields
// (tag, total_spent, properties) are listed with a "*" segment.
var catalog = map[source]map[string]field{
	srcProfile: fieldsOf(reflect.TypeFor[profile.View]()),
	srcTrigger: fieldsOf(reflect.TypeFor[touchpoint.Event]()),
	srcOrder:   fieldsOf(reflect.TypeFor[profile.OrderView]()),
}

var decimalNames = map[string]bool{"total": true, "subtotal": true, "price": true, "amount": true, "refunded": true}

func fieldsOf(t reflect.Type) map[string]field {
	out := map[string]field{}
	var walk func(t reflect.Type, prefix string, optional bool)
	walk = func(t reflect.Type, prefix string, optional bool) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" {
				continue
			}
			path := prefix + name
			opt := optional || strings.Contains(opts, "omitempty")
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
				opt = true
			}
			switch {
			case ft == reflect.TypeFor[time.Time]():
				out[path] = field{kTimestamp, opt}
			case ft.Kind() == reflect.Struct:
				out[path] = field{kObject, opt}
				walk(ft, path+".", opt)
			case ft.Kind() == reflect.Map:
				out[path] = field{kObject, opt}
				switch ft.Elem().Kind() {
				case reflect.Bool:
					out[path+".*"] = field{kBool, true}
				case reflect.String:
					out[path+".*"] = field{kDecimal, true}
				default:
					out[path+".*"] = field{kAny, true}
				}
			case ft.Kind() == reflect.Slice:
				out[path] = field{kArray, opt}
			case ft.Kind() == reflect.String:
				if decimalNames[name] {
					out[path] = field{kDecimal, opt}
				} else {
					out[path] = field{kString, opt}
				}
			case ft.Kind() == reflect.Bool:
				out[path] = field{kBool, opt}
			case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Float64:
				out[path] = field{kNumber, opt}
			}
		}
	}
	walk(t, "", false)
	return out
}

// lookupField resolves "checkout.total" (or "tag.vip" through a "*" entry)
// in a source's catalog.
func lookupField(src source, name string) (field, bool) {
	cat := catalog[src]
	if f, ok := cat[name]; ok {
		return f, true
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		if f, ok := cat[name[:i]+".*"]; ok && validKey(name[i+1:]) {
			return f, true
		}
	}
	return field{}, false
}

func validKey(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// fieldNames lists a source's fields, for hints.
func fieldNames(src source) []string {
	var names []string
	for n := range catalog[src] {
		if !strings.HasSuffix(n, "*") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// jsonPath turns source + dotted name into a JSONPath. Keys that are not
// plain identifiers use bracket notation.
func jsonPath(src source, name string) string {
	var b strings.Builder
	b.WriteString(jsonPrefix[src])
	for _, seg := range strings.Split(name, ".") {
		if isIdent(seg) {
			b.WriteString("." + seg)
		} else {
			b.WriteString("['" + seg + "']")
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
