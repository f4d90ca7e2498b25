package devstack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/ddbtest"
)

// TestShardsMatchMinidyn sends the same requests to one minidyn and to
// items spread over five: answers must be the same bytes (Scan and
// BatchGetItem: the same items, in any order), pages must cover every
// item once.
func TestShardsMatchMinidyn(t *testing.T) {
	plain := serveBackend(t, ddbtest.Handler(server.NewServer()))
	sh := newShards(5)
	sharded := serveBackend(t, sh)

	same := func(t *testing.T, op, body string) string {
		t.Helper()
		ps, pb := plain.do(t, op, body)
		ss, sb := sharded.do(t, op, body)
		if ps != ss || pb != sb {
			t.Fatalf("%s %s:\nminidyn: %d %s\nshards:  %d %s", op, body, ps, pb, ss, sb)
		}
		if ss != http.StatusOK {
			t.Fatalf("%s: %d %s", op, ss, sb)
		}
		return sb
	}
	used := map[int]bool{}
	for p := range 20 {
		for _, sk := range []string{"A", "B#1", "B#2"} {
			same(t, "PutItem", fmt.Sprintf(`{"TableName":"t","Item":{"pk":{"S":"P#%d"},"sk":{"S":"%s"},"n":{"N":"%d"},"odd":{"BOOL":%v}}}`, p, sk, p, p%2 == 1))
		}
		i, ok := sh.shardOf("t", attrs{"pk": json.RawMessage(fmt.Sprintf(`{"S":"P#%d"}`, p))})
		if !ok {
			t.Fatal("no shard")
		}
		used[i] = true
	}
	if len(used) < 4 {
		t.Fatalf("20 partition keys on %d of 5 servers", len(used))
	}
	key := func(p int, sk string) string {
		return fmt.Sprintf(`{"pk":{"S":"P#%d"},"sk":{"S":"%s"}}`, p, sk)
	}

	t.Run("single-item operations", func(t *testing.T) {
		same(t, "GetItem", `{"TableName":"t","Key":`+key(3, "A")+`}`)
		same(t, "GetItem", `{"TableName":"t","Key":`+key(99, "A")+`}`)
		same(t, "UpdateItem", `{"TableName":"t","Key":`+key(4, "A")+`,"UpdateExpression":"SET n = n + :d","ExpressionAttributeValues":{":d":{"N":"10"}},"ReturnValues":"ALL_NEW"}`)
		same(t, "DeleteItem", `{"TableName":"t","Key":`+key(5, "B#2")+`,"ReturnValues":"ALL_OLD"}`)
		same(t, "PutItem", `{"TableName":"t","Item":`+key(5, "B#2")+`}`)
	})
	t.Run("query pages", func(t *testing.T) {
		for p := range 20 {
			esk := ""
			pages := 0
			for {
				body := fmt.Sprintf(`{"TableName":"t","KeyConditionExpression":"#p = :p AND begins_with(sk, :b)","ExpressionAttributeNames":{"#p":"pk"},"ExpressionAttributeValues":{":p":{"S":"P#%d"},":b":{"S":"B"}},"Limit":1%s}`, p, esk)
				var out struct {
					Items            []json.RawMessage
					LastEvaluatedKey json.RawMessage
				}
				if err := json.Unmarshal([]byte(same(t, "Query", body)), &out); err != nil {
					t.Fatal(err)
				}
				pages++
				if len(out.LastEvaluatedKey) == 0 {
					break
				}
				esk = `,"ExclusiveStartKey":` + string(out.LastEvaluatedKey)
			}
			if pages < 2 {
				t.Fatalf("P#%d: %d pages, want 2 or more", p, pages)
			}
		}
	})
	t.Run("transact get across servers", func(t *testing.T) {
		out := same(t, "TransactGetItems", `{"TransactItems":[`+
			strings.Join([]string{`{"Get":{"TableName":"t","Key":` + key(1, "A") + `}}`, `{"Get":{"TableName":"t","Key":` + key(2, "B#1") + `}}`,
				`{"Get":{"TableName":"t","Key":` + key(99, "A") + `}}`, `{"Get":{"TableName":"t","Key":` + key(7, "A") + `,"ProjectionExpression":"n"}}`,
				`{"Get":{"TableName":"t","Key":` + key(13, "B#2") + `}}`}, ",")+`]}`)
		if !strings.Contains(out, `"P#13"`) || !strings.Contains(out, `{}`) {
			t.Errorf("answer %s", out)
		}
		// minidyn's own validation still answers.
		ps, pb := plain.do(t, "TransactGetItems", `{"TransactItems":[]}`)
		ss, sb := sharded.do(t, "TransactGetItems", `{"TransactItems":[]}`)
		if ps != 400 || ps != ss || pb != sb {
			t.Errorf("empty: minidyn %d %s, shards %d %s", ps, pb, ss, sb)
		}
	})
	t.Run("batches across servers", func(t *testing.T) {
		var reqs []string
		for p := 20; p < 30; p++ {
			reqs = append(reqs, `{"PutRequest":{"Item":`+key(p, "A")+`}}`)
		}
		reqs = append(reqs, `{"DeleteRequest":{"Key":`+key(0, "A")+`}}`, `{"DeleteRequest":{"Key":`+key(1, "A")+`}}`)
		same(t, "BatchWriteItem", `{"RequestItems":{"t":[`+strings.Join(reqs, ",")+`]}}`)
		body := `{"RequestItems":{"t":{"Keys":[` + strings.Join([]string{key(2, "A"), key(21, "A"), key(8, "B#1"), key(0, "A"), key(17, "B#2")}, ",") + `]}}}`
		ps, pb := plain.do(t, "BatchGetItem", body)
		ss, sb := sharded.do(t, "BatchGetItem", body)
		if ps != 200 || ss != 200 {
			t.Fatalf("%d %s / %d %s", ps, pb, ss, sb)
		}
		if p, s := batchItems(t, pb), batchItems(t, sb); p != s || strings.Count(s, "\n") != 3 {
			t.Errorf("BatchGetItem:\nminidyn %s\nshards  %s", p, s)
		}
	})
	t.Run("describe counts every server", func(t *testing.T) {
		same(t, "DescribeTable", `{"TableName":"t"}`)
	})
	t.Run("scan pages", func(t *testing.T) {
		for _, c := range []struct{ name, extra string }{
			{"no limit", ``},
			{"limit 7", `,"Limit":7`},
			{"limit 1", `,"Limit":1`},
			{"filter, limit 4", `,"Limit":4,"FilterExpression":"odd = :t","ExpressionAttributeValues":{":t":{"BOOL":true}}`},
		} {
			t.Run(c.name, func(t *testing.T) {
				want := scanAll(t, plain, c.extra)
				got := scanAll(t, sharded, c.extra)
				if want != got {
					t.Fatalf("scan:\nminidyn %s\nshards  %s", want, got)
				}
				if c.extra == "" && strings.Count(got, "\n") != 67 {
					t.Fatalf("%d items, want 68 (60 + 10 batch puts - 2 batch deletes)", strings.Count(got, "\n")+1)
				}
			})
		}
	})
}

// scanAll pages through a Scan and returns the items sorted, one per line;
// it fails on an item seen twice or a page over the limit.
func scanAll(t *testing.T, b *backend, extra string) string {
	t.Helper()
	var limit int
	fmt.Sscanf(strings.TrimPrefix(extra, `,"Limit":`), "%d", &limit)
	seen := map[string]bool{}
	esk := ""
	for range 1000 {
		status, body := b.do(t, "Scan", `{"TableName":"t"`+extra+esk+`}`)
		if status != 200 {
			t.Fatalf("scan: %d %s", status, body)
		}
		var out struct {
			Items            []json.RawMessage
			LastEvaluatedKey json.RawMessage
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		if limit > 0 && len(out.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(out.Items), limit)
		}
		for _, it := range out.Items {
			if seen[string(it)] {
				t.Fatalf("item twice: %s", it)
			}
			seen[string(it)] = true
		}
		if len(out.LastEvaluatedKey) == 0 {
			lines := make([]string, 0, len(seen))
			for k := range seen {
				lines = append(lines, k)
			}
			sort.Strings(lines)
			return strings.Join(lines, "\n")
		}
		esk = `,"ExclusiveStartKey":` + string(out.LastEvaluatedKey)
	}
	t.Fatal("scan does not end")
	return ""
}

func batchItems(t *testing.T, body string) string {
	t.Helper()
	var out struct{ Responses map[string][]json.RawMessage }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, it := range out.Responses["t"] {
		lines = append(lines, string(it))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
