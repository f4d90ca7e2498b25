package profile

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableAPI is what CreateTable needs from a DynamoDB client.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// TableSchema is the table as template.yaml declares it: string keys pk/sk,
// on-demand billing, a stream of new images (the router reads event items
// from it). The TTL attribute is set separately (TTLSpec): DynamoDB's
// CreateTable has no TTL field.
func TableSchema(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(AttrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(AttrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(AttrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(AttrSK), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewImage,
		},
	}
}

// TTLSpec turns on expiry by the "ttl" attribute (epoch seconds).
func TTLSpec(name string) *dynamodb.UpdateTimeToLiveInput {
	return &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(AttrTTL),
			Enabled:       aws.Bool(true),
		},
	}
}

// CreateTable creates the table on a local endpoint (parcours dev, tests,
// DynamoDB Local). In AWS, template.yaml creates it. Local emulators make a
// table active at once, so TTL is set right after.
func CreateTable(ctx context.Context, db TableAPI, name string) error {
	if _, err := db.CreateTable(ctx, TableSchema(name)); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if _, err := db.UpdateTimeToLive(ctx, TTLSpec(name)); err != nil {
		return fmt.Errorf("enable ttl on %s: %w", name, err)
	}
	return nil
}
