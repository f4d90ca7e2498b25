package profile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/touchpoint"
)

// Item attributes besides the keys and AttrView/AttrTTL (view.go).
const (
	AttrEvent      = "event"      // event item: the canonical touchpoint.Event as JSON
	AttrType       = "type"       // event item: the event type
	AttrSource     = "source"     // event and order items
	AttrProfilePK  = "profile_pk" // event item: the profile it was merged into
	AttrEmail      = "email"      // event, profile and alias items
	AttrReceivedAt = "received_at"
	AttrTotals     = "totals" // profile item: Totals as JSON
	AttrState      = "state"  // order item: Order (without its view) as JSON
	AttrVersion    = "version"
	AttrConsent    = "consent_state"
	AttrOrderCount = "order_count"
	AttrStatus     = "status"
	AttrUpdatedAt  = "updated_at"
	AttrSeenAt     = "seen_at" // alias item: epoch ms of the newest event that set it
)

// DynamoDB is what the Store needs from the SDK client.
type DynamoDB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Status is what Apply did with an event.
type Status string

// Apply outcomes.
const (
	Stored     Status = "stored"     // merged and recorded
	Duplicate  Status = "duplicate"  // the event item existed: nothing changed
	Unresolved Status = "unresolved" // no email, and no alias for the customer id: nothing written
)

// Outcome is the result of Apply. Reason explains Unresolved.
type Outcome struct {
	Status Status
	Reason string
	Email  string // the profile it was merged into (never log it raw)
}

var (
	// ErrNotFound is returned when a profile or alias does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when the profile kept changing under every
	// attempt; nothing was written and the caller may retry.
	ErrConflict = errors.New("profile changed concurrently on every attempt")
)

// Store reads and writes profiles. Every write is one TransactWriteItems
// guarded by the profile's version: read, merge in Go, write if unchanged,
// else re-read and retry.
type Store struct {
	DB          DynamoDB
	Table       string
	Now         func() time.Time
	Policy      Policy
	EventTTL    time.Duration // how long event items (the dedupe window) live
	MaxAttempts int           // optimistic-concurrency attempts per write
}

// NewStore returns a Store with the default policy, a 90-day event TTL and
// 30 attempts.
func NewStore(db DynamoDB, table string) *Store {
	return &Store{DB: db, Table: table, Now: time.Now, Policy: DefaultPolicy, EventTTL: 90 * 24 * time.Hour, MaxAttempts: 30}
}

// Apply stores one event: its event item (the dedupe key), the merged
// profile, the order it touches and, when it carries both an email and a
// customer id, the alias — all in one transaction, or nothing.
func (s *Store) Apply(ctx context.Context, ev touchpoint.Event) (Outcome, error) {
	if err := Validate(ev); err != nil {
		return Outcome{}, err
	}
	email, reason, err := s.resolve(ctx, ev)
	if err != nil {
		return Outcome{}, err
	}
	if email == "" {
		return Outcome{Status: Unresolved, Reason: reason}, nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return Outcome{}, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	oid, osrc := orderRef(ev)
	if ev.Order == nil && oid != "" { // a review: find the order it is about
		if osrc, err = s.findOrderSource(ctx, email, oid, osrc); err != nil {
			return Outcome{}, err
		}
		if osrc == "" {
			oid = ""
		}
	}
	w := write{email: email, orderID: oid, orderSource: osrc, event: &ev, eventJSON: string(body),
		merge: func(p Profile, o *Order) (Profile, *Order) { return s.Policy.Merge(p, o, ev) }}
	st, err := s.write(ctx, w)
	if err != nil {
		return Outcome{}, fmt.Errorf("apply event %s: %w", ev.ID, err)
	}
	return Outcome{Status: st, Email: email}, nil
}

// resolve finds the profile an event belongs to: its email; else the alias
// of its customer id; else the profile its order was first stored under
// (Shopify's refunds/create carries only the order id). An empty email
// comes with the reason.
func (s *Store) resolve(ctx context.Context, ev touchpoint.Event) (email, reason string, err error) {
	if email := NormalizeEmail(ev.Email); email != "" {
		return email, "", nil
	}
	if ev.CustomerID != "" {
		email, err := s.ResolveAlias(ctx, ev.Source, ev.Shop, ev.CustomerID)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return email, "", err
		}
	}
	if ev.Order != nil && ev.Order.ID != "" {
		email, err := s.ResolveAlias(ctx, ev.Source, ev.Shop, orderAliasID(ev.Order.ID))
		if err == nil || !errors.Is(err, ErrNotFound) {
			return email, "", err
		}
	}
	switch {
	case ev.CustomerID != "":
		return "", fmt.Sprintf("%s customer %s has no known email yet", ev.Source, ev.CustomerID), nil
	case ev.Order != nil && ev.Order.ID != "":
		return "", fmt.Sprintf("%s order %s is not known yet and the event has no email", ev.Source, ev.Order.ID), nil
	}
	return "", "event has neither an email nor a customer id", nil
}

// orderAliasID is the alias "customer id" under which an order's profile
// is found: order ids and customer ids never collide because of the prefix.
func orderAliasID(orderID string) string { return "order:" + orderID }

// SetConsent records a consent change (an unsubscribe) made at at. An
// older change than the one on the profile changes nothing.
func (s *Store) SetConsent(ctx context.Context, email, state string, at time.Time) error {
	email = NormalizeEmail(email)
	c := &touchpoint.Consent{State: state, UpdatedAt: at.UTC()}
	_, err := s.write(ctx, write{email: email, merge: func(p Profile, _ *Order) (Profile, *Order) {
		p = p.clone()
		p.View.Consent = newerConsent(p.View.Consent, c)
		s.Policy.Derive(&p)
		return p, nil
	}})
	if err != nil {
		return fmt.Errorf("set consent: %w", err)
	}
	return nil
}

// Suppress marks the address as not to be emailed (bounce, complaint): on
// its profile and on its marker (optout.go), in one transaction; the first
// suppression is kept on each. It never creates a profile: for an address
// without one (erased, or never stored) only the marker is written, and a
// profile created later starts suppressed. existed says which it was.
func (s *Store) Suppress(ctx context.Context, email, reason string, at time.Time) (existed bool, err error) {
	email = NormalizeEmail(email)
	return s.marked(ctx, "suppress", email, s.suppressionPut(email, reason, at), func(p Profile, _ *Order) (Profile, *Order) {
		p = p.clone()
		if p.View.Suppressed == nil {
			p.View.Suppressed = &Suppression{Reason: reason, At: at.UTC()}
		}
		s.Policy.Derive(&p)
		return p, nil
	})
}

// write is one read-modify-write of a profile.
type write struct {
	email       string
	orderID     string
	orderSource string
	event       *touchpoint.Event // nil for SetConsent and Suppress
	eventJSON   string
	merge       func(Profile, *Order) (Profile, *Order)
	// existingOnly makes a missing profile ErrNotFound instead of
	// creating it (Unsubscribe); extra items join the transaction.
	existingOnly bool
	extra        []types.TransactWriteItem
}

func (s *Store) write(ctx context.Context, w write) (Status, error) {
	alias := w.event != nil && w.event.Email != "" && w.event.CustomerID != ""
	for attempt := 1; ; attempt++ {
		p, o, err := s.read(ctx, w.email, w.orderSource, w.orderID)
		if err != nil {
			return "", err
		}
		if p.Version == 0 {
			if w.existingOnly {
				return "", ErrNotFound
			}
			// A new profile starts from the address's marker: its
			// opt-out and its suppression (optout.go).
			if p.View.Consent, p.View.Suppressed, err = s.markerState(ctx, w.email); err != nil {
				return "", err
			}
		}
		np, no := w.merge(p, o)
		now := s.Now().UTC()
		np.View.Email = w.email
		if p.Version == 0 {
			np.View.CreatedAt = now
		}
		np.View.UpdatedAt = now
		np.Version = p.Version + 1

		var items []types.TransactWriteItem
		eventIdx, aliasIdx := -1, -1
		if w.event != nil {
			eventIdx = len(items)
			items = append(items, s.eventPut(w, now),
				s.refPut(w.email, EventPK(w.event.ID), SKEvent, now.Add(s.EventTTL).Unix()))
		}
		profileIdx := len(items)
		pi, err := s.profilePut(np, p.Version)
		if err != nil {
			return "", err
		}
		items = append(items, pi)
		items = append(items, w.extra...)
		if no != nil {
			oi, err := s.orderPut(w.email, no, now)
			if err != nil {
				return "", err
			}
			items = append(items, oi)
		}
		if o == nil && no != nil && w.event != nil && w.event.Order != nil && w.orderSource == w.event.Source {
			// First sight of this order: later events that carry only the
			// order id (refunds) find the profile through this alias.
			apk := AliasPK(w.event.Source, w.event.Shop, orderAliasID(w.orderID))
			item := key(apk, SKAlias)
			item[AttrEmail] = str(w.email)
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item}},
				s.refPut(w.email, apk, SKAlias, 0))
		}
		if alias {
			aliasIdx = len(items)
			items = append(items, s.aliasPut(w.event, w.email),
				s.refPut(w.email, AliasPK(w.event.Source, w.event.Shop, w.event.CustomerID), SKAlias, 0))
		}

		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return Stored, nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return "", fmt.Errorf("write profile: %w", err)
		}
		code := func(i int) string {
			if i < 0 || i >= len(tce.CancellationReasons) {
				return ""
			}
			return aws.ToString(tce.CancellationReasons[i].Code)
		}
		switch {
		case code(eventIdx) == "ConditionalCheckFailed":
			return Duplicate, nil
		case code(profileIdx) == "ConditionalCheckFailed" || anyCode(tce, "TransactionConflict"):
			// Someone wrote the profile since we read it: re-read and retry.
		case code(aliasIdx) == "ConditionalCheckFailed":
			// A newer event already points the alias elsewhere: keep it.
			alias = false
			continue
		default:
			return "", fmt.Errorf("write profile: %w", err)
		}
		if attempt >= s.MaxAttempts {
			return "", ErrConflict
		}
		if err := backoff(ctx, attempt); err != nil {
			return "", err
		}
	}
}

func anyCode(tce *types.TransactionCanceledException, code string) bool {
	for _, r := range tce.CancellationReasons {
		if aws.ToString(r.Code) == code {
			return true
		}
	}
	return false
}

// backoff sleeps a random time up to 5 ms × 2^attempt, capped at 250 ms
// ("full jitter"), so writers that collided spread out.
func backoff(ctx context.Context, attempt int) error {
	ceiling := 5 * time.Millisecond << min(attempt, 6)
	ceiling = min(ceiling, 250*time.Millisecond)
	t := time.NewTimer(rand.N(ceiling) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("retry profile write: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(pk), AttrSK: str(sk)}
}

func (s *Store) eventPut(w write, now time.Time) types.TransactWriteItem {
	ev := w.event
	item := key(EventPK(ev.ID), SKEvent)
	item[AttrEvent] = str(w.eventJSON)
	item[AttrType] = str(string(ev.Type))
	item[AttrSource] = str(ev.Source)
	item[AttrEmail] = str(w.email)
	item[AttrProfilePK] = str(ProfilePK(w.email))
	item[AttrReceivedAt] = str(now.Format(time.RFC3339Nano))
	item[AttrTTL] = num(now.Add(s.EventTTL).Unix())
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                aws.String(s.Table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrPK},
	}}
}

func (s *Store) profilePut(p Profile, prevVersion int64) (types.TransactWriteItem, error) {
	_, view, err := ShrinkView(p.View)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	totals, err := json.Marshal(p.Totals)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode profile totals: %w", err)
	}
	item := key(ProfilePK(p.View.Email), SKProfile)
	item[AttrView] = str(string(view))
	item[AttrTotals] = str(string(totals))
	item[AttrEmail] = str(p.View.Email)
	item[AttrOrderCount] = num(p.View.OrderCount)
	item[AttrUpdatedAt] = str(p.View.UpdatedAt.Format(time.RFC3339Nano))
	item[AttrVersion] = num(p.Version)
	if p.View.Consent != nil {
		item[AttrConsent] = str(p.View.Consent.State)
	}
	put := &types.Put{TableName: aws.String(s.Table), Item: item}
	if prevVersion == 0 {
		put.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		put.ExpressionAttributeNames = map[string]string{"#pk": AttrPK}
	} else {
		put.ConditionExpression = aws.String("#v = :v")
		put.ExpressionAttributeNames = map[string]string{"#v": AttrVersion}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(prevVersion)}
	}
	return types.TransactWriteItem{Put: put}, nil
}

// orderPut needs no condition of its own: only profile writes touch order
// items, and each one is guarded by the profile's version in the same
// transaction.
func (s *Store) orderPut(email string, o *Order, now time.Time) (types.TransactWriteItem, error) {
	view, err := json.Marshal(o.View)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode order view: %w", err)
	}
	state, err := json.Marshal(o)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode order state: %w", err)
	}
	item := key(ProfilePK(email), OrderSK(o.View.Source, o.View.ID))
	item[AttrView] = str(string(view))
	item[AttrState] = str(string(state))
	item[AttrSource] = str(o.View.Source)
	item[AttrStatus] = str(o.View.Status)
	item[AttrUpdatedAt] = str(now.Format(time.RFC3339Nano))
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item}}, nil
}

// aliasPut points a platform customer id at an email unless a newer event
// already pointed it (a customer who changed address keeps the newest).
func (s *Store) aliasPut(ev *touchpoint.Event, email string) types.TransactWriteItem {
	item := key(AliasPK(ev.Source, ev.Shop, ev.CustomerID), SKAlias)
	item[AttrEmail] = str(email)
	item[AttrSeenAt] = num(ev.OccurredAt.UnixMilli())
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                 aws.String(s.Table),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #at <= :at"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#at": AttrSeenAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": num(ev.OccurredAt.UnixMilli())},
	}}
}

// read returns the profile and (when orderID is set) the order in one
// TransactGetItems: one round trip, and a consistent pair. A missing
// profile is a zero Profile; a missing order is nil.
func (s *Store) read(ctx context.Context, email, orderSource, orderID string) (Profile, *Order, error) {
	gets := []types.TransactGetItem{{Get: &types.Get{TableName: aws.String(s.Table), Key: key(ProfilePK(email), SKProfile)}}}
	if orderID != "" {
		gets = append(gets, types.TransactGetItem{Get: &types.Get{TableName: aws.String(s.Table), Key: key(ProfilePK(email), OrderSK(orderSource, orderID))}})
	}
	out, err := s.DB.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: gets})
	if err != nil {
		return Profile{}, nil, fmt.Errorf("read profile: %w", err)
	}
	if len(out.Responses) != len(gets) {
		return Profile{}, nil, fmt.Errorf("read profile: %d responses for %d items", len(out.Responses), len(gets))
	}
	var p Profile
	if item := out.Responses[0].Item; item != nil {
		if p, err = decodeProfile(item); err != nil {
			return Profile{}, nil, err
		}
	}
	var o *Order
	if orderID != "" && out.Responses[1].Item != nil {
		if o, err = decodeOrder(out.Responses[1].Item); err != nil {
			return Profile{}, nil, err
		}
	}
	return p, o, nil
}

// Get reads a profile with a strongly consistent read. A missing profile
// is ErrNotFound together with an empty Profile (Version 0).
func (s *Store) Get(ctx context.Context, email string) (Profile, error) {
	email = NormalizeEmail(email)
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(ProfilePK(email), SKProfile), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Profile{}, fmt.Errorf("get profile: %w", err)
	}
	if out.Item == nil {
		return Profile{}, ErrNotFound
	}
	return decodeProfile(out.Item)
}

func decodeProfile(item map[string]types.AttributeValue) (Profile, error) {
	var p Profile
	if err := decodeJSON(item, AttrView, &p.View); err != nil {
		return Profile{}, err
	}
	if err := decodeJSON(item, AttrTotals, &p.Totals); err != nil {
		return Profile{}, err
	}
	n, ok := item[AttrVersion].(*types.AttributeValueMemberN)
	if !ok {
		return Profile{}, errors.New("profile item has no version")
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return Profile{}, fmt.Errorf("profile version: %w", err)
	}
	p.Version = v
	return p, nil
}

// GetView returns the profile as journeys see it, or ErrNotFound.
func (s *Store) GetView(ctx context.Context, email string) (View, error) {
	p, err := s.Get(ctx, email)
	return p.View, err
}

// Orders lists a profile's orders (by source and id).
func (s *Store) Orders(ctx context.Context, email string) ([]OrderView, error) {
	var out []OrderView
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :o)"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#sk": AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(ProfilePK(NormalizeEmail(email))), ":o": str("ORDER#")},
	}
	for {
		page, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query orders: %w", err)
		}
		for _, it := range page.Items {
			var ov OrderView
			if err := decodeJSON(it, AttrView, &ov); err != nil {
				return nil, err
			}
			out = append(out, ov)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func decodeOrder(item map[string]types.AttributeValue) (*Order, error) {
	var o Order
	if err := decodeJSON(item, AttrState, &o); err != nil {
		return nil, err
	}
	if err := decodeJSON(item, AttrView, &o.View); err != nil {
		return nil, err
	}
	return &o, nil
}

// findOrderSource returns the source of the profile's order with this id,
// preferring preferred when several sources have one; "" when none does.
func (s *Store) findOrderSource(ctx context.Context, email, orderID, preferred string) (string, error) {
	orders, err := s.Orders(ctx, email)
	if err != nil {
		return "", err
	}
	found := ""
	for _, o := range orders {
		if o.ID == orderID && (found == "" || o.Source == preferred) {
			found = o.Source
		}
	}
	return found, nil
}

// ResolveAlias returns the email a platform customer id belongs to, or
// ErrNotFound.
func (s *Store) ResolveAlias(ctx context.Context, source, shop, customerID string) (string, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(AliasPK(source, shop, customerID), SKAlias), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("resolve alias: %w", err)
	}
	e, ok := out.Item[AttrEmail].(*types.AttributeValueMemberS)
	if !ok || e.Value == "" {
		return "", ErrNotFound
	}
	return e.Value, nil
}

func decodeJSON(item map[string]types.AttributeValue, attr string, v any) error {
	s, ok := item[attr].(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("item has no %q attribute", attr)
	}
	if err := json.Unmarshal([]byte(s.Value), v); err != nil {
		return fmt.Errorf("decode %q attribute: %w", attr, err)
	}
	return nil
}

// Validate is the check Apply makes before it reads or writes anything: a
// *touchpoint.InputError for an event Apply would refuse (no id, an amount
// the merge could not add exactly), nil otherwise. A caller storing several
// events of one delivery validates them all first, so a refusal never
// comes after some were stored.
func Validate(ev touchpoint.Event) error {
	if ev.ID == "" {
		return &touchpoint.InputError{Field: "id", Reason: "event has no id"}
	}
	return validateMoney(ev)
}

// validateMoney rejects amounts the merge could not add exactly.
func validateMoney(ev touchpoint.Event) error {
	if o := ev.Order; o != nil {
		// A fixed order (not a map): no allocation on every event, and the
		// same field named every time when both are wrong.
		for _, a := range [...]struct{ field, v string }{{"order.total", o.Total}, {"order.refunded", o.Refunded}} {
			if _, err := ParseAmount(a.v); err != nil {
				return &touchpoint.InputError{Field: a.field, Reason: "not a decimal amount"}
			}
		}
	}
	return nil
}
