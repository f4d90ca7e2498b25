// Package erase carries out privacy requests: it erases everything stored
// about a customer (Shopify customers/redact, `parcours erase`), everything
// stored for a shop (shop/redact), and exports a customer's data
// (customers/data_request, `parcours export`). docs/privacy.md describes
// what is stored, the order of operations and what a partial failure
// leaves.
//
// Everything a profile owns is found from its partition, without a scan:
// the items under PROFILE#<email> (profile, orders, journey entries, the
// frequency cap, exports), the reference items profile.Store writes to the
// event and alias items (REF#…), and the execution items the router writes
// before it starts a journey (EXEC#<name>), which lead to the executions to
// stop and to their message items (MESSAGE#<name>).
package erase

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// DynamoDB is what the eraser needs from the SDK client.
type DynamoDB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// SFN is what the eraser needs from the Step Functions client.
type SFN interface {
	StopExecution(ctx context.Context, in *sfn.StopExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
}

// Names the stopped executions carry (visible in the console).
const (
	StopError = "Parcours.Erased"
	StopCause = "the customer's data was erased"
)

// messagePK is send.MessagePK (tested to agree; not imported, so the
// eraser does not depend on the send function's package).
func messagePK(execution string) string { return "MESSAGE#" + execution }

// Eraser erases and exports customers' data.
type Eraser struct {
	DB    DynamoDB
	SFN   SFN
	Table string
	Now   func() time.Time
	Log   *slog.Logger
	// ExportTTL is how long an export item written for a data request
	// lives (30 days: Shopify's deadline to answer the customer).
	ExportTTL time.Duration
}

// New returns an Eraser with a 30-day export TTL.
func New(db DynamoDB, sf SFN, table string, log *slog.Logger) *Eraser {
	return &Eraser{DB: db, SFN: sf, Table: table, Now: time.Now, Log: log, ExportTTL: 30 * 24 * time.Hour}
}

// Report counts what an erasure did.
type Report struct {
	Profiles          int `json:"profiles"`           // partitions that held something
	ItemsDeleted      int `json:"items_deleted"`      // profile items, orders, entries, cap, refs, aliases, messages
	EventsErased      int `json:"events_erased"`      // event items reduced to their dedupe key
	ExecutionsStopped int `json:"executions_stopped"` // running executions stopped
}

func (r *Report) add(o Report) {
	r.Profiles += o.Profiles
	r.ItemsDeleted += o.ItemsDeleted
	r.EventsErased += o.EventsErased
	r.ExecutionsStopped += o.ExecutionsStopped
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{profile.AttrPK: str(pk), profile.AttrSK: str(sk)}
}

func sOf(item map[string]types.AttributeValue, attr string) string {
	if v, ok := item[attr].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func nOf(item map[string]types.AttributeValue, attr string) int64 {
	if v, ok := item[attr].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// partition returns every item under pk (strongly consistent).
func (e *Eraser) partition(ctx context.Context, pk string) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(e.Table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": profile.AttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	var out []map[string]types.AttributeValue
	for {
		page, err := e.DB.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", strings.SplitN(pk, "#", 2)[0], err)
		}
		out = append(out, page.Items...)
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func (e *Eraser) del(ctx context.Context, item map[string]types.AttributeValue) error {
	_, err := e.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(e.Table), Key: key(sOf(item, profile.AttrPK), sOf(item, profile.AttrSK)),
	})
	if err != nil {
		return fmt.Errorf("delete item: %w", err)
	}
	return nil
}

// ExecutionARN is the ARN of the execution named name of the state machine
// (or alias, or version) arn, by the rule Step Functions names executions:
// arn:…:execution:<state machine name>:<execution name>.
func ExecutionARN(stateMachineARN, name string) string {
	parts := strings.Split(stateMachineARN, ":")
	if len(parts) == 8 { // alias or version qualifier
		parts = parts[:7]
	}
	if len(parts) == 7 && parts[5] == "stateMachine" {
		parts[5] = "execution"
	}
	return strings.Join(parts, ":") + ":" + name
}

// Customer erases everything stored about the profile of email. The order
// of operations (docs/privacy.md): read the partition; stop the profile's
// executions (so none reads a missing profile later) and delete their
// messages; reduce its event items to their dedupe key; delete its aliases
// (those still pointing at it); delete the partition, the profile item
// last. Every step is idempotent, so after a failure the same call
// finishes the job: nothing is deleted before what leads to it.
func (e *Eraser) Customer(ctx context.Context, email string) (Report, error) {
	email = profile.NormalizeEmail(email)
	var rep Report
	if email == "" {
		return rep, nil
	}
	pk := profile.ProfilePK(email)
	items, err := e.partition(ctx, pk)
	if err != nil {
		return rep, fmt.Errorf("erase profile %s: %w", profile.AddressHash(email), err)
	}
	if len(items) == 0 {
		return rep, nil
	}
	rep.Profiles = 1
	var last map[string]types.AttributeValue
	var rest []map[string]types.AttributeValue
	for _, it := range items {
		sk := sOf(it, profile.AttrSK)
		switch {
		case strings.HasPrefix(sk, profile.SKExecPrefix):
			stopped, n, err := e.execution(ctx, it)
			if err != nil {
				return rep, fmt.Errorf("erase profile %s: %w", profile.AddressHash(email), err)
			}
			if stopped {
				rep.ExecutionsStopped++
			}
			rep.ItemsDeleted += n
		case strings.HasPrefix(sk, profile.SKRefPrefix):
			erased, deleted, err := e.ref(ctx, email, it)
			if err != nil {
				return rep, fmt.Errorf("erase profile %s: %w", profile.AddressHash(email), err)
			}
			if erased {
				rep.EventsErased++
			}
			if deleted {
				rep.ItemsDeleted++
			}
		}
		if sk == profile.SKProfile {
			last = it
		} else {
			rest = append(rest, it)
		}
	}
	if last != nil {
		rest = append(rest, last)
	}
	for _, it := range rest {
		if err := e.del(ctx, it); err != nil {
			return rep, fmt.Errorf("erase profile %s: %w", profile.AddressHash(email), err)
		}
		rep.ItemsDeleted++
	}
	e.Log.InfoContext(ctx, "profile erased", "profile", profile.AddressHash(email), "items_deleted", rep.ItemsDeleted,
		"events_erased", rep.EventsErased, "executions_stopped", rep.ExecutionsStopped)
	return rep, nil
}

// execution stops one of the profile's executions and deletes its message
// items. stopped is false when it had already ended (or never started).
func (e *Eraser) execution(ctx context.Context, it map[string]types.AttributeValue) (stopped bool, deleted int, err error) {
	name := strings.TrimPrefix(sOf(it, profile.AttrSK), profile.SKExecPrefix)
	if sm := sOf(it, "state_machine_arn"); sm != "" {
		_, err := e.SFN.StopExecution(ctx, &sfn.StopExecutionInput{
			ExecutionArn: aws.String(ExecutionARN(sm, name)), Error: aws.String(StopError), Cause: aws.String(StopCause),
		})
		var dne *sfntypes.ExecutionDoesNotExist
		switch {
		case err == nil:
			stopped = true
		case errors.As(err, &dne): // ended, or the start never happened
		default:
			return false, 0, fmt.Errorf("stop execution %s: %w", name, err)
		}
	}
	msgs, err := e.partition(ctx, messagePK(name))
	if err != nil {
		return stopped, 0, err
	}
	for _, m := range msgs {
		if err := e.del(ctx, m); err != nil {
			return stopped, deleted, err
		}
		deleted++
	}
	return stopped, deleted, nil
}

// ref erases the item a reference points to: an event item keeps only its
// key (and ttl), so a redelivery stays a duplicate; an alias is deleted if
// it still points at this profile.
func (e *Eraser) ref(ctx context.Context, email string, it map[string]types.AttributeValue) (erased, deleted bool, err error) {
	tpk, tsk := sOf(it, profile.AttrRefPK), sOf(it, profile.AttrRefSK)
	switch tsk {
	case profile.SKEvent:
		ttl := nOf(it, profile.AttrTTL)
		if ttl > 0 && ttl <= e.Now().Unix() {
			return false, false, nil // expired with its event: nothing to keep
		}
		item := key(tpk, tsk)
		item[profile.AttrErasedAt] = str(e.Now().UTC().Format(time.RFC3339))
		if ttl > 0 {
			item[profile.AttrTTL] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ttl, 10)}
		}
		_, err := e.DB.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(e.Table), Item: item,
			ConditionExpression:       aws.String("attribute_not_exists(#p) OR #p = :p"),
			ExpressionAttributeNames:  map[string]string{"#p": profile.AttrProfilePK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(profile.ProfilePK(email))},
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &ccf): // another profile's event: never ours to touch
			return false, false, nil
		case err != nil:
			return false, false, fmt.Errorf("erase event item: %w", err)
		}
		return true, false, nil
	case profile.SKAlias:
		_, err := e.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(e.Table), Key: key(tpk, tsk),
			ConditionExpression:       aws.String("#e = :e"),
			ExpressionAttributeNames:  map[string]string{"#e": profile.AttrEmail},
			ExpressionAttributeValues: map[string]types.AttributeValue{":e": str(email)},
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &ccf): // gone, or now points at another address
			return false, false, nil
		case err != nil:
			return false, false, fmt.Errorf("delete alias: %w", err)
		}
		return false, true, nil
	}
	return false, false, nil
}

// resolve returns the profiles a customer request names: the email, and
// the profile the customer id's alias points at.
func (e *Eraser) resolve(ctx context.Context, req touchpoint.PrivacyRequest) ([]string, error) {
	set := map[string]bool{}
	if em := profile.NormalizeEmail(req.Email); em != "" {
		set[em] = true
	}
	if req.CustomerID != "" {
		em, err := e.alias(ctx, profile.AliasPK(req.Source, req.Shop, req.CustomerID))
		if err != nil {
			return nil, err
		}
		if em != "" {
			set[em] = true
		}
	}
	out := make([]string, 0, len(set))
	for em := range set {
		out = append(out, em)
	}
	sort.Strings(out)
	return out, nil
}

func (e *Eraser) alias(ctx context.Context, pk string) (string, error) {
	out, err := e.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(e.Table), Key: key(pk, profile.SKAlias), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("resolve alias: %w", err)
	}
	return sOf(out.Item, profile.AttrEmail), nil
}

// orders erases orders named by a redact request that belong to another
// profile than the customer's (an order placed under another address):
// the order item, its alias and the reference to it. The other profile's
// totals keep the order's contribution.
func (e *Eraser) orders(ctx context.Context, req touchpoint.PrivacyRequest) (Report, error) {
	var rep Report
	for _, id := range req.OrderIDs {
		apk := profile.AliasPK(req.Source, req.Shop, "order:"+id)
		em, err := e.alias(ctx, apk)
		if err != nil {
			return rep, err
		}
		if em == "" {
			continue // unknown order, or erased with its profile
		}
		for _, it := range []map[string]types.AttributeValue{
			key(profile.ProfilePK(em), profile.OrderSK(req.Source, id)),
			key(profile.ProfilePK(em), profile.RefSK(apk, profile.SKAlias)),
			key(apk, profile.SKAlias),
		} {
			if err := e.del(ctx, it); err != nil {
				return rep, err
			}
			rep.ItemsDeleted++
		}
	}
	return rep, nil
}

// Shop erases everything stored for one shop of a source: every profile
// that has an event or an alias from it (whole profiles, whatever else
// they hold), then the shop's remaining aliases. It scans the table: a
// shop is erased once, 48 hours after it uninstalled the app.
func (e *Eraser) Shop(ctx context.Context, source, shop string) (Report, error) {
	var rep Report
	if source == "" || shop == "" {
		return rep, errors.New("erase shop: source and shop are required")
	}
	aliasPrefix := "ALIAS#" + source + "#" + shop + "#"
	eventPrefix := profile.EventPK(source + ":" + shop + ":")
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(e.Table),
		FilterExpression:          aws.String("begins_with(#pk, :a) OR begins_with(#pk, :e)"),
		ExpressionAttributeNames:  map[string]string{"#pk": profile.AttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": str(aliasPrefix), ":e": str(eventPrefix)},
		ConsistentRead:            aws.Bool(true),
	}
	emails := map[string]bool{}
	var aliases []map[string]types.AttributeValue
	for {
		page, err := e.DB.Scan(ctx, in)
		if err != nil {
			return rep, fmt.Errorf("erase shop: scan: %w", err)
		}
		for _, it := range page.Items {
			if em := sOf(it, profile.AttrEmail); em != "" {
				emails[em] = true
			}
			if strings.HasPrefix(sOf(it, profile.AttrPK), aliasPrefix) {
				aliases = append(aliases, it)
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	sorted := make([]string, 0, len(emails))
	for em := range emails {
		sorted = append(sorted, em)
	}
	sort.Strings(sorted)
	for _, em := range sorted {
		r, err := e.Customer(ctx, em)
		rep.add(r)
		if err != nil {
			return rep, fmt.Errorf("erase shop: %w", err)
		}
	}
	for _, it := range aliases {
		_, err := e.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(e.Table), Key: key(sOf(it, profile.AttrPK), profile.SKAlias),
			ConditionExpression:      aws.String("attribute_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": profile.AttrPK},
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &ccf): // already deleted with its profile
		case err != nil:
			return rep, fmt.Errorf("erase shop: delete alias: %w", err)
		default:
			rep.ItemsDeleted++
		}
	}
	e.Log.InfoContext(ctx, "shop erased", "source", source, "shop", shop, "profiles", rep.Profiles,
		"items_deleted", rep.ItemsDeleted, "events_erased", rep.EventsErased, "executions_stopped", rep.ExecutionsStopped)
	return rep, nil
}

// Outcome is what Handle did: "erased" or "exported" (also when nothing
// was stored: the answer does not tell whether the customer was known).
type Outcome struct {
	Status string
	Report Report
}

// Handle carries out a privacy request from a webhook.
func (e *Eraser) Handle(ctx context.Context, req touchpoint.PrivacyRequest) (Outcome, error) {
	switch req.Kind {
	case touchpoint.ShopRedact:
		rep, err := e.Shop(ctx, req.Source, req.Shop)
		return Outcome{Status: "erased", Report: rep}, err
	case touchpoint.CustomerRedact:
		emails, err := e.resolve(ctx, req)
		if err != nil {
			return Outcome{}, fmt.Errorf("redact customer: %w", err)
		}
		var rep Report
		for _, em := range emails {
			r, err := e.Customer(ctx, em)
			rep.add(r)
			if err != nil {
				return Outcome{}, fmt.Errorf("redact customer: %w", err)
			}
		}
		r, err := e.orders(ctx, req)
		rep.add(r)
		if err != nil {
			return Outcome{}, fmt.Errorf("redact customer orders: %w", err)
		}
		return Outcome{Status: "erased", Report: rep}, nil
	case touchpoint.CustomerDataRequest:
		emails, err := e.resolve(ctx, req)
		if err != nil {
			return Outcome{}, fmt.Errorf("customer data request: %w", err)
		}
		for _, em := range emails {
			if _, err := e.SaveExport(ctx, em, req.ID); err != nil {
				return Outcome{}, fmt.Errorf("customer data request: %w", err)
			}
		}
		return Outcome{Status: "exported"}, nil
	}
	return Outcome{}, fmt.Errorf("privacy request of unknown kind %q", req.Kind)
}
