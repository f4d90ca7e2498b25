package send_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/send"
	"github.com/parcours/parcours/internal/sesapi"
)

// TestClientCalls: each method value reaches the real client (against the
// local emulators) with the caller's options applied.
func TestClientCalls(t *testing.T) {
	ctx := context.Background()
	db, table := ddbtest.New(t)
	calls := send.NewDynamoDBCalls(db)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "P#1"}, "sk": &types.AttributeValueMemberS{Value: "S#1"}}
	item := map[string]types.AttributeValue{"pk": key["pk"], "sk": key["sk"], "n": &types.AttributeValueMemberN{Value: "1"}}

	ddbCalls := []struct {
		name string
		call func(opt func(*dynamodb.Options)) error
	}{
		{"PutItem", func(opt func(*dynamodb.Options)) error {
			_, err := calls.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}, opt)
			return err
		}},
		{"GetItem", func(opt func(*dynamodb.Options)) error {
			out, err := calls.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key}, opt)
			if err == nil && out.Item == nil {
				t.Error("GetItem found nothing after PutItem")
			}
			return err
		}},
		{"UpdateItem", func(opt func(*dynamodb.Options)) error {
			_, err := calls.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: key, UpdateExpression: aws.String("SET n = n + :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}}, opt)
			return err
		}},
		{"Query", func(opt func(*dynamodb.Options)) error {
			out, err := calls.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": key["pk"]}}, opt)
			if err == nil && (len(out.Items) != 1 || out.Items[0]["n"].(*types.AttributeValueMemberN).Value != "2") {
				t.Errorf("Query = %v, want the item with n = 2", out.Items)
			}
			return err
		}},
		{"TransactGetItems", func(opt func(*dynamodb.Options)) error {
			_, err := calls.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{{Get: &types.Get{TableName: &table, Key: key}}}}, opt)
			return err
		}},
		{"TransactWriteItems", func(opt func(*dynamodb.Options)) error {
			_, err := calls.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Delete: &types.Delete{TableName: &table, Key: key}}}}, opt)
			return err
		}},
	}
	for _, c := range ddbCalls {
		t.Run(c.name, func(t *testing.T) {
			applied := false
			if err := c.call(func(*dynamodb.Options) { applied = true }); err != nil {
				t.Fatal(err)
			}
			if !applied {
				t.Error("the caller's option was not applied")
			}
		})
	}

	t.Run("SendEmail", func(t *testing.T) {
		srv := sesapi.NewServer()
		ts := httptest.NewServer(srv)
		defer ts.Close()
		ses := send.NewSESCalls(sesv2.New(sesv2.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""), BaseEndpoint: aws.String(ts.URL)}))
		applied := false
		_, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: aws.String("shop@shop.example"),
			Destination: &sestypes.Destination{ToAddresses: []string{"ana@example.com"}},
			Content: &sestypes.EmailContent{Simple: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("Hi")},
				Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("Hello")}}}}},
			func(*sesv2.Options) { applied = true })
		if err != nil {
			t.Fatal(err)
		}
		if !applied || len(srv.Outbox()) != 1 {
			t.Errorf("option applied %v, outbox %d, want true and 1", applied, len(srv.Outbox()))
		}
	})
}
