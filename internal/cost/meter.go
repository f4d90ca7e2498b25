package cost

import (
	"context"
	"math"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/parcours/parcours/internal/profile"
)

// Meter wraps a real DynamoDB client and adds up the request units each
// call would consume on an on-demand table, by AWS's rules: a write costs
// one WRU per started KB of the larger of the item before and after it (two
// in a transaction), a strongly consistent read one RRU per started 4 KB
// (half when eventually consistent, two in a transaction). Item sizes are
// read back from the table around each write, with calls that are not
// counted. It satisfies profile.DynamoDB and send.DynamoDB.
type Meter struct {
	DB *dynamodb.Client

	mu    sync.Mutex
	units Units
}

// Units are DynamoDB request units and the calls that consumed them.
type Units struct {
	Read, Write float64
	Calls       map[string]int // operation name → calls
}

// Units returns what was counted so far.
func (m *Meter) Units() Units {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := Units{Read: m.units.Read, Write: m.units.Write, Calls: map[string]int{}}
	for k, v := range m.units.Calls {
		out.Calls[k] = v
	}
	return out
}

// Reset sets the counters to zero.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.units = Units{}
}

func (m *Meter) add(op string, read, write float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.units.Calls == nil {
		m.units.Calls = map[string]int{}
	}
	m.units.Calls[op]++
	m.units.Read += read
	m.units.Write += write
}

// GetItem reads and counts.
func (m *Meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := m.DB.GetItem(ctx, in, optFns...)
	if err == nil {
		m.add("GetItem", readUnits(ItemSize(out.Item), aws.ToBool(in.ConsistentRead)), 0)
	}
	return out, err
}

// Query reads and counts (the returned items' sizes, added, per 4 KB).
func (m *Meter) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := m.DB.Query(ctx, in, optFns...)
	if err == nil {
		size := 0
		for _, it := range out.Items {
			size += ItemSize(it)
		}
		m.add("Query", readUnits(size, aws.ToBool(in.ConsistentRead)), 0)
	}
	return out, err
}

// TransactGetItems reads and counts two RRU per item per 4 KB.
func (m *Meter) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	out, err := m.DB.TransactGetItems(ctx, in, optFns...)
	if err == nil {
		r := 0.0
		for _, resp := range out.Responses {
			r += 2 * readUnits(ItemSize(resp.Item), true)
		}
		m.add("TransactGetItems", r, 0)
	}
	return out, err
}

// PutItem writes and counts.
func (m *Meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	k := keyOf(in.Item)
	before := m.size(ctx, in.TableName, k)
	out, err := m.DB.PutItem(ctx, in, optFns...)
	m.add("PutItem", 0, writeUnits(max(before, m.size(ctx, in.TableName, k))))
	return out, err
}

// UpdateItem writes and counts.
func (m *Meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	before := m.size(ctx, in.TableName, in.Key)
	out, err := m.DB.UpdateItem(ctx, in, optFns...)
	m.add("UpdateItem", 0, writeUnits(max(before, m.size(ctx, in.TableName, in.Key))))
	return out, err
}

// TransactWriteItems writes and counts two WRU per item per KB (condition
// checks included), whether or not the transaction commits.
func (m *Meter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	type ref struct {
		table *string
		key   map[string]types.AttributeValue
	}
	refs := make([]ref, 0, len(in.TransactItems))
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			refs = append(refs, ref{it.Put.TableName, keyOf(it.Put.Item)})
		case it.Update != nil:
			refs = append(refs, ref{it.Update.TableName, it.Update.Key})
		case it.Delete != nil:
			refs = append(refs, ref{it.Delete.TableName, it.Delete.Key})
		case it.ConditionCheck != nil:
			refs = append(refs, ref{it.ConditionCheck.TableName, it.ConditionCheck.Key})
		}
	}
	before := make([]int, len(refs))
	for i, r := range refs {
		before[i] = m.size(ctx, r.table, r.key)
	}
	out, err := m.DB.TransactWriteItems(ctx, in, optFns...)
	w := 0.0
	for i, r := range refs {
		w += 2 * writeUnits(max(before[i], m.size(ctx, r.table, r.key)))
	}
	m.add("TransactWriteItems", 0, w)
	return out, err
}

// size is the stored item's size, 0 when absent (not counted).
func (m *Meter) size(ctx context.Context, table *string, key map[string]types.AttributeValue) int {
	if len(key) == 0 {
		return 0
	}
	out, err := m.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0
	}
	return ItemSize(out.Item)
}

func keyOf(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{}
	for _, n := range []string{profile.AttrPK, profile.AttrSK} {
		if v, ok := item[n]; ok {
			k[n] = v
		}
	}
	return k
}

// writeUnits is one WRU per started KB, at least one.
func writeUnits(size int) float64 {
	return math.Max(1, math.Ceil(float64(size)/1024))
}

// readUnits is one RRU per started 4 KB (at least one, also for a missing
// item), half when eventually consistent.
func readUnits(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/4096))
	if !consistent {
		u /= 2
	}
	return u
}

// ItemSize is an item's size as DynamoDB counts it: attribute names plus
// values (strings and binaries by length, numbers about one byte per two
// significant digits plus one, maps and lists 3 bytes plus one per element
// plus their contents, booleans and nulls one byte).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	}
	return 0
}

func numberSize(s string) int {
	digits, leading := 0, true
	for _, c := range s {
		if c == 'e' || c == 'E' {
			break
		}
		if c < '0' || c > '9' || (leading && c == '0') {
			continue
		}
		leading = false
		digits++
	}
	return (digits+1)/2 + 1
}
