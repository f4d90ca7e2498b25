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

// Opt-out markers. An unsubscribe click is recorded twice: as the consent
// of the address's profile, when it has one, and as a marker item keyed by
// the SHA-256 of the address, which holds nothing else (no address, no
// name) and which erasure leaves in place. The marker is how "never email
// me" outlives an erasure: a profile created later for the same address (a
// new order) starts from consent "unsubscribed" at the click's time, so
// only consent given after the click (newer updated_at) subscribes it
// again. docs/privacy.md explains the choice.
const (
	SKOptOut           = "OPTOUT"
	AttrUnsubscribedAt = "unsubscribed_at" // marker: RFC 3339 time of the latest click
	optOutPrefix       = "OPTOUT#"
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

func (s *Store) optOutPut(email string, at time.Time) types.TransactWriteItem {
	item := key(OptOutPK(email), SKOptOut)
	item[AttrUnsubscribedAt] = str(at.UTC().Format(time.RFC3339Nano))
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item}}
}

// optOutConsent reads the address's marker: the consent a new profile of
// the address starts from, or nil.
func (s *Store) optOutConsent(ctx context.Context, email string) (*touchpoint.Consent, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(OptOutPK(email), SKOptOut), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read opt-out marker: %w", err)
	}
	v, ok := out.Item[AttrUnsubscribedAt].(*types.AttributeValueMemberS)
	if !ok {
		return nil, nil
	}
	at, err := time.Parse(time.RFC3339Nano, v.Value)
	if err != nil {
		return nil, fmt.Errorf("opt-out marker time: %w", err)
	}
	return &touchpoint.Consent{State: touchpoint.ConsentUnsubscribed, UpdatedAt: at.UTC()}, nil
}

// Unsubscribe records an unsubscribe click made at at: the opt-out marker
// and, when the address has a profile, its consent, in one transaction. It
// never creates a profile: for an address without one (never stored, or
// erased) only the marker is written. existed says which it was.
func (s *Store) Unsubscribe(ctx context.Context, email string, at time.Time) (existed bool, err error) {
	email = NormalizeEmail(email)
	c := &touchpoint.Consent{State: touchpoint.ConsentUnsubscribed, UpdatedAt: at.UTC()}
	_, err = s.write(ctx, write{email: email, existingOnly: true, extra: []types.TransactWriteItem{s.optOutPut(email, at)},
		merge: func(p Profile, _ *Order) (Profile, *Order) {
			p = p.clone()
			if cur := p.View.Consent; cur == nil || cur.State != touchpoint.ConsentUnsubscribed {
				// A second click keeps the first one's time.
				p.View.Consent = newerConsent(cur, c)
			}
			s.Policy.Derive(&p)
			return p, nil
		}})
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, ErrNotFound):
		return false, fmt.Errorf("unsubscribe: %w", err)
	}
	if _, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{s.optOutPut(email, at)},
	}); err != nil {
		return false, fmt.Errorf("unsubscribe: write opt-out marker: %w", err)
	}
	return false, nil
}
