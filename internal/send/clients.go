package send

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/parcours/parcours/internal/profile"
)

// If anything in the send function calls a method by name at run time
// (reflect's MethodByName, as text/template does; internal/mail no longer
// links it), the Go linker keeps every exported method of every type that
// is ever converted to an interface. Handing the Handler a *dynamodb.Client
// or a *sesv2.Client would then keep every operation of both APIs (with
// their serializers: over 3 MB of the bootstrap). DynamoDBCalls, SESCalls
// and ProfilesFunc hold method values instead, so the clients' types never
// reach an interface and only the operations called are linked, whatever
// links MethodByName. main builds them with NewDynamoDBCalls, NewSESCalls
// and ProfilesFunc(store.GetView).

// DynamoDBCalls is a *dynamodb.Client reduced to the operations the send
// function makes: the gate's (DynamoDB) and the profile store's
// (profile.DynamoDB).
type DynamoDBCalls struct {
	getItem            func(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	putItem            func(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	updateItem         func(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	query              func(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	transactGetItems   func(context.Context, *dynamodb.TransactGetItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error)
	transactWriteItems func(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var (
	_ DynamoDB         = DynamoDBCalls{}
	_ profile.DynamoDB = DynamoDBCalls{}
)

// NewDynamoDBCalls holds c's operations as method values.
func NewDynamoDBCalls(c *dynamodb.Client) DynamoDBCalls {
	return DynamoDBCalls{getItem: c.GetItem, putItem: c.PutItem, updateItem: c.UpdateItem,
		query: c.Query, transactGetItems: c.TransactGetItems, transactWriteItems: c.TransactWriteItems}
}

// GetItem calls the client's GetItem.
func (d DynamoDBCalls) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return d.getItem(ctx, in, optFns...)
}

// PutItem calls the client's PutItem.
func (d DynamoDBCalls) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return d.putItem(ctx, in, optFns...)
}

// UpdateItem calls the client's UpdateItem.
func (d DynamoDBCalls) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return d.updateItem(ctx, in, optFns...)
}

// Query calls the client's Query.
func (d DynamoDBCalls) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return d.query(ctx, in, optFns...)
}

// TransactGetItems calls the client's TransactGetItems.
func (d DynamoDBCalls) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	return d.transactGetItems(ctx, in, optFns...)
}

// TransactWriteItems calls the client's TransactWriteItems.
func (d DynamoDBCalls) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return d.transactWriteItems(ctx, in, optFns...)
}

// SESCalls is a *sesv2.Client reduced to SendEmail.
type SESCalls struct {
	sendEmail func(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ SES = SESCalls{}

// NewSESCalls holds c's SendEmail as a method value.
func NewSESCalls(c *sesv2.Client) SESCalls { return SESCalls{sendEmail: c.SendEmail} }

// SendEmail calls the client's SendEmail.
func (s SESCalls) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return s.sendEmail(ctx, in, optFns...)
}

// ProfilesFunc is a GetView method value (of a *profile.Store) as Profiles,
// so the store's other exported methods are not linked either.
type ProfilesFunc func(ctx context.Context, email string) (profile.View, error)

// GetView calls f.
func (f ProfilesFunc) GetView(ctx context.Context, email string) (profile.View, error) {
	return f(ctx, email)
}
