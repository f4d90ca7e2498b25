package erase

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/profile"
)

// AttrExport holds an export item's JSON.
const AttrExport = "export"

// maxExportItem keeps an export item under DynamoDB's 400 KB item limit.
const maxExportItem = 350_000

// Export is everything parcours stores about one customer, as JSON: what a
// data request is answered with.
type Export struct {
	Email      string              `json:"email"`
	ExportedAt time.Time           `json:"exported_at"`
	Profile    *profile.View       `json:"profile,omitempty"`
	Orders     []profile.OrderView `json:"orders,omitempty"`
	// Events are the canonical events stored for the customer (kept 90
	// days), as the event items hold them.
	Events []json.RawMessage `json:"events,omitempty"`
	// Aliases are the platform ids that resolve to this address
	// (ALIAS#<source>#<shop>#<customer id or order:id>).
	Aliases []string `json:"aliases,omitempty"`
	// Journeys are the journey entries and executions (EXEC#, ENTRY#).
	Journeys []map[string]any `json:"journeys,omitempty"`
	// Messages are the emails' records: journey, step, template, status,
	// timestamps, SES message id (not the rendered email: it is not stored).
	Messages     []map[string]any `json:"messages,omitempty"`
	FrequencyCap map[string]any   `json:"frequency_cap,omitempty"`
	// UnsubscribedAt is the address's opt-out marker (the latest
	// unsubscribe click), which erasure keeps. A marker alone does not
	// make the address "found": SaveExport writes nothing for it, since
	// that would store the address again after an erasure.
	UnsubscribedAt *time.Time `json:"unsubscribed_at,omitempty"`
	// Suppressed is the marker's first bounce or complaint, which erasure
	// keeps too (same rule: a marker alone is not "found").
	Suppressed *profile.Suppression `json:"suppressed,omitempty"`
	// Other holds any other item of the profile's partition.
	Other []map[string]any `json:"other,omitempty"`
	// Truncated says what was left out of a stored export to fit an item.
	Truncated string `json:"truncated,omitempty"`
}

func plain(item map[string]types.AttributeValue) (map[string]any, error) {
	var m map[string]any
	if err := attributevalue.UnmarshalMap(item, &m); err != nil {
		return nil, fmt.Errorf("decode item: %w", err)
	}
	return m, nil
}

// Export collects the customer's data. found is false when nothing is
// stored for the address.
func (e *Eraser) Export(ctx context.Context, email string) (x Export, found bool, err error) {
	email = profile.NormalizeEmail(email)
	x = Export{Email: email, ExportedAt: e.Now().UTC()}
	if email == "" {
		return x, false, nil
	}
	items, err := e.partition(ctx, profile.ProfilePK(email))
	if err != nil {
		return x, false, fmt.Errorf("export profile %s: %w", profile.AddressHash(email), err)
	}
	for _, it := range items {
		sk := sOf(it, profile.AttrSK)
		switch {
		case sk == profile.SKProfile:
			var v profile.View
			if err := json.Unmarshal([]byte(sOf(it, profile.AttrView)), &v); err != nil {
				return x, false, fmt.Errorf("export profile: %w", err)
			}
			x.Profile = &v
			found = true
		case strings.HasPrefix(sk, "ORDER#"):
			var o profile.OrderView
			if err := json.Unmarshal([]byte(sOf(it, profile.AttrView)), &o); err != nil {
				return x, false, fmt.Errorf("export order: %w", err)
			}
			x.Orders = append(x.Orders, o)
			found = true
		case strings.HasPrefix(sk, profile.SKExportPrefix):
			// an earlier export: a copy, not more data
		case strings.HasPrefix(sk, profile.SKRefPrefix):
			found = true
			tpk, tsk := sOf(it, profile.AttrRefPK), sOf(it, profile.AttrRefSK)
			if tsk == profile.SKAlias {
				if em, err := e.alias(ctx, tpk); err != nil {
					return x, false, err
				} else if em == email {
					x.Aliases = append(x.Aliases, tpk)
				}
				continue
			}
			out, err := e.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(e.Table), Key: key(tpk, tsk)})
			if err != nil {
				return x, false, fmt.Errorf("export event: %w", err)
			}
			if ev := sOf(out.Item, profile.AttrEvent); ev != "" && sOf(out.Item, profile.AttrEmail) == email {
				x.Events = append(x.Events, json.RawMessage(ev))
			}
		default:
			found = true
			m, err := plain(it)
			if err != nil {
				return x, false, err
			}
			switch {
			case sk == "CAP":
				x.FrequencyCap = m
			case strings.HasPrefix(sk, profile.SKExecPrefix) || strings.HasPrefix(sk, "ENTRY#"):
				x.Journeys = append(x.Journeys, m)
				if strings.HasPrefix(sk, profile.SKExecPrefix) {
					msgs, err := e.partition(ctx, messagePK(strings.TrimPrefix(sk, profile.SKExecPrefix)))
					if err != nil {
						return x, false, err
					}
					for _, mi := range msgs {
						mm, err := plain(mi)
						if err != nil {
							return x, false, err
						}
						x.Messages = append(x.Messages, mm)
					}
				}
			default:
				x.Other = append(x.Other, m)
			}
		}
	}
	out, err := e.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(e.Table), Key: key(profile.OptOutPK(email), profile.SKOptOut)})
	if err != nil {
		return x, false, fmt.Errorf("export opt-out marker: %w", err)
	}
	if at, err := time.Parse(time.RFC3339Nano, sOf(out.Item, profile.AttrUnsubscribedAt)); err == nil {
		at = at.UTC()
		x.UnsubscribedAt = &at
	}
	if at, err := time.Parse(time.RFC3339Nano, sOf(out.Item, profile.AttrSuppressedAt)); err == nil {
		x.Suppressed = &profile.Suppression{Reason: sOf(out.Item, profile.AttrSuppressionKind), At: at.UTC()}
	}
	return x, found, nil
}

// SaveExport writes the customer's export as the item
// PROFILE#<email> / EXPORT#<request id> (attribute "export", JSON;
// "requested_at"; "ttl" = now + ExportTTL), for the shop's admin to fetch
// with `parcours export --email`. Nothing is written when nothing is
// stored for the address. An export too large for one item leaves the
// events out and says so in "truncated" (`parcours export` prints them).
func (e *Eraser) SaveExport(ctx context.Context, email, requestID string) (bool, error) {
	x, found, err := e.Export(ctx, email)
	if err != nil || !found {
		return false, err
	}
	b, err := json.Marshal(x)
	if err != nil {
		return false, fmt.Errorf("encode export: %w", err)
	}
	if len(b) > maxExportItem {
		x.Truncated = strconv.Itoa(len(x.Events)) + " events left out to fit one item; run parcours export --email for all"
		x.Events = nil
		if b, err = json.Marshal(x); err != nil {
			return false, fmt.Errorf("encode export: %w", err)
		}
		if len(b) > maxExportItem {
			return false, fmt.Errorf("export of %s is %d bytes even without events", profile.AddressHash(x.Email), len(b))
		}
	}
	now := e.Now().UTC()
	item := key(profile.ProfilePK(x.Email), profile.SKExportPrefix+requestID)
	item[AttrExport] = str(string(b))
	item["requested_at"] = str(now.Format(time.RFC3339))
	item[profile.AttrTTL] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(e.ExportTTL).Unix(), 10)}
	if _, err := e.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.Table), Item: item}); err != nil {
		return false, fmt.Errorf("save export: %w", err)
	}
	e.Log.InfoContext(ctx, "export saved", "profile", profile.AddressHash(x.Email), "request", requestID, "bytes", len(b))
	return true, nil
}

// SavedExports returns the export items stored for the address (newest
// request last), as their JSON.
func (e *Eraser) SavedExports(ctx context.Context, email string) ([]json.RawMessage, error) {
	items, err := e.partition(ctx, profile.ProfilePK(profile.NormalizeEmail(email)))
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	for _, it := range items {
		if strings.HasPrefix(sOf(it, profile.AttrSK), profile.SKExportPrefix) {
			out = append(out, json.RawMessage(sOf(it, AttrExport)))
		}
	}
	return out, nil
}
