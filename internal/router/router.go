// Package router starts journeys from new event items: it reads the
// DynamoDB Stream of the table, matches every event against the trigger
// manifest the compiler emits (statemachines/triggers.json), enforces each
// journey's re-entry rule and starts one Step Functions execution per
// matching journey, with a deterministic name.
package router

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// SKEntry is the sort key prefix of a journey-entry item (under ProfilePK):
// ENTRY#<journey>.
const SKEntry = "ENTRY#"

// SFN is what the router needs from the Step Functions client.
type SFN interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// DynamoDB is what the router needs from the DynamoDB client.
type DynamoDB interface {
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Handler is the router function.
type Handler struct {
	SFN      SFN
	DB       DynamoDB
	Table    string
	Manifest contract.Manifest
	// StateMachines maps a journey name to the ARN executions start on
	// (the state machine's "live" alias).
	StateMachines map[string]string
	Metrics       *emf.Writer
	Log           *slog.Logger
	Now           func() time.Time
}

// poisonError is a record that can never be processed (not an event item
// the router can read): it goes to the failure destination.
type poisonError struct{ reason string }

func (e *poisonError) Error() string { return e.reason }

// Handle processes a batch. A record that fails for a reason that may pass
// (Step Functions or DynamoDB unavailable, throttled) is reported in
// BatchItemFailures, so the event source mapping retries from it; the
// executions already started are not duplicated by the replay (names are
// deterministic). A poison record (not an event item the router can read)
// is logged at ERROR, counted (RouterPoisonRecords) and reported too:
// retrying cannot help it, but reporting is what sends it, once the event
// source mapping's retries are spent, to the mapping's OnFailure
// destination (the SQS dead-letter queue, whose depth alarms), where the
// engineer on call sees it; the event item stays in the table. The
// records after it in the batch are replayed with it, harmlessly (names
// are deterministic, entry items conditional). docs/runtime.md explains.
func (h *Handler) Handle(ctx context.Context, in events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range in.Records {
		err := h.record(ctx, rec)
		var poison *poisonError
		switch {
		case err == nil:
		case errors.As(err, &poison):
			h.Log.ErrorContext(ctx, "router: poison record, reported for the failure destination", "event_id", rec.EventID,
				"sequence_number", rec.Change.SequenceNumber, "reason", poison.reason)
			h.Metrics.Count("RouterPoisonRecords", 1, nil)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		default:
			h.Log.ErrorContext(ctx, "router: record failed, reported for retry", "event_id", rec.EventID,
				"sequence_number", rec.Change.SequenceNumber, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	return resp, nil
}

// record routes one stream record.
func (h *Handler) record(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if events.DynamoDBOperationType(rec.EventName) != events.DynamoDBOperationTypeInsert {
		return nil // an event item is written once; updates and TTL deletes start nothing
	}
	img := rec.Change.NewImage
	sk, body := img[profile.AttrSK], img[profile.AttrEvent]
	if sk.DataType() != events.DataTypeString {
		return &poisonError{"record has no NewImage with a string sk (the stream view type must include NEW_IMAGE)"}
	}
	if sk.String() != profile.SKEvent {
		return nil // another item kind: the stream carries the whole table
	}
	if body.DataType() != events.DataTypeString {
		if _, erased := img[profile.AttrErasedAt]; erased {
			// An erased event's tombstone (internal/erase keeps the key so
			// a redelivery stays a duplicate). Written over the event it
			// is a MODIFY, which returned above; written where the event
			// had already gone (TTL) it is an INSERT, and there is nothing
			// to start and nothing wrong.
			return nil
		}
		return &poisonError{"event item has no event attribute"}
	}
	var ev touchpoint.Event
	if err := json.Unmarshal([]byte(body.String()), &ev); err != nil {
		return &poisonError{"event attribute is not a canonical event: " + err.Error()}
	}
	email := ""
	if v, ok := img[profile.AttrEmail]; ok && v.DataType() == events.DataTypeString {
		email = v.String()
	}
	if email == "" {
		email = profile.NormalizeEmail(ev.Email)
	}
	if email == "" {
		return &poisonError{"event item has no profile email"}
	}
	var failed []error
	for _, mj := range h.Manifest.Journeys {
		if !triggeredBy(mj, ev.Type) {
			continue
		}
		if err := h.start(ctx, mj, email, ev); err != nil {
			failed = append(failed, fmt.Errorf("journey %s: %w", mj.Journey, err))
		}
	}
	return errors.Join(failed...)
}

func triggeredBy(mj contract.ManifestJourney, t touchpoint.Type) bool {
	for _, e := range mj.Events {
		if e == t {
			return true
		}
	}
	return false
}

// start starts one journey for one event if its filter and re-entry rule
// allow it.
func (h *Handler) start(ctx context.Context, mj contract.ManifestJourney, email string, ev touchpoint.Event) error {
	log := h.Log.With("journey", mj.Journey, "profile", profile.AddressHash(email), "event_id", ev.ID)
	in := contract.ExecutionInput{Journey: mj.Journey, ProfileKey: email, Trigger: ev}
	doc, err := toEngineJSON(in)
	if err != nil {
		return &poisonError{err.Error()}
	}
	if mj.Filter != nil {
		ok, err := asl.EvalChoice(mj.Filter, doc, nil)
		if err != nil {
			// The filter cannot be evaluated on this event (a field of
			// another type): it will not evaluate on a retry either.
			log.WarnContext(ctx, "router: filter error, journey not started", "err", err)
			h.count("JourneysNotStarted", mj.Journey, "filter_error")
			return nil
		}
		if !ok {
			log.DebugContext(ctx, "router: filter did not match")
			return nil
		}
	}
	triggerKey, err := triggerKey(mj.TriggerKeyPath, doc)
	if err != nil {
		log.WarnContext(ctx, "router: no trigger key, journey not started", "err", err)
		h.count("JourneysNotStarted", mj.Journey, "no_trigger_key")
		return nil
	}
	in.TriggerKey = triggerKey
	name := ExecutionName(mj.Journey, email, triggerKey)
	log = log.With("execution", name)
	arn := h.StateMachines[mj.Journey]
	if arn == "" {
		return fmt.Errorf("no state machine ARN for journey %s", mj.Journey)
	}

	switch err := h.enter(ctx, mj, email, triggerKey, arn, name); {
	case errors.Is(err, errNoProfile):
		// Erased since the event was stored (docs/privacy.md): an execution
		// would only fail reading the profile.
		log.InfoContext(ctx, "router: profile no longer exists, journey not started")
		h.count("JourneysNotStarted", mj.Journey, "no_profile")
		return nil
	case errors.Is(err, errReEntry):
		log.InfoContext(ctx, "router: re-entry rule holds the journey back", "re_entry", mj.ReEntry)
		h.count("JourneysNotStarted", mj.Journey, "re_entry")
		return nil
	case err != nil:
		return err
	}

	body, err := json.Marshal(in)
	if err != nil {
		return &poisonError{fmt.Sprintf("encode execution input: %v", err)}
	}
	if len(body) > MaxExecutionInput {
		// Step Functions would refuse it on every retry (ValidationException):
		// the decoders' size budgets (touchpoint.Fit) keep every event they
		// produce far below this, so only an event stored by other means
		// gets here. Not started, and said loudly.
		log.ErrorContext(ctx, "router: execution input over the Step Functions limit, journey not started", "bytes", len(body))
		h.count("JourneysNotStarted", mj.Journey, "input_too_large")
		return nil
	}
	out, err := h.SFN.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(arn), Name: aws.String(name), Input: aws.String(string(body)),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	switch {
	case errors.As(err, &exists):
		log.InfoContext(ctx, "router: execution already exists")
		return nil
	case err != nil:
		return fmt.Errorf("start execution %s: %w", name, err)
	}
	log.InfoContext(ctx, "router: journey started", "execution_arn", aws.ToString(out.ExecutionArn))
	h.count("JourneysStarted", mj.Journey, "")
	return nil
}

// MaxExecutionInput is Step Functions' limit on an execution input:
// 262,144 bytes of UTF-8.
const MaxExecutionInput = 256 * 1024

// ExecutionTTL is how long an execution item lives: longer than a
// STANDARD execution can run (one year).
const ExecutionTTL = 400 * 24 * time.Hour

var (
	errNoProfile = errors.New("profile does not exist")
	errReEntry   = errors.New("re-entry rule holds the profile back")
)

// enter records, in one transaction, everything a start needs before
// StartExecution: a ConditionCheck that the profile still exists (an erased
// customer's late stream record starts nothing: errNoProfile), the
// journey-entry item under the journey's re-entry rule (errReEntry when
// the rule holds the profile back; no item for re_entry: always), and the
// execution item EXEC#<name> (journey, state_machine_arn, started_at, ttl)
// under the profile, so erasing the customer stops the execution and
// deletes its messages. An execution held back by the re-entry rule leaves
// no execution item; every execution the router may start has one. A
// replay of the same trigger key passes its own entry and rewrites the
// same items: that is a retry of the same start, which StartExecution's
// idempotency makes harmless.
func (h *Handler) enter(ctx context.Context, mj contract.ManifestJourney, email, triggerKey, arn, name string) error {
	now := h.Now().UTC()
	pk := &types.AttributeValueMemberS{Value: profile.ProfilePK(email)}
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName: aws.String(h.Table),
			Key: map[string]types.AttributeValue{
				profile.AttrPK: pk, profile.AttrSK: &types.AttributeValueMemberS{Value: profile.SKProfile},
			},
			ConditionExpression:      aws.String("attribute_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": profile.AttrPK},
		}},
		{Put: &types.Put{TableName: aws.String(h.Table), Item: map[string]types.AttributeValue{
			profile.AttrPK:      pk,
			profile.AttrSK:      &types.AttributeValueMemberS{Value: profile.ExecSK(name)},
			"journey":           &types.AttributeValueMemberS{Value: mj.Journey},
			"state_machine_arn": &types.AttributeValueMemberS{Value: arn},
			"started_at":        &types.AttributeValueMemberS{Value: now.Format(time.RFC3339)},
			profile.AttrTTL:     num(now.Add(ExecutionTTL).Unix()),
		}}},
	}
	if entry := entryPut(h.Table, mj, pk, triggerKey, name, now); entry != nil {
		items = append(items, types.TransactWriteItem{Put: entry})
	}
	_, err := h.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		failed := func(i int) bool {
			return i < len(tce.CancellationReasons) && aws.ToString(tce.CancellationReasons[i].Code) == "ConditionalCheckFailed"
		}
		switch {
		case failed(0):
			return errNoProfile
		case len(items) == 3 && failed(2):
			return errReEntry
		}
	}
	if err != nil {
		return fmt.Errorf("put execution and journey-entry items: %w", err)
	}
	return nil
}

// entryPut is the conditional put of the journey-entry item under the
// journey's re-entry rule, nil for re_entry: always (only the execution
// name dedupes). The same trigger key may always enter again.
func entryPut(table string, mj contract.ManifestJourney, pk types.AttributeValue, triggerKey, name string, now time.Time) *types.Put {
	item := map[string]types.AttributeValue{
		profile.AttrPK: pk,
		profile.AttrSK: &types.AttributeValueMemberS{Value: SKEntry + mj.Journey},
		"trigger_key":  &types.AttributeValueMemberS{Value: triggerKey},
		"execution":    &types.AttributeValueMemberS{Value: name},
		"entered_at":   &types.AttributeValueMemberS{Value: now.Format(time.RFC3339)},
	}
	values := map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: triggerKey}}
	cond := "attribute_not_exists(pk) OR trigger_key = :k"
	put := &types.Put{TableName: aws.String(table), Item: item, ExpressionAttributeValues: values}
	switch mj.ReEntry {
	case contract.ReEntryNever:
	case contract.ReEntryAfter:
		until := now.Add(time.Duration(mj.ReEntrySeconds) * time.Second).Unix()
		item["until"] = num(until)
		item[profile.AttrTTL] = num(until)
		values[":now"] = num(now.Unix())
		cond += " OR #until <= :now"
		put.ExpressionAttributeNames = map[string]string{"#until": "until"}
	default:
		return nil
	}
	put.ConditionExpression = aws.String(cond)
	return put
}

func (h *Handler) count(metric, journeyName, reason string) {
	h.Metrics.Count(metric, 1, map[string]string{"Journey": journeyName, "Reason": reason})
}

// ExecutionName is the deterministic execution name of a journey for one
// profile and trigger key: the journey name (cut to 47 characters) and 32
// hex digits of SHA-256 over the three parts, at most 80 characters of
// [A-Za-z0-9-_]. The same event delivered twice gives the same name.
func ExecutionName(journeyName, profileKey, triggerKey string) string {
	h := sha256.New()
	for _, part := range []string{journeyName, profileKey, triggerKey} {
		fmt.Fprintf(h, "%d:%s;", len(part), part) // length-prefixed: no two triples collide
	}
	sum := h.Sum(nil)
	prefix := []byte(journeyName)
	if len(prefix) > 47 {
		prefix = prefix[:47]
	}
	for i, c := range prefix {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			prefix[i] = '_'
		}
	}
	return string(prefix) + "-" + hex.EncodeToString(sum[:16])
}

// toEngineJSON turns the execution input into the ASL engine's JSON values.
func toEngineJSON(in contract.ExecutionInput) (any, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode execution input: %w", err)
	}
	v, err := asl.ParseJSON(b)
	if err != nil {
		return nil, fmt.Errorf("decode execution input: %w", err)
	}
	return v, nil
}

// triggerKey reads the trigger key (a string or number) at path.
func triggerKey(path string, doc any) (string, error) {
	p, err := asl.ParsePath(path)
	if err != nil {
		return "", fmt.Errorf("trigger key path %q: %w", path, err)
	}
	v, ok := p.Eval(doc, nil)
	if !ok {
		return "", fmt.Errorf("%s is absent", path)
	}
	switch x := v.(type) {
	case string:
		if x != "" {
			return x, nil
		}
	case json.Number:
		return x.String(), nil
	}
	return "", fmt.Errorf("%s is not a non-empty string or number", path)
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
