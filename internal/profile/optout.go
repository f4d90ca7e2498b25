package profile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/touchpoint"
)

// Address markers. An unsubscribe click, a bounce and a complaint are each
// recorded twice: on the address's profile, when it has one (its consent,
// its suppression), and on the address's marker, an item keyed by the
// SHA-256 of the address, which holds nothing else (no address, no name)
// and which erasure leaves in place. The marker is how "never email me"
// and "this address bounces" outlive an erasure without keeping the
// address: a profile created later for the same address (a new order)
// starts from consent "unsubscribed" at the click's time and from the
// first suppression, so only consent given after the click (newer
// updated_at) subscribes it again, and nothing lifts the suppression but a
// shop's own edit. Neither an unsubscribe nor a bounce for an address
// without a profile (never stored, or erased) creates one. docs/privacy.md
// explains the choice.
const (
	SKOptOut            = "OPTOUT"
	AttrUnsubscribedAt  = "unsubscribed_at"   // marker: RFC 3339 time of the latest click
	AttrSuppressedAt    = "suppressed_at"     // marker: RFC 3339 time of the first bounce or complaint
	AttrSuppressionKind = "suppressed_reason" // marker: "bounce", "complaint", "manual"
	optOutPrefix        = "OPTOUT#"
)

// OptOutPK is the marker's partition key: "OPTOUT#" and the SHA-256 (hex)
// of "parcours opt-out\x00" and the normalized address. The prefix keeps
// the key apart from AddressHash, the hash logs name profiles by, so the
// table's markers and the logs' hashes cannot be joined without the
// address.
func OptOutPK(email string) string {
	s := sha256.Sum256([]byte("parcours opt-out\x00" + NormalizeEmail(email)))
	return optOutPrefix + hex.EncodeToString(s[:])
}

// optOutPut records a click on the marker (an update: the marker's
// suppression, if any, stays).
func (s *Store) optOutPut(email string, at time.Time) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.Table),
		Key:                       key(OptOutPK(email), SKOptOut),
		UpdateExpression:          aws.String("SET #u = :u"),
		ExpressionAttributeNames:  map[string]string{"#u": AttrUnsubscribedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": str(at.UTC().Format(time.RFC3339Nano))},
	}}
}

// suppressionPut records a bounce or complaint on the marker; the first
// one is kept, as on a profile.
func (s *Store) suppressionPut(email, reason string, at time.Time) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                aws.String(s.Table),
		Key:                      key(OptOutPK(email), SKOptOut),
		UpdateExpression:         aws.String("SET #a = if_not_exists(#a, :a), #r = if_not_exists(#r, :r)"),
		ExpressionAttributeNames: map[string]string{"#a": AttrSuppressedAt, "#r": AttrSuppressionKind},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":a": str(at.UTC().Format(time.RFC3339Nano)), ":r": str(reason),
		},
	}}
}

// markerState reads the address's marker: the consent and the suppression
// a new profile of the address starts from (nil for none).
func (s *Store) markerState(ctx context.Context, email string) (*touchpoint.Consent, *Suppression, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(OptOutPK(email), SKOptOut), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read address marker: %w", err)
	}
	var c *touchpoint.Consent
	if v, ok := out.Item[AttrUnsubscribedAt].(*types.AttributeValueMemberS); ok {
		at, err := time.Parse(time.RFC3339Nano, v.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("address marker: unsubscribed_at: %w", err)
		}
		c = &touchpoint.Consent{State: touchpoint.ConsentUnsubscribed, UpdatedAt: at.UTC()}
	}
	var sup *Suppression
	if v, ok := out.Item[AttrSuppressedAt].(*types.AttributeValueMemberS); ok {
		at, err := time.Parse(time.RFC3339Nano, v.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("address marker: suppressed_at: %w", err)
		}
		reason, _ := out.Item[AttrSuppressionKind].(*types.AttributeValueMemberS)
		sup = &Suppression{At: at.UTC()}
		if reason != nil {
			sup.Reason = reason.Value
		}
	}
	return c, sup, nil
}

// Unsubscribe records an unsubscribe click made at at: the opt-out marker
// and, when the address has a profile, its consent, in one transaction. It
// never creates a profile: for an address without one (never stored, or
// erased) only the marker is written. existed says which it was.
func (s *Store) Unsubscribe(ctx context.Context, email string, at time.Time) (existed bool, err error) {
	email = NormalizeEmail(email)
	c := &touchpoint.Consent{State: touchpoint.ConsentUnsubscribed, UpdatedAt: at.UTC()}
	return s.marked(ctx, "unsubscribe", email, s.optOutPut(email, at), func(p Profile, _ *Order) (Profile, *Order) {
		p = p.clone()
		if cur := p.View.Consent; cur == nil || cur.State != touchpoint.ConsentUnsubscribed {
			// A second click keeps the first one's time.
			p.View.Consent = newerConsent(cur, c)
		}
		s.Policy.Derive(&p)
		return p, nil
	})
}

// marked applies merge to the address's profile together with mark (an
// update of the address marker) in one transaction, or, when the address
// has no profile, writes mark alone: it never creates a profile. existed
// says which it was; op names the operation in errors.
func (s *Store) marked(ctx context.Context, op, email string, mark types.TransactWriteItem, merge func(Profile, *Order) (Profile, *Order)) (existed bool, err error) {
	_, err = s.write(ctx, write{email: email, existingOnly: true, extra: []types.TransactWriteItem{mark}, merge: merge})
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, ErrNotFound):
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{mark},
	}); err != nil {
		return false, fmt.Errorf("%s: write address marker: %w", op, err)
	}
	return false, nil
}
