package profile

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Items under a profile's partition that exist so the profile can be
// erased or exported without scanning the table (docs/privacy.md).
const (
	// SKRefPrefix starts the sort key of a reference item: pk ProfilePK,
	// sk RefSK(target), attributes ref_pk and ref_sk naming an item outside
	// the partition that holds the profile's data (its event items, its
	// customer and order aliases). Event references carry the event's ttl.
	SKRefPrefix = "REF#"
	// SKExecPrefix starts the sort key of an execution item: pk ProfilePK,
	// sk EXEC#<execution name>, written by the router before it starts a
	// journey for the profile, so erasure can stop it and delete its
	// messages.
	SKExecPrefix = "EXEC#"
	// SKExportPrefix starts the sort key of a data export (Shopify
	// customers/data_request): pk ProfilePK, sk EXPORT#<request id>.
	SKExportPrefix = "EXPORT#"

	AttrRefPK = "ref_pk"
	AttrRefSK = "ref_sk"
	// AttrErasedAt marks an event item whose content was erased: only its
	// key (the dedupe id) remains until its ttl, so a redelivery of the
	// event is a duplicate instead of re-creating the customer.
	AttrErasedAt = "erased_at"
)

// RefSK is the sort key of the reference to the item (pk, sk): 32 hex
// digits of SHA-256, so any key fits DynamoDB's 1 KiB sort key limit.
func RefSK(pk, sk string) string {
	h := sha256.Sum256([]byte(pk + "\x00" + sk))
	return SKRefPrefix + hex.EncodeToString(h[:16])
}

// ExecSK is the sort key of an execution item.
func ExecSK(executionName string) string { return SKExecPrefix + executionName }

// refPut writes the reference from email's profile to (pk, sk); ttl 0
// means none.
func (s *Store) refPut(email, pk, sk string, ttl int64) types.TransactWriteItem {
	item := key(ProfilePK(email), RefSK(pk, sk))
	item[AttrRefPK] = str(pk)
	item[AttrRefSK] = str(sk)
	if ttl > 0 {
		item[AttrTTL] = num(ttl)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item}}
}
