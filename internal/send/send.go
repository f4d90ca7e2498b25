// Package send is the single gate every journey email passes: consent and
// suppression, a frequency cap shared across journeys, quiet hours in the
// profile's time zone, at most one email per step of an execution, the
// rendering of the journey's templates, and the SES v2 call.
package send

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
)

// Item keys and attributes of the send function's items (docs/runtime.md).
const (
	SKCap = "CAP" // under ProfilePK: the shared frequency cap

	AttrStatus       = "status"         // message: deferred | sending | sent | failed
	AttrDeferrals    = "deferrals"      // message: how often the step was deferred
	AttrSESMessageID = "ses_message_id" // message
	AttrLastSentAt   = "last_sent_at"   // cap: epoch seconds of the last capped send
	AttrHolder       = "holder"         // cap: the execution#step that holds it
	AttrPrevSentAt   = "prev_sent_at"   // cap: last_sent_at before the holder took it
	AttrPrevHolder   = "prev_holder"

	msgDeferred = "deferred"
	msgSending  = "sending"
	msgSent     = "sent"
	msgFailed   = "failed"
)

// MessagePK and MessageSK key the message item of one step of one execution.
func MessagePK(execution string) string { return "MESSAGE#" + execution }
func MessageSK(step string) string      { return "STEP#" + step }

// DynamoDB is what the gate needs from the SDK client.
type DynamoDB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// SES is what the gate needs from the SES v2 client.
type SES interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Profiles reads the fresh profile.
type Profiles interface {
	GetView(ctx context.Context, email string) (profile.View, error)
}

// Handler is the send function.
type Handler struct {
	DB       DynamoDB
	Profiles Profiles
	SES      SES
	Renderer mail.Renderer
	Signer   *unsubscribe.Signer
	Config   Config
	Metrics  *emf.Writer
	Log      *slog.Logger
	Now      func() time.Time
}

// ErrRetryable is the Lambda error type of a failure that may pass when the
// step is tried again (DynamoDB or SES unavailable, throttled, or SES
// refusing the message for now). The step is left retryable: nothing was
// sent and the frequency cap was given back. A state machine retries it
// with a Retrier on this name.
const ErrRetryable = contract.ErrRetryable

// ErrBadRequest is the Lambda error type of a payload missing a required
// field: a compiler bug, never retried.
const ErrBadRequest = contract.ErrBadRequest

// Handle decides and, when allowed, sends. Answers are sent, skipped (with
// a reason) or deferred (with not_before). Errors carry a stable Lambda
// error type a state machine can match: contract.ErrTemplate for a template
// that does not render, ErrRetryable for storage or SES failures,
// ErrBadRequest for an incomplete payload.
//
// Every answer carries resume_at, where the state machine's next Wait ends:
// not_before when deferred, else the answer's time + next_wait_seconds.
// The action resolve_wait answers only resume_at (see ResolveWait).
func (h *Handler) Handle(ctx context.Context, in contract.SendRequest) (contract.SendResponse, error) {
	switch in.Action {
	case contract.ActionResolveWait:
		return h.resolveWait(ctx, in)
	case "":
	default:
		return contract.SendResponse{}, messages.InvokeResponse_Error{Type: ErrBadRequest, Message: "unknown action " + strconv.Quote(in.Action)}
	}
	if in.Journey == "" || in.Step == "" || in.Execution == "" || in.ProfileKey == "" || in.Template == "" {
		return contract.SendResponse{}, messages.InvokeResponse_Error{Type: ErrBadRequest,
			Message: "send request needs journey, step, template, execution and profile_key"}
	}
	if in.NextWaitSeconds < 0 {
		return contract.SendResponse{}, messages.InvokeResponse_Error{Type: ErrBadRequest, Message: "next_wait_seconds must not be negative"}
	}
	res, err := h.handle(ctx, in)
	var named messages.InvokeResponse_Error
	if err != nil && !errors.As(err, &named) {
		// SES names the recipient in some errors (MessageRejected in the
		// sandbox): the log and the execution history get its hash.
		email := profile.NormalizeEmail(in.ProfileKey)
		msg := strings.NewReplacer(email, "<profile "+profile.AddressHash(email)+">", in.ProfileKey, "<profile "+profile.AddressHash(email)+">").Replace(err.Error())
		h.Log.ErrorContext(ctx, "send: failed, step left retryable", "journey", in.Journey, "step", in.Step, "execution", in.Execution,
			"profile", profile.AddressHash(email), "err", msg)
		return res, messages.InvokeResponse_Error{Type: ErrRetryable, Message: msg}
	}
	if err == nil {
		res.ResumeAt = res.NotBefore
		if res.Status != contract.StatusDeferred {
			res.ResumeAt = h.Now().UTC().Add(time.Duration(in.NextWaitSeconds) * time.Second).Format(time.RFC3339)
		}
	}
	return res, err
}

func (h *Handler) handle(ctx context.Context, in contract.SendRequest) (contract.SendResponse, error) {
	email := profile.NormalizeEmail(in.ProfileKey)
	now := h.Now().UTC()
	log := h.Log.With("journey", in.Journey, "step", in.Step, "execution", in.Execution, "profile", profile.AddressHash(email))
	msgKey := key(MessagePK(in.Execution), MessageSK(in.Step))

	// 1. This step may already have been attempted.
	if res, done, err := h.previous(ctx, msgKey); err != nil || done {
		if done {
			log.InfoContext(ctx, "send: repeat of a step already attempted", "status", res.Status, "reason", res.Reason)
		}
		return res, err
	}

	// 2. Consent and suppression, on the fresh profile.
	v, err := h.Profiles.GetView(ctx, email)
	if errors.Is(err, profile.ErrNotFound) {
		return h.skip(ctx, log, in, ReasonNoProfile), nil
	}
	if err != nil {
		return contract.SendResponse{}, fmt.Errorf("send %s/%s: %w", in.Journey, in.Step, err)
	}
	if r := consentReason(v, in.Policy); r != "" {
		return h.skip(ctx, log, in, r), nil
	}

	// 3. Quiet hours in the profile's time zone.
	if in.Policy.QuietHours {
		if next := h.Config.QuietHours.NextAllowed(now, location(v, h.Config.ShopLocation)); next.After(now) {
			return h.defer_(ctx, log, in, ReasonQuietHours, next)
		}
	}

	// 4. Render before taking the cap: a broken template must not use it.
	// A trigger whose order lacks what templates show (a delivery webhook
	// carries no order number) is completed from the stored order.
	if in.Trigger.Order, err = h.completeOrder(ctx, email, in.Trigger); err != nil {
		return contract.SendResponse{}, fmt.Errorf("send %s/%s: %w", in.Journey, in.Step, err)
	}
	unsubURL := h.Signer.URL(h.Config.UnsubscribeURL, email, now)
	data := mail.NewTemplateData(in, v, h.Config.Shop, unsubURL)
	msg, err := h.Renderer.Render(in.Journey, in.Template, in.Subject, data)
	if err != nil {
		log.ErrorContext(ctx, "send: template error", "err", err)
		h.count("TemplateErrors", in, "")
		return contract.SendResponse{}, messages.InvokeResponse_Error{Type: contract.ErrTemplate, Message: err.Error()}
	}

	// 5. The shared frequency cap, taken atomically.
	holder := in.Execution + "#" + in.Step
	if in.Policy.FrequencyCap {
		next, err := h.takeCap(ctx, email, holder, now)
		if err != nil {
			return contract.SendResponse{}, err
		}
		if !next.IsZero() {
			return h.defer_(ctx, log, in, ReasonFrequencyCap, next)
		}
	}

	// 6. Claim the step: one step of one execution sends at most one email.
	claimed, err := h.claim(ctx, msgKey, in, email, now)
	if err != nil {
		// Nothing was sent: give the cap back, or the profile's other
		// journeys would be deferred for the whole cap window.
		if in.Policy.FrequencyCap {
			h.releaseCap(ctx, log, email, holder)
		}
		return contract.SendResponse{}, err
	}
	if !claimed {
		res, _, err := h.previous(ctx, msgKey)
		log.InfoContext(ctx, "send: step claimed concurrently", "status", res.Status)
		return res, err
	}

	// 7. SES.
	out, err := h.SES.SendEmail(ctx, h.email(in, email, msg, unsubURL))
	if err != nil {
		h.release(ctx, log, msgKey, email, holder, in.Policy.FrequencyCap)
		return contract.SendResponse{}, fmt.Errorf("send %s/%s: ses: %w", in.Journey, in.Step, err)
	}
	id := aws.ToString(out.MessageId)
	if err := h.recordSent(ctx, msgKey, id, now); err != nil {
		// The email is gone: answering an error would make the state
		// machine retry a step that then finds "sending" (in doubt) and
		// stops. Answer sent and leave the item as it is.
		log.ErrorContext(ctx, "send: record ses message id", "err", err, "ses_message_id", id)
	}
	log.InfoContext(ctx, "send: sent", "ses_message_id", id)
	h.count("EmailsSent", in, "")
	return contract.SendResponse{Status: contract.StatusSent}, nil
}

// recordAttempts is how many times recordSent writes SES's answer before
// it gives up; recordBackoff is the first pause between two attempts,
// doubled after each.
const (
	recordAttempts = 5
	recordBackoff  = 20 * time.Millisecond
)

// recordSent marks the claimed message item sent, with SES's message id.
// The email has left by then, so a failure here cannot be handed to the
// state machine to retry (the retried step would find the claim and stop,
// in doubt): it is retried here, on any error — including the
// TransactionConflictException the SDK does not retry — up to
// recordAttempts times, over about 300 ms at most.
func (h *Handler) recordSent(ctx context.Context, msgKey map[string]types.AttributeValue, id string, now time.Time) error {
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(h.Config.Table), Key: msgKey,
		UpdateExpression:         aws.String("SET #s = :sent, #id = :id, sent_at = :at"),
		ExpressionAttributeNames: map[string]string{"#s": AttrStatus, "#id": AttrSESMessageID},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": str(msgSent), ":id": str(id), ":at": str(now.Format(time.RFC3339)),
		},
	}
	wait := recordBackoff
	for attempt := 1; ; attempt++ {
		_, err := h.DB.UpdateItem(ctx, in)
		if err == nil || attempt == recordAttempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}

// completeOrder returns the trigger's order with its number, total and
// currency taken from the stored order item (profile.OrderView under the
// profile, keyed by the trigger's source and order id) where the trigger
// has none. The trigger's own values win; the caller's order is not
// modified. Without an order id, or without a stored order, the trigger's
// order is returned as it is. (Line items are not stored on the order
// item: a trigger without them renders without them.)
func (h *Handler) completeOrder(ctx context.Context, email string, ev touchpoint.Event) (*touchpoint.Order, error) {
	o := ev.Order
	if o == nil || o.ID == "" || (o.Number != "" && o.Total != "" && o.Currency != "") {
		return o, nil
	}
	out, err := h.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(h.Config.Table), Key: key(profile.ProfilePK(email), profile.OrderSK(ev.Source, o.ID)),
	})
	if err != nil {
		return nil, fmt.Errorf("read order: %w", err)
	}
	raw := attrS(out.Item, profile.AttrView)
	if raw == "" {
		return o, nil
	}
	var v profile.OrderView
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, fmt.Errorf("decode order %s: %w", o.ID, err)
	}
	c := *o
	if c.Number == "" {
		c.Number = v.Number
	}
	if c.Total == "" && (c.Currency == "" || c.Currency == v.Currency) {
		c.Total, c.Currency = v.Total, v.Currency
	}
	if c.Currency == "" {
		c.Currency = v.Currency
	}
	return &c, nil
}

// previous reads the message item of the step. done is true when the step
// was already attempted and res is its answer: "sent" again for a step that
// sent, "skipped"/in_doubt for one whose outcome is unknown (an attempt
// that stopped between claiming the step and recording SES's answer). A
// failed attempt is not done: the step may try again.
func (h *Handler) previous(ctx context.Context, k map[string]types.AttributeValue) (contract.SendResponse, bool, error) {
	out, err := h.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.Config.Table), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return contract.SendResponse{}, false, fmt.Errorf("read message item: %w", err)
	}
	switch attrS(out.Item, AttrStatus) {
	case msgSent:
		return contract.SendResponse{Status: contract.StatusSent}, true, nil
	case msgSending:
		return contract.SendResponse{Status: contract.StatusSkipped, Reason: ReasonInDoubt}, true, nil
	}
	return contract.SendResponse{}, false, nil
}

// claim writes the message item in state "sending" unless another attempt
// holds it (the item of a failed or deferred attempt may be claimed).
func (h *Handler) claim(ctx context.Context, k map[string]types.AttributeValue, in contract.SendRequest, email string, now time.Time) (bool, error) {
	item := map[string]types.AttributeValue{
		AttrStatus:            str(msgSending),
		"journey":             str(in.Journey),
		"step":                str(in.Step),
		"template":            str(in.Template),
		profile.AttrProfilePK: str(profile.ProfilePK(email)),
		"created_at":          str(now.Format(time.RFC3339)),
		profile.AttrTTL:       num(now.Add(h.Config.MessageTTL).Unix()),
	}
	for n, v := range k {
		item[n] = v
	}
	_, err := h.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(h.Config.Table), Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR #s IN (:failed, :deferred)"),
		ExpressionAttributeNames:  map[string]string{"#s": AttrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{":failed": str(msgFailed), ":deferred": str(msgDeferred)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim message item: %w", err)
	}
	return true, nil
}

// takeCap takes the profile's frequency cap for holder. It returns the zero
// time when taken, or the moment the cap frees up. The same holder may take
// it again (a retried step).
func (h *Handler) takeCap(ctx context.Context, email, holder string, now time.Time) (time.Time, error) {
	k := key(profile.ProfilePK(email), SKCap)
	_, err := h.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(h.Config.Table), Key: k,
		ConditionExpression: aws.String("attribute_not_exists(#last) OR #last <= :threshold OR #holder = :me"),
		UpdateExpression:    aws.String("SET #prevlast = if_not_exists(#last, :zero), #prevholder = if_not_exists(#holder, :none), #last = :now, #holder = :me, #ttl = :ttl"),
		ExpressionAttributeNames: map[string]string{
			"#last": AttrLastSentAt, "#holder": AttrHolder, "#prevlast": AttrPrevSentAt, "#prevholder": AttrPrevHolder, "#ttl": profile.AttrTTL,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":threshold": num(now.Add(-h.Config.FrequencyCap).Unix()),
			":now":       num(now.Unix()),
			":me":        str(holder),
			":zero":      num(0),
			":none":      str(""),
			":ttl":       num(now.Add(h.Config.FrequencyCap + 24*time.Hour).Unix()),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if err == nil {
		return time.Time{}, nil
	}
	if !errors.As(err, &ccf) {
		return time.Time{}, fmt.Errorf("take frequency cap: %w", err)
	}
	out, err := h.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.Config.Table), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return time.Time{}, fmt.Errorf("read frequency cap: %w", err)
	}
	last, _ := strconv.ParseInt(attrN(out.Item, AttrLastSentAt), 10, 64)
	next := time.Unix(last, 0).UTC().Add(h.Config.FrequencyCap)
	if !next.After(now) { // freed between the update and the read
		next = now.Add(time.Second)
	}
	return next, nil
}

// release undoes a claim after SES refused the message: the message item
// becomes "failed" (the step may try again) and the cap goes back to its
// previous holder. Failures are logged: the step is retried either way, and
// a retry of the same step may take its own cap again.
func (h *Handler) release(ctx context.Context, log *slog.Logger, msgKey map[string]types.AttributeValue, email, holder string, capped bool) {
	if _, err := h.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(h.Config.Table), Key: msgKey,
		UpdateExpression:          aws.String("SET #s = :failed"),
		ExpressionAttributeNames:  map[string]string{"#s": AttrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{":failed": str(msgFailed)},
	}); err != nil {
		log.ErrorContext(ctx, "send: mark message failed", "err", err)
	}
	if capped {
		h.releaseCap(ctx, log, email, holder)
	}
}

// releaseCap gives the profile's frequency cap back to its previous holder
// if holder still holds it. A failure is logged: the step is retried either
// way, and a retry of the same step may take its own cap again.
func (h *Handler) releaseCap(ctx context.Context, log *slog.Logger, email, holder string) {
	if _, err := h.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(h.Config.Table), Key: key(profile.ProfilePK(email), SKCap),
		ConditionExpression:       aws.String("#holder = :me"),
		UpdateExpression:          aws.String("SET #last = #prevlast, #holder = #prevholder"),
		ExpressionAttributeNames:  map[string]string{"#last": AttrLastSentAt, "#holder": AttrHolder, "#prevlast": AttrPrevSentAt, "#prevholder": AttrPrevHolder},
		ExpressionAttributeValues: map[string]types.AttributeValue{":me": str(holder)},
	}); err != nil {
		log.ErrorContext(ctx, "send: release frequency cap", "err", err)
	}
}

// email builds the SES request.
func (h *Handler) email(in contract.SendRequest, to string, m mail.Rendered, unsubURL string) *sesv2.SendEmailInput {
	utf8 := aws.String("UTF-8")
	out := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(h.Config.From),
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(m.Text), Charset: utf8},
				Html: &sestypes.Content{Data: aws.String(m.HTML), Charset: utf8},
			},
			Headers: []sestypes.MessageHeader{
				{Name: aws.String("List-Unsubscribe"), Value: aws.String("<" + unsubURL + ">")},
				{Name: aws.String("List-Unsubscribe-Post"), Value: aws.String("List-Unsubscribe=One-Click")},
			},
		}},
		EmailTags: []sestypes.MessageTag{
			{Name: aws.String("journey"), Value: aws.String(tagValue(in.Journey))},
			{Name: aws.String("step"), Value: aws.String(tagValue(in.Step))},
		},
	}
	if h.Config.ConfigurationSet != "" {
		out.ConfigurationSetName = aws.String(h.Config.ConfigurationSet)
	}
	if h.Config.ReplyTo != "" {
		out.ReplyToAddresses = []string{h.Config.ReplyTo}
	}
	return out
}

func (h *Handler) skip(ctx context.Context, log *slog.Logger, in contract.SendRequest, reason string) contract.SendResponse {
	log.InfoContext(ctx, "send: skipped", "reason", reason)
	h.count("EmailsSkipped", in, reason)
	return contract.SendResponse{Status: contract.StatusSkipped, Reason: reason}
}

// defer_ answers deferred, counting the deferral on the step's message
// item: after contract.MaxDeferrals deferrals of one step of one execution
// the answer is skipped (deferred_too_often), which bounds the state
// machine's deferral loop and so its history.
func (h *Handler) defer_(ctx context.Context, log *slog.Logger, in contract.SendRequest, reason string, next time.Time) (contract.SendResponse, error) {
	out, err := h.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(h.Config.Table), Key: key(MessagePK(in.Execution), MessageSK(in.Step)),
		UpdateExpression:         aws.String("SET #s = if_not_exists(#s, :deferred), #ttl = :ttl ADD #n :one"),
		ExpressionAttributeNames: map[string]string{"#s": AttrStatus, "#n": AttrDeferrals, "#ttl": profile.AttrTTL},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":deferred": str(msgDeferred), ":one": num(1), ":ttl": num(h.Now().Add(h.Config.MessageTTL).Unix()),
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return contract.SendResponse{}, fmt.Errorf("count deferral: %w", err)
	}
	if n, _ := strconv.Atoi(attrN(out.Attributes, AttrDeferrals)); n > contract.MaxDeferrals {
		return h.skip(ctx, log, in, ReasonDeferredTooOften), nil
	}
	nb := next.UTC().Format(time.RFC3339)
	log.InfoContext(ctx, "send: deferred", "reason", reason, "not_before", nb)
	h.count("EmailsDeferred", in, reason)
	return contract.SendResponse{Status: contract.StatusDeferred, Reason: reason, NotBefore: nb}, nil
}

func (h *Handler) count(metric string, in contract.SendRequest, reason string) {
	h.Metrics.Count(metric, 1, map[string]string{"Journey": in.Journey, "Step": in.Step, "Reason": reason})
}

// tagValue keeps an SES tag value within [A-Za-z0-9_-] (SES rejects others).
func tagValue(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{profile.AttrPK: str(pk), profile.AttrSK: str(sk)}
}
func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func attrS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func attrN(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}
