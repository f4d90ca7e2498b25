package ddbtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/ddbtest"
)

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}
}

// The behaviour profile.Store relies on, on both backends: a failed
// condition cancels the whole transaction, nothing is written, and
// CancellationReasons point at the item.
func TestBackendsTransactConditionCancels(t *testing.T) {
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		ctx := context.Background()
		if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			put(table, "a", "attribute_not_exists(pk)"),
		}}); err != nil {
			t.Fatal(err)
		}
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			put(table, "b", "attribute_not_exists(pk)"),
			put(table, "a", "attribute_not_exists(pk)"),
		}})
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			t.Fatalf("err = %v, want TransactionCanceledException", err)
		}
		if len(tce.CancellationReasons) != 2 || aws.ToString(tce.CancellationReasons[1].Code) != "ConditionalCheckFailed" ||
			aws.ToString(tce.CancellationReasons[0].Code) != "None" ||
			aws.ToString(tce.CancellationReasons[1].Message) != "The conditional request failed" {
			t.Fatalf("reasons = %+v", tce.CancellationReasons)
		}
		if n := len(ddbtest.Scan(t, db, table)); n != 1 {
			t.Fatalf("items after cancelled transaction = %d, want 1 (b must not be written)", n)
		}
	})
}

// TransactGetItems: one response per item, in order, empty for an absent
// item; a projection applies.
func TestBackendsTransactGet(t *testing.T) {
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		ctx := context.Background()
		item := key("P#a", "PROFILE")
		item["name"] = s("Ann")
		item["v"] = &types.AttributeValueMemberN{Value: "3"}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
		out, err := db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String(table), Key: key("P#z", "PROFILE")}},
			{Get: &types.Get{TableName: aws.String(table), Key: key("P#a", "PROFILE")}},
			{Get: &types.Get{TableName: aws.String(table), Key: key("P#a", "ORDER#1")}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Responses) != 3 || out.Responses[0].Item != nil || out.Responses[2].Item != nil {
			t.Fatalf("responses = %+v, want 3 with only the second item", out.Responses)
		}
		if got := out.Responses[1].Item["name"]; got == nil || got.(*types.AttributeValueMemberS).Value != "Ann" {
			t.Fatalf("second response = %+v", out.Responses[1].Item)
		}
		proj, err := db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String(table), Key: key("P#a", "PROFILE"), ProjectionExpression: aws.String("#v"), ExpressionAttributeNames: map[string]string{"#v": "v"}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if it := proj.Responses[0].Item; len(it) != 1 || it["v"] == nil {
			t.Fatalf("projected item = %+v, want only v", it)
		}
	})
}

func TestBackendsTTLAndQuery(t *testing.T) {
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		ctx := context.Background()
		out, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		if d := out.TimeToLiveDescription; d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "ttl" {
			t.Fatalf("ttl = %+v", d)
		}
		for _, sk := range []string{"PROFILE", "ORDER#shopify#1", "ORDER#shopify#2"} {
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key("P", sk)}); err != nil {
				t.Fatal(err)
			}
		}
		q, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(table),
			KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :o)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("P"), ":o": s("ORDER#")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Items) != 2 {
			t.Fatalf("query = %d items, want 2", len(q.Items))
		}
	})
}

// raw sends one DynamoDB request to an endpoint and returns status and body.
func raw(t *testing.T, url, op, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// The requests the front does not take apart get DynamoDB's errors in
// front of dynalite (minidyn answers them itself in the dev stack), and
// write nothing.
func TestDynaliteRejectedTransactions(t *testing.T) {
	d := ddbtest.SharedDynalite(t)
	table := d.NewTable(t)
	p := func(pk string) string {
		return `{"Put":{"TableName":"` + table + `","Item":{"pk":{"S":"` + pk + `"},"sk":{"S":"X"}}}}`
	}
	get := func(pk string) string {
		return `{"Get":{"TableName":"` + table + `","Key":{"pk":{"S":"` + pk + `"},"sk":{"S":"X"}}}}`
	}
	cases := []struct {
		name, op, body string
		status         int
		want           string // the answer's __type and message
	}{
		{"not json", "TransactWriteItems", `{"TransactItems":`, 400, `"SerializationException"`},
		{"empty", "TransactWriteItems", `{"TransactItems":[]}`, 400, `"__type":"ValidationException","message":"1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1"`},
		{"two operations in one item", "TransactWriteItems", `{"TransactItems":[{"Put":` + p("a")[7:len(p("a"))-1] + `,"Delete":{"TableName":"` + table + `","Key":{"pk":{"S":"a"},"sk":{"S":"X"}}}}]}`, 400, `"__type":"ValidationException","message":"TransactItems can only contain one of Check, Put, Update or Delete"`},
		{"two operations on one item", "TransactWriteItems", `{"TransactItems":[` + p("a") + `,` + p("b") + `,` + p("a") + `]}`, 400, `"__type":"ValidationException","message":"Transaction request cannot include multiple operations on one item"`},
		{"put without its sort key", "TransactWriteItems", `{"TransactItems":[` + p("a") + `,{"Put":{"TableName":"` + table + `","Item":{"pk":{"S":"c"}}}}]}`, 400, `"__type":"ValidationException","message":"One or more parameter values were invalid: Missing the key sk in the item"`},
		{"update without a key", "TransactWriteItems", `{"TransactItems":[` + p("a") + `,{"Update":{"TableName":"` + table + `","Key":{"pk":{"S":"c"}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{":v":{"N":"1"}}}}]}`, 400, `"__type":"ValidationException","message":"The provided key element does not match the schema"`},
		{"unknown table", "TransactWriteItems", `{"TransactItems":[` + p("a") + `,` + strings.Replace(p("c"), table, "nope-table", 1) + `]}`, 400, `ResourceNotFoundException","message":"Requested resource not found"`},
		{"get: two gets of one item", "TransactGetItems", `{"TransactItems":[` + get("a") + `,` + get("a") + `]}`, 400, `"__type":"ValidationException","message":"Transaction request cannot include multiple operations on one item"`},
		{"get: empty", "TransactGetItems", `{"TransactItems":[]}`, 400, `"__type":"ValidationException","message":"1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1"`},
		{"get: unknown table", "TransactGetItems", `{"TransactItems":[` + strings.Replace(get("a"), table, "nope-table", 1) + `]}`, 400, `ResourceNotFoundException","message":"Requested resource not found"`},
		{"ttl: unknown table", "UpdateTimeToLive", `{"TableName":"nope-table","TimeToLiveSpecification":{"AttributeName":"ttl","Enabled":true}}`, 400, `ResourceNotFoundException","message":"Requested resource not found`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := raw(t, d.URL, c.op, c.body)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("answer %d %s, want %d with %s", status, body, c.status, c.want)
			}
			if n := len(ddbtest.Scan(t, d.Client, table)); n != 0 {
				t.Fatalf("%d items written by a rejected request", n)
			}
		})
	}
}

// An item over DynamoDB's 400 KB limit: dynalite (through the front)
// cancels the transaction as DynamoDB does, with a ValidationError reason,
// and writes nothing. minidyn has no item size limit and stores it: a
// divergence the package comment records.
func TestBackendsItemOver400KB(t *testing.T) {
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		big := key("P#big", "EVENT")
		big["v"] = s(strings.Repeat("x", 401*1024))
		_, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			put(table, "a", "attribute_not_exists(pk)"),
			{Put: &types.Put{TableName: aws.String(table), Item: big}},
		}})
		n := len(ddbtest.Scan(t, db, table))
		if strings.HasSuffix(t.Name(), "/minidyn") {
			if err != nil || n != 2 {
				t.Fatalf("minidyn: err %v, %d items; want it to store the item (no size limit)", err, n)
			}
			return
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 ||
			aws.ToString(tce.CancellationReasons[0].Code) != "None" || aws.ToString(tce.CancellationReasons[1].Code) != "ValidationError" ||
			aws.ToString(tce.CancellationReasons[1].Message) != "Item size has exceeded the maximum allowed size" {
			t.Fatalf("err = %v, want TransactionCanceledException [None, ValidationError]", err)
		}
		if n != 0 {
			t.Fatalf("%d items after the cancelled transaction, want 0", n)
		}
	})
}
