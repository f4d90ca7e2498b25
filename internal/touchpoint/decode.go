package touchpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on a webhook body, beyond the handler's body size limit.
const (
	MaxDepth     = 32   // JSON nesting (objects and arrays)
	MaxLineItems = 500  // line items in one cart or order
	MaxString    = 4096 // bytes in any string field parcours keeps
	MaxTags      = 250  // tags on one customer
)

var errMalformed = &InputError{Reason: "malformed JSON"}

// checkDepth rejects JSON nested deeper than MaxDepth without decoding it, so
// a hostile body cannot make the decoder recurse. It only counts brackets
// outside strings; syntax errors are left to the decoder. Strings are
// skipped with bytes.IndexByte: a quote closes the string when the run of
// backslashes before it is even.
func checkDepth(b []byte) error {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			j := i + 1
			for {
				k := bytes.IndexByte(b[j:], '"')
				if k < 0 {
					return nil // unterminated string: the decoder reports it
				}
				j += k
				n := 0
				for p := j - 1; p > i && b[p] == '\\'; p-- {
					n++
				}
				if n%2 == 0 {
					break
				}
				j++
			}
			i = j
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return errTooDeep
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

var errTooDeep = &InputError{Reason: "JSON nested deeper than " + strconv.Itoa(MaxDepth) + " levels"}

// decodeJSON unmarshals a body into v and turns every failure into an
// *InputError naming the field. Type errors name the field by its dotted
// path ("line_items.quantity"); array indices are named by the checks that
// run after decoding.
func decodeJSON(body []byte, v any) error {
	if err := checkDepth(body); err != nil {
		return err
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return &InputError{Reason: "expected a JSON object, got " + te.Value}
		}
		return &InputError{Field: te.Field, Reason: "expected " + kindName(te.Type) + ", got " + te.Value}
	}
	return errMalformed
}

func kindName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[jsonID]():
		return "an id (string or integer)"
	case reflect.TypeFor[jsonNum]():
		return "a number or numeric string"
	case reflect.TypeFor[jsonTags]():
		return "a string or an array of strings"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer"
	}
	return t.Kind().String()
}

// jsonID is a platform id: a JSON integer (kept as its exact text, never a
// float64: Shopify ids exceed 2^53) or a string. null is empty.
type jsonID string

func (id *jsonID) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*id = jsonID(s)
	case string(b) == "null":
		*id = ""
	case isDigits(b):
		*id = jsonID(b)
	default:
		return &json.UnmarshalTypeError{Value: "number " + string(b), Type: reflect.TypeFor[jsonID]()}
	}
	return nil
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// unquote returns the string a JSON string literal stands for. A literal
// without escapes, control characters or invalid UTF-8 (nearly all of them)
// is copied as it is; any other goes through encoding/json, so the result is
// always the one json.Unmarshal gives.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && plainString(b[1:len(b)-1]) {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// plainString reports whether b is the inside of a JSON string literal
// that needs no unescaping: no quote, backslash or control character, and
// valid UTF-8.
func plainString(b []byte) bool {
	ascii := true
	for _, c := range b {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.Valid(b)
}

// jsonNum is a JSON number or numeric string, kept as text: money and
// quantities are converted from the text, never through float64.
type jsonNum string

func (n *jsonNum) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*n = jsonNum(strings.TrimSpace(s))
	case string(b) == "null":
		*n = ""
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*n = jsonNum(b)
	default:
		return &json.UnmarshalTypeError{Value: valueKind(b), Type: reflect.TypeFor[jsonNum]()}
	}
	return nil
}

// jsonTags is Shopify's comma-separated tag string, or a JSON array of tags.
type jsonTags []string

func (t *jsonTags) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*t = nil
		for tag := range strings.SplitSeq(s, ",") {
			if tag = strings.TrimSpace(tag); tag != "" {
				*t = append(*t, tag)
			}
		}
	case string(b) == "null":
		*t = nil
	case len(b) > 0 && b[0] == '[':
		var s []string
		if err := json.Unmarshal(b, &s); err != nil {
			return &json.UnmarshalTypeError{Value: "array with a non-string", Type: reflect.TypeFor[jsonTags]()}
		}
		*t = nil
		for _, tag := range s {
			if tag = strings.TrimSpace(tag); tag != "" {
				*t = append(*t, tag)
			}
		}
	default:
		return &json.UnmarshalTypeError{Value: valueKind(b), Type: reflect.TypeFor[jsonTags]()}
	}
	return nil
}

func valueKind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	case '"':
		return "string"
	}
	return "number"
}

// field names a JSON field for an InputError: Name alone, or
// List[Index].Name inside an array, or List+Name when Index is negative (a
// prefix such as "customer.", joined only on failure). It is formatted only
// on failure.
type field struct {
	List  string
	Index int
	Name  string
}

func f(name string) field { return field{Index: -1, Name: name} }

// fp is f(prefix + name) without joining the two unless it fails.
func fp(prefix, name string) field { return field{List: prefix, Index: -1, Name: name} }

func (p field) String() string {
	if p.List == "" {
		return p.Name
	}
	if p.Index < 0 {
		return p.List + p.Name
	}
	if p.Name == "" {
		return fmt.Sprintf("%s[%d]", p.List, p.Index)
	}
	return fmt.Sprintf("%s[%d].%s", p.List, p.Index, p.Name)
}

// conv converts decoded payload fields into canonical values, keeping the
// first failure.
type conv struct {
	err *InputError
}

func (c *conv) fail(p field, reason string) {
	if c.err == nil {
		c.err = &InputError{Field: p.String(), Reason: reason}
	}
}

// result returns the first failure as an error, or nil. (A nil *InputError
// must not become a non-nil error.)
func (c *conv) result() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

// str keeps a string field, rejecting one over MaxString bytes.
func (c *conv) str(p field, s string) string {
	if len(s) > MaxString {
		c.fail(p, fmt.Sprintf("longer than %d bytes", MaxString))
		return ""
	}
	return s
}

// id keeps a platform id, rejecting one over MaxIDBytes: ids are parts of
// item keys.
func (c *conv) id(p field, id jsonID) string { return c.short(p, string(id), MaxIDBytes) }

// short keeps a string of at most max bytes.
func (c *conv) short(p field, s string, max int) string {
	if len(s) > max {
		c.fail(p, fmt.Sprintf("longer than %d bytes", max))
		return ""
	}
	return s
}

func (c *conv) required(p field, v string) string {
	if v == "" {
		c.fail(p, "required")
	}
	return v
}

// email normalizes an address (trimmed, lower-cased); "" stays "".
func (c *conv) email(p field, s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	s = c.short(p, s, MaxEmailBytes)
	if s == "" {
		return ""
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.IndexByte(s[at+1:], '@') >= 0 || strings.ContainsAny(s, " \t\r\n<>,;") {
		c.fail(p, "not an email address")
		return ""
	}
	return s
}

// money converts a decimal amount ("129.90", 129.9 or "-10.00") to its
// exact decimal text. Exponents and non-numbers are rejected.
func (c *conv) money(p field, n jsonNum) string {
	s := string(n)
	if s == "" {
		return ""
	}
	if !isDecimal(s) {
		c.fail(p, "not a decimal amount")
		return ""
	}
	return c.str(p, s)
}

func isDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !isDigits([]byte(intPart)) || (hasDot && !isDigits([]byte(frac))) {
		return false
	}
	return len(s) <= 40
}

// quantity converts a line item quantity: a non-negative integer.
func (c *conv) quantity(p field, n jsonNum) int64 {
	if n == "" {
		return 0
	}
	q, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || q < 0 || q > 1_000_000_000 {
		c.fail(p, "not a non-negative integer")
		return 0
	}
	return q
}

// count converts a small integer (an order number, a rating).
func (c *conv) integer(p field, n jsonNum) string {
	if n == "" {
		return ""
	}
	if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
		c.fail(p, "not an integer")
		return ""
	}
	return string(n)
}

// time parses an RFC 3339 timestamp (any offset) into UTC; WooCommerce's
// *_gmt fields have no offset and are read as UTC. "" is the zero time.
func (c *conv) time(p field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	// No string parses under both layouts (one ends with an offset, the
	// other without), so the order only decides which failure is paid for:
	// try first the layout the string looks like.
	first, second := time.RFC3339Nano, noOffset
	if !hasOffset(s) {
		first, second = second, first
	}
	t, err := time.Parse(first, s)
	if err != nil {
		t, err = time.Parse(second, s)
	}
	if err != nil {
		c.fail(p, "not an RFC 3339 timestamp")
		return time.Time{}
	}
	return t.UTC()
}

// noOffset is WooCommerce's *_gmt layout: RFC 3339 without an offset.
const noOffset = "2006-01-02T15:04:05"

// hasOffset reports whether s ends like an RFC 3339 offset ("Z" or
// "+hh:mm"/"-hh:mm").
func hasOffset(s string) bool {
	n := len(s)
	return n > 0 && (s[n-1] == 'Z' || s[n-1] == 'z') || n > 6 && (s[n-6] == '+' || s[n-6] == '-')
}

func (c *conv) timePtr(p field, s string) *time.Time {
	t := c.time(p, s)
	if t.IsZero() {
		return nil
	}
	return &t
}

func (c *conv) tags(p field, t jsonTags) []string {
	if len(t) > MaxTags {
		c.fail(p, fmt.Sprintf("more than %d tags", MaxTags))
		return nil
	}
	for _, tag := range t {
		c.str(p, tag)
	}
	return []string(t)
}

func (c *conv) lineItemCount(p field, n int) bool {
	if n > MaxLineItems {
		c.fail(p, fmt.Sprintf("more than %d line items", MaxLineItems))
		return false
	}
	return true
}

// sumDecimals adds exact decimal amounts; the result keeps the largest
// number of decimals among them ("10.5" + "0.25" = "10.75").
func sumDecimals(amounts []string) string {
	total, scale := new(big.Rat), 0
	for _, a := range amounts {
		r, ok := new(big.Rat).SetString(a)
		if !ok {
			continue
		}
		total.Add(total, r)
		if _, frac, ok := strings.Cut(a, "."); ok && len(frac) > scale {
			scale = len(frac)
		}
	}
	return total.FloatString(scale)
}

// deviceClass classifies a browser user agent as mobile, tablet or desktop
// ("" when there is none).
func deviceClass(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return ""
	}
	l := strings.ToLower(ua)
	has := func(s string) bool { return strings.Contains(l, s) }
	switch {
	case has("ipad") || has("tablet") || has("kindle") || has("silk/") || (has("android") && !has("mobile")):
		return "tablet"
	case has("mobi") || has("iphone") || has("ipod") || has("android") || has("windows phone"):
		return "mobile"
	}
	return "desktop"
}

func (c *Customer) empty() bool {
	return c.FirstName == "" && c.LastName == "" && c.Phone == "" && c.Timezone == "" && len(c.Tags) == 0
}

// decimals counts the digits after the point of a decimal string.
func decimals(s string) int {
	_, frac, _ := strings.Cut(s, ".")
	return len(frac)
}

// padDecimals appends zeros so s has at least n decimals ("18.5", 2 →
// "18.50"). It never rounds.
func padDecimals(s string, n int) string {
	if s == "" {
		return s
	}
	d := decimals(s)
	if d >= n {
		return s
	}
	if d == 0 {
		s += "."
	}
	return s + strings.Repeat("0", n-d)
}
