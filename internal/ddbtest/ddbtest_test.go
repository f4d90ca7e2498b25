package ddbtest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/ddbtest"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func put(table, pk string, cond string) types.TransactWriteItem {
	p := &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": s(pk), "sk": s("X")}}
	if cond != "" {
		p.ConditionExpression = aws.String(cond)
	}
	return types.TransactWriteItem{Put: p}
}

// The behaviour profile.Store relies on: a failed condition cancels the whole
// transaction, nothing is written, and CancellationReasons point at the item.
func TestTransactConditionCancels(t *testing.T) {
	ctx := context.Background()
	e := ddbtest.Start(t)
	table := e.NewTable(t)
	if _, err := e.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		put(table, "a", "attribute_not_exists(pk)"),
	}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		put(table, "b", "attribute_not_exists(pk)"),
		put(table, "a", "attribute_not_exists(pk)"),
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("err = %v, want TransactionCanceledException", err)
	}
	if len(tce.CancellationReasons) != 2 || aws.ToString(tce.CancellationReasons[1].Code) != "ConditionalCheckFailed" ||
		aws.ToString(tce.CancellationReasons[0].Code) != "None" {
		t.Fatalf("reasons = %+v", tce.CancellationReasons)
	}
	if n := len(ddbtest.Scan(t, e.Client, table)); n != 1 {
		t.Fatalf("items after cancelled transaction = %d, want 1 (b must not be written)", n)
	}
}

func TestTTLAndFailureEmulation(t *testing.T) {
	ctx := context.Background()
	e := ddbtest.Start(t)
	table := e.NewTable(t)
	out, err := e.Client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.TimeToLiveDescription; d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "ttl" {
		t.Fatalf("ttl = %+v", d)
	}
	e.Server.EmulateFailure(server.FailureConditionInternalServerError)
	_, err = e.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"pk": s("a"), "sk": s("X")}})
	var ise *types.InternalServerError
	if !errors.As(err, &ise) {
		t.Fatalf("err = %v, want InternalServerError", err)
	}
	e.Server.EmulateFailure(server.FailureConditionNone)
	e.Close()
	if _, err := e.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"pk": s("a"), "sk": s("X")}}); err == nil {
		t.Fatal("GetItem after Close succeeded")
	}
}

func TestQueryBeginsWith(t *testing.T) {
	ctx := context.Background()
	db, table := ddbtest.New(t)
	for _, sk := range []string{"PROFILE", "ORDER#shopify#1", "ORDER#shopify#2"} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": s("P"), "sk": s(sk)}}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :o)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("P"), ":o": s("ORDER#")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 {
		t.Fatalf("query = %d items, want 2", len(out.Items))
	}
}
