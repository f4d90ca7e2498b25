package touchpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const maxBody = 1 << 20 // the ingest handler's body limit

func TestStringSize(t *testing.T) {
	cases := []string{"", "plain", `quote " and \ back`, "<a href=x>&amp;</a>", "tab\tnl\ncr\r", "\x00\x01\x1f",
		"é中😀", "\u2028\u2029", "bad \xff utf8 \xc3", strings.Repeat("<", 4096)}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "<", ">", "&", `"`, `\`, "\n", "\x01", "é", "中", "😀", "\u2028", "\xff", "\x7f"}
	for range 500 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		enc, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := StringSize(s); got != len(enc) {
			t.Errorf("StringSize(%q) = %d, json.Marshal gives %d bytes", s, got, len(enc))
		}
	}
}

// fillStrings sets every string field reachable from v (through pointers,
// slices and maps it allocates) to s, every int to a 20-digit value and
// every time to a time with nanoseconds and an offset, so EncodedSize can
// be checked against json.Marshal on an event where nothing is empty: a
// field added to Event but forgotten by the size bound fails the test.
func fillStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		v.SetInt(-999999999999999999)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillStrings(v.Elem(), s)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Interface {
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 3, 3))
		for i := range 3 {
			fillStrings(v.Index(i), s)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2025, 11, 22, 7, 58, 41, 123456789, time.FixedZone("", -7*3600))))
			return
		}
		for i := range v.NumField() {
			fillStrings(v.Field(i), s)
		}
	}
}

func TestEncodedSizeBoundsMarshal(t *testing.T) {
	for _, s := range []string{"", "a", "<&>", "é", strings.Repeat(`"`, 50)} {
		var ev Event
		fillStrings(reflect.ValueOf(&ev).Elem(), s)
		ev.Properties = map[string]any{"n": json.Number("12.5"), "s": s, "a": []any{true, nil, map[string]any{"k": s}}, "f": 1.25}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if got := EncodedSize(&ev); got < len(b) {
			t.Errorf("strings %q: EncodedSize = %d < json.Marshal %d bytes", s, got, len(b))
		}
		lb, _ := json.Marshal(ev.Order.LineItems)
		if got := LineItemsSize(ev.Order.LineItems); got < len(lb) {
			t.Errorf("strings %q: LineItemsSize = %d < %d", s, got, len(lb))
		}
	}
	// And on ordinary events of each source: close to the real size.
	for _, f := range smallEvents(t) {
		for _, ev := range f.events {
			b, _ := json.Marshal(ev)
			if got := EncodedSize(&ev); got < len(b) || got > len(b)+2048 {
				t.Errorf("%s: EncodedSize = %d for %d bytes", f.name, got, len(b))
			}
		}
	}
}

type decodedFixture struct {
	name   string
	events []Event
}

// smallEvents are the golden canonical events of every fixture and one
// small event per source.
func smallEvents(t *testing.T) []decodedFixture {
	t.Helper()
	var out []decodedFixture
	goldens, _ := filepath.Glob("testdata/golden/*/*.json")
	if len(goldens) == 0 {
		t.Fatal("no golden events")
	}
	for _, p := range goldens {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var g struct {
			Events []Event `json:"events"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, decodedFixture{p, g.Events})
	}
	srcs := devSources(t)
	for _, src := range []string{"shopify", "woocommerce", "standard"} {
		evs, err := srcs[src].Decode(Request{Headers: smallHeaders(src), Body: []byte(smallBody(src))})
		if err != nil {
			t.Fatalf("%s small body: %v", src, err)
		}
		out = append(out, decodedFixture{src, evs})
	}
	return out
}

func smallHeaders(src string) http.Header {
	switch src {
	case "shopify":
		return shopifyHeaders("orders/create")
	case "woocommerce":
		return wooHeaders("order.created")
	}
	return standardHeaders()
}

func smallBody(src string) string {
	switch src {
	case "shopify":
		return `{` + okOrder + `,"email":"bob@example.com","total_price":"12.00","currency":"EUR","line_items":[{"title":"Mug & <cup>","quantity":2,"price":"6.00","product_type":"Kitchen"}],"customer":{"id":7,"tags":"vip, b"}}`
	case "woocommerce":
		return `{"id":42,"status":"processing","currency":"EUR","total":"12.00","date_created_gmt":"2025-11-18T20:40:58","date_modified_gmt":"2025-11-18T20:40:59","billing":{"email":"bob@example.com"},"line_items":[{"name":"Mug","quantity":2,"price":6}]}`
	}
	return `{"type":"order_placed","occurred_at":"2025-11-22T07:58:41Z","email":"bob@example.com","order":{"id":"o1","total":"12.00","currency":"EUR","line_items":[{"title":"Mug","quantity":2,"price":"6.00"}]}}`
}

// worstCase is a body within every decode limit built to make the
// canonical event as large as it can be.
type worstCase struct {
	name    string
	headers http.Header
	body    []byte
	lines   int // line items in the body
	tags    int // tags in the body
}

// worstCases builds, for one source, bodies at the decode limits: 500
// line items whose strings fill the 1 MiB body, in characters that
// encode to 6 bytes ("<"), 2 bytes per byte (é) or 1 ("a"); 250 tags of
// 255 characters; for the generic source also the largest accepted
// properties and base fields.
func worstCases(src string) []worstCase {
	var out []worstCase
	for _, ch := range []string{"<", "é", "a"} {
		for _, typ := range []string{"checkout", "order"} {
			if src == "woocommerce" && typ == "checkout" {
				continue
			}
			out = append(out, worstLines(src, typ, ch))
		}
		out = append(out, worstTags(src, ch))
	}
	if src == "standard" {
		out = append(out, worstEverything())
	}
	return out
}

// worstEverything is a generic checkout with every part near its budget:
// names, touch, recovery URL and properties close to MaxEventBaseBytes,
// 250 tags and 500 line items filling the body.
func worstEverything() worstCase {
	c := worstLines("standard", "checkout", "a")
	a := quoted(strOf("a", MaxString))
	tags := make([]string, MaxTags)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag-%03d-", i) + strOf("a", 60)
	}
	tb, _ := json.Marshal(tags)
	props := `{"p1":` + a + `,"p2":` + a + `,"p3":` + a + `}`
	extra := `"customer":{"first_name":` + a + `,"last_name":` + a + `,"tags":` + string(tb) + `},` +
		`"touch":{"channel":"web","landing_site":` + a + `,"referring_site":` + a + `},"properties":` + props + `,`
	body := strings.Replace(string(c.body), `"checkout":{"id":"c1",`, extra+`"checkout":{"id":"c1","recovery_url":`+a+`,`, 1)
	// Make room in the body: shorten the line items' strings.
	body = strings.ReplaceAll(body, strOf("a", 400), strOf("a", 380))
	c.name, c.body, c.tags = "standard checkout with every part near its budget", []byte(body), MaxTags
	return c
}

// strOf is n bytes (at most) of ch repeated.
func strOf(ch string, n int) string { return strings.Repeat(ch, max(n/len(ch), 0)) }

func quoted(s string) string {
	b, _ := json.Marshal(s)
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

func worstLines(src, typ, ch string) worstCase {
	// Four strings per line sized so 500 lines fill the body.
	per := (maxBody - 4096) / MaxLineItems
	s := strOf(ch, min((per-200)/4, MaxString))
	line := func(i int) string {
		switch src {
		case "woocommerce":
			return fmt.Sprintf(`{"name":%s,"sku":%s,"product_id":%d,"variation_id":%d,"quantity":1,"price":1.5,"parent_name":%s,"image":{"src":%s}}`,
				quoted(s), quoted(s), 1000+i, 2000+i, quoted(s), quoted(s))
		case "shopify":
			return fmt.Sprintf(`{"title":%s,"variant_title":%s,"sku":%s,"product_type":%s,"product_id":%d,"variant_id":%d,"quantity":1,"price":"1.50"}`,
				quoted(s), quoted(s), quoted(s), quoted(s), 1000+i, 2000+i)
		}
		return fmt.Sprintf(`{"title":%s,"variant_title":%s,"sku":%s,"category":%s,"product_id":"p%d","variant_id":"v%d","quantity":1,"price":"1.50"}`,
			quoted(s), quoted(s), quoted(s), quoted(s), i, i)
	}
	lines := make([]string, MaxLineItems)
	for i := range lines {
		lines[i] = line(i)
	}
	items := "[" + strings.Join(lines, ",") + "]"
	c := worstCase{name: fmt.Sprintf("%s %s 500 lines of %q", src, typ, ch), lines: MaxLineItems}
	switch src {
	case "shopify":
		if typ == "checkout" {
			c.headers = shopifyHeaders("checkouts/create")
			c.body = []byte(`{"id":1,"token":"t1","email":"worst@example.com","updated_at":"2025-11-18T21:40:58+01:00","currency":"EUR","subtotal_price":"750.00","total_price":"750.00","line_items":` + items + `}`)
		} else {
			c.headers = shopifyHeaders("orders/create")
			c.body = []byte(`{` + okOrder + `,"email":"worst@example.com","currency":"EUR","total_price":"750.00","line_items":` + items + `}`)
		}
	case "woocommerce":
		c.headers = wooHeaders("order.created")
		c.body = []byte(`{"id":42,"status":"processing","currency":"EUR","total":"750.00","date_created_gmt":"2025-11-18T20:40:58","date_modified_gmt":"2025-11-18T20:40:59","billing":{"email":"worst@example.com"},"line_items":` + items + `}`)
	default:
		c.headers = standardHeaders()
		part := `"checkout":{"id":"c1","currency":"EUR","total":"750.00","line_items":` + items + `}`
		t := "checkout_started"
		if typ == "order" {
			part = `"order":{"id":"o1","currency":"EUR","total":"750.00","line_items":` + items + `}`
			t = "order_placed"
		}
		c.body = []byte(`{"type":"` + t + `","occurred_at":"2025-11-22T07:58:41Z","email":"worst@example.com",` + part + `}`)
	}
	return c
}

func worstTags(src, ch string) worstCase {
	tags := make([]string, MaxTags)
	for i := range tags {
		tags[i] = fmt.Sprintf("%03d", i) + strOf(ch, (MaxTagChars-3)*len(ch))
	}
	c := worstCase{name: fmt.Sprintf("%s 250 tags of 255 %q", src, ch), tags: MaxTags}
	switch src {
	case "shopify":
		c.headers = shopifyHeaders("customers/update")
		c.body = []byte(`{"id":7,"email":"worst@example.com","updated_at":"2025-11-18T21:40:58+01:00","tags":` + quoted(strings.Join(tags, ", ")) + `}`)
	case "woocommerce": // WooCommerce has no tags: its largest customer is its names
		c.headers = wooHeaders("customer.updated")
		c.tags = 0
		half := quoted(strOf(ch, MaxString/2))
		c.body = []byte(`{"id":7,"email":"worst@example.com","first_name":` + half + `,"last_name":` + half +
			`,"date_created_gmt":"2025-11-18T20:40:58","date_modified_gmt":"2025-11-18T20:40:59","billing":{"phone":` + half + `}}`)
	default:
		c.headers = standardHeaders()
		b, _ := json.Marshal(tags)
		c.body = []byte(`{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z","email":"worst@example.com","customer":{"first_name":` + quoted(strOf(ch, MaxString)) + `,"tags":` + string(b) + `}}`)
	}
	return c
}

// TestWorstCaseEvents: the largest bodies each source accepts become
// events within MaxEventBytes, with what was dropped counted.
func TestWorstCaseEvents(t *testing.T) {
	srcs := devSources(t)
	for _, src := range []string{"shopify", "woocommerce", "standard"} {
		for _, c := range worstCases(src) {
			t.Run(c.name, func(t *testing.T) {
				if len(c.body) > maxBody {
					t.Fatalf("body is %d bytes, over the handler's limit", len(c.body))
				}
				evs, err := srcs[src].Decode(Request{Headers: c.headers, Body: c.body})
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				for _, ev := range evs {
					b, err := json.Marshal(ev)
					if err != nil {
						t.Fatal(err)
					}
					if n := EncodedSize(&ev); len(b) > n || n > MaxEventBytes {
						t.Fatalf("%s: %d bytes, EncodedSize %d, budget %d", ev.Type, len(b), n, MaxEventBytes)
					}
					if c.lines > 0 {
						kept, omitted := lines(ev)
						if kept+omitted != c.lines || omitted == 0 {
							t.Fatalf("%s: %d line items kept + %d omitted, body has %d", ev.Type, kept, omitted, c.lines)
						}
						lb, _ := json.Marshal(keptLines(ev))
						if len(lb) > MaxLineItemsBytes {
							t.Fatalf("kept line items are %d bytes", len(lb))
						}
					}
					if cu := ev.Customer; c.tags > 0 && ev.Type != ConsentChanged {
						if cu == nil || len(cu.Tags)+cu.TagsOmitted != c.tags || cu.TagsOmitted == 0 {
							t.Fatalf("tags: %+v", cu)
						}
						tb, _ := json.Marshal(cu.Tags)
						if len(tb) > MaxTagsBytes {
							t.Fatalf("kept tags are %d bytes", len(tb))
						}
						for i, tag := range cu.Tags[1:] { // the order sent is kept
							if tag <= cu.Tags[i] {
								t.Fatalf("tag %d %.10q after %.10q", i+1, tag, cu.Tags[i])
							}
						}
					}
					// Fit is idempotent.
					again := ev
					if err := Fit(&again); err != nil || !reflect.DeepEqual(again, ev) {
						t.Fatalf("Fit on a fitted event changed it (err %v)", err)
					}
				}
			})
		}
	}
}

func lines(ev Event) (kept, omitted int) {
	if c := ev.Checkout; c != nil {
		return len(c.LineItems), c.LineItemsOmitted
	}
	if o := ev.Order; o != nil {
		return len(o.LineItems), o.LineItemsOmitted
	}
	return 0, 0
}

func keptLines(ev Event) []LineItem {
	if c := ev.Checkout; c != nil {
		return c.LineItems
	}
	return ev.Order.LineItems
}

// TestBudgetRejections: what no real shop sends is refused with the exact
// message the sender sees.
func TestBudgetRejections(t *testing.T) {
	srcs := devSources(t)
	std := func(fields string) string {
		return `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z",` + fields + `}`
	}
	longEmail := strings.Repeat("a", MaxEmailBytes-len("@example.com")+1) + "@example.com"
	bigProps := `{"a":` + quoted(strOf("<", MaxString)) + `,"b":` + quoted(strOf("<", MaxString)) + `}`
	big := quoted(strOf("<", MaxString))
	cases := []struct {
		name, source string
		headers      http.Header
		body, want   string
	}{
		{"email over 254 bytes", "standard", standardHeaders(), std(`"email":"` + longEmail + `"`), "email: longer than 254 bytes"},
		{"customer id over 255 bytes", "standard", standardHeaders(), std(`"customer_id":"` + strings.Repeat("9", 256) + `"`), "customer_id: longer than 255 bytes"},
		{"shop over 255 bytes", "standard", standardHeaders(), std(`"email":"a@example.com","shop":"` + strings.Repeat("s", 256) + `"`), "shop: longer than 255 bytes"},
		{"shopify order id over 255 bytes", "shopify", shopifyHeaders("orders/create"), `{"id":"` + strings.Repeat("1", 256) + `","created_at":"2025-11-18T21:40:58+01:00"}`, "id: longer than 255 bytes"},
		{"shopify email over 254 bytes", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"email":"` + longEmail + `"}`, "email: longer than 254 bytes"},
		{"woocommerce customer id over 255 bytes", "woocommerce", wooHeaders("order.created"), `{"id":1,"customer_id":"` + strings.Repeat("1", 256) + `","date_created_gmt":"2025-11-18T20:40:58","date_modified_gmt":"2025-11-18T20:40:59"}`, "customer_id: longer than 255 bytes"},
		{"properties over 16 KiB", "standard", standardHeaders(), std(`"email":"a@example.com","properties":` + bigProps), "properties: larger than 16384 bytes"},
		{"event over 64 KiB without its lines", "standard", standardHeaders(), std(`"email":"a@example.com","customer":{"first_name":` + big + `,"last_name":` + big + `,"phone":` + big + `},"touch":{"channel":` + big + `,"landing_site":` + big + `,"referring_site":` + big + `}`), "event larger than 65536 bytes without its line items"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := srcs[tc.source].Decode(Request{Headers: tc.headers, Body: []byte(tc.body)})
			var in *InputError
			if !errors.As(err, &in) || err.Error() != tc.want || evs != nil {
				t.Fatalf("Decode = %d events, %v; want InputError %q", len(evs), err, tc.want)
			}
		})
	}
	// Both sides: at the limits the same bodies are accepted.
	okEmail := strings.Repeat("a", MaxEmailBytes-len("@example.com")) + "@example.com"
	for _, body := range []string{
		std(`"email":"` + okEmail + `"`),
		std(`"customer_id":"` + strings.Repeat("9", 255) + `","shop":"` + strings.Repeat("s", 255) + `"`),
		std(`"email":"a@example.com","properties":{"a":` + quoted(strOf("<", 2500)) + `}`),
		std(`"email":"a@example.com","customer":{"first_name":` + big + `,"last_name":` + quoted(strOf("a", MaxString)) + `}`),
	} {
		if _, err := srcs["standard"].Decode(Request{Headers: standardHeaders(), Body: []byte(body)}); err != nil {
			t.Errorf("body of %d bytes at the limit: %v", len(body), err)
		}
	}
}

func TestFitLongID(t *testing.T) {
	ev := Event{ID: "woocommerce:shop:order.created:1:1763798400:" + strings.Repeat("é", 600)}
	other := Event{ID: ev.ID + "x"}
	if err := Fit(&ev); err != nil {
		t.Fatal(err)
	}
	if err := Fit(&other); err != nil {
		t.Fatal(err)
	}
	if len(ev.ID) > MaxEventIDBytes || !utf8.ValidString(ev.ID) || ev.ID == other.ID || !strings.HasPrefix(ev.ID, "woocommerce:shop:order.created:1:") {
		t.Fatalf("ids %q and %q", ev.ID, other.ID)
	}
	again := ev
	if Fit(&again); again.ID != ev.ID {
		t.Fatal("Fit changed a fitted id")
	}
}

func TestFitLineItemsKeepsPrefix(t *testing.T) {
	items := make([]LineItem, 10)
	for i := range items {
		items[i] = LineItem{Title: strings.Repeat("x", 1000), Price: "1.00", Quantity: int64(i)}
	}
	kept, omitted := FitLineItems(items, 0, 3500)
	b, _ := json.Marshal(kept)
	if len(kept) != 3 || omitted != 7 || len(b) > 3500 || kept[2].Quantity != 2 {
		t.Fatalf("kept %d (%d bytes), omitted %d", len(kept), len(b), omitted)
	}
	if k, o := FitLineItems(items, 2, 1<<20); len(k) != 10 || o != 2 {
		t.Fatalf("within budget: kept %d, omitted %d", len(k), o)
	}
}

func TestFitTags(t *testing.T) {
	long := strings.Repeat("é", MaxTagChars+1)
	ev := Event{ID: "x", Customer: &Customer{Tags: []string{"vip", long, strings.Repeat("é", MaxTagChars), "b"}}}
	if err := Fit(&ev); err != nil {
		t.Fatal(err)
	}
	if got := ev.Customer; len(got.Tags) != 3 || got.Tags[0] != "vip" || got.Tags[2] != "b" || got.TagsOmitted != 1 {
		t.Fatalf("tags %d %q…, omitted %d", len(got.Tags), got.Tags[0], got.TagsOmitted)
	}
	if err := Fit(&ev); err != nil || ev.Customer.TagsOmitted != 1 {
		t.Fatalf("second Fit: omitted %d, %v", ev.Customer.TagsOmitted, err)
	}
}
