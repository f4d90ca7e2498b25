package devstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// txFront serves DynamoDB's TransactWriteItems in front of the embedded
// emulator, in time proportional to the transaction's items.
//
// minidyn v0.8.2 makes a transaction atomic by deep-copying every table it
// touches before running it (core.Table.Snapshot) and putting the copy back
// if an item fails. With the whole product writing one transaction per
// webhook, that copy was most of the dev stack's CPU and made a load run's
// time grow with the square of its size (docs/reliability.md). txFront gets
// the same atomicity another way:
//
//   - Every write operation (PutItem, UpdateItem, DeleteItem,
//     BatchWriteItem, TransactWriteItems, the table operations and anything
//     txFront does not know) holds one stack-wide write lock; reads
//     (GetItem, Query, Scan, BatchGetItem, TransactGetItems, DescribeTable,
//     DescribeTimeToLive, ListTables) hold it shared. No read sees a
//     transaction half-applied and no other write lands between a
//     transaction's steps. minidyn itself runs every call under one mutex,
//     so the lock costs no parallelism; it also makes TransactGetItems
//     atomic with respect to writes, which minidyn alone does not
//     (it reads its items one GetItem at a time).
//   - A transaction first reads the current image of each of its items
//     (GetItem through minidyn), then applies the items in order as the
//     single-item operations with their conditions: Put as PutItem, Update
//     as UpdateItem, Delete as DeleteItem, and ConditionCheck as a
//     conditional write that changes nothing (a PutItem of the current
//     image, or a DeleteItem of an absent item, both with the check's
//     condition). The first ConditionalCheckFailedException puts the images
//     of the items already applied back (PutItem of the old image, DeleteItem
//     of an item that did not exist) and answers TransactionCanceledException
//     with one CancellationReason per item: ConditionalCheckFailed for the
//     failing one, None for the others. That is minidyn's own answer, byte
//     for byte (ddbtx_test.go compares both on the same scenarios); like
//     minidyn, and unlike DynamoDB, it stops at the first failing item.
//     One difference: ReturnValuesOnConditionCheckFailure ALL_OLD returns
//     the failing item's image for Put and Delete too, as DynamoDB does
//     (minidyn returns it for Update and ConditionCheck only).
//   - Any other error from an item (a ValidationException, say) is answered
//     as minidyn answered it, after the same rollback.
//   - Requests txFront does not take apart (an item with no or several
//     operations, a ConditionCheck without a condition, an incomplete key,
//     two operations on one item, an unknown table, a body that is not
//     JSON) go to minidyn's own TransactWriteItems, so invalid requests get
//     exactly the answers they got before.
//   - ClientRequestToken is honoured as DynamoDB documents it: a
//     transaction that succeeded with a token is not applied again when the
//     same token comes back within 10 minutes with the same parameters (the
//     answer is a success, and no stream record is emitted twice); with
//     other parameters the answer is IdempotentParameterMismatchException.
//     A cancelled or failed transaction leaves no trace, so its retry runs
//     afresh. The aws-sdk-go-v2 client sets a token on every
//     TransactWriteItems call and keeps it across its retries, so a commit
//     whose answer was lost (fault.Rule.AfterWrite) is retried into a
//     success, as on DynamoDB; minidyn ignores the token.
//
// TransactionConflict cannot happen here (writes are serialized); the
// fault injector in front of the stack injects it.
type txFront struct {
	next http.Handler
	log  *slog.Logger
	now  func() time.Time // the idempotency window's clock: real time

	mu      sync.RWMutex
	schemas map[string][]string // table → key attribute names, hash first
	tokens  map[string]tokenUse
	expiry  []tokenExpiry // tokens in the order they expire
}

type tokenUse struct {
	sum     [sha256.Size]byte // the request without its token
	expires time.Time
}

type tokenExpiry struct {
	token   string
	expires time.Time
}

// idempotencyWindow is how long DynamoDB remembers a ClientRequestToken.
const idempotencyWindow = 10 * time.Minute

// replayHeader marks the answer to a TransactWriteItems that was not
// applied because its token had already succeeded: the stream must not
// emit its records again. The stream removes it before answering.
const replayHeader = "X-Parcours-Idempotent-Replay"

// readOps are the operations served under the shared lock.
var readOps = map[string]bool{
	"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true,
	"TransactGetItems": true, "DescribeTable": true, "ListTables": true,
	"DescribeTimeToLive": true,
}

func newTxFront(next http.Handler, log *slog.Logger) *txFront {
	return &txFront{next: next, log: log, now: time.Now, schemas: map[string][]string{}, tokens: map[string]tokenUse{}}
}

func (f *txFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if readOps[op] {
		f.mu.RLock()
		defer f.mu.RUnlock()
		f.next.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch op {
	case "TransactWriteItems":
		f.transactWrite(w, r)
	case "CreateTable", "DeleteTable", "UpdateTable":
		clear(f.schemas)
		f.next.ServeHTTP(w, r)
	default:
		f.next.ServeHTTP(w, r)
	}
}

// The DynamoDB JSON shapes txFront reads and writes. Attribute values stay
// raw JSON: they go back to minidyn as they came.
type (
	attrs = map[string]json.RawMessage

	txWriteInput struct {
		TransactItems      []txWriteItem `json:"TransactItems"`
		ClientRequestToken *string       `json:"ClientRequestToken"`
	}
	txWriteItem struct {
		Put            *txOp `json:"Put"`
		Update         *txOp `json:"Update"`
		Delete         *txOp `json:"Delete"`
		ConditionCheck *txOp `json:"ConditionCheck"`
	}
	// txOp is one transaction item, and also the input of the single-item
	// operations (PutItem, UpdateItem, DeleteItem, GetItem), whose fields
	// have the same names.
	txOp struct {
		TableName                           string            `json:"TableName"`
		Item                                attrs             `json:"Item,omitempty"`
		Key                                 attrs             `json:"Key,omitempty"`
		UpdateExpression                    *string           `json:"UpdateExpression,omitempty"`
		ConditionExpression                 *string           `json:"ConditionExpression,omitempty"`
		ExpressionAttributeNames            map[string]string `json:"ExpressionAttributeNames,omitempty"`
		ExpressionAttributeValues           attrs             `json:"ExpressionAttributeValues,omitempty"`
		ReturnValuesOnConditionCheckFailure string            `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
		ConsistentRead                      *bool             `json:"ConsistentRead,omitempty"`
	}
	awsError struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	cancellationReason struct {
		Code    string `json:"Code"`
		Message string `json:"Message,omitempty"`
		Item    attrs  `json:"Item,omitempty"`
	}
	transactionCanceled struct {
		Type                string               `json:"__type"`
		Message             string               `json:"message"`
		CancellationReasons []cancellationReason `json:"CancellationReasons"`
	}
)

// step is one transaction item, ready to run.
type step struct {
	kind  string // Put, Update, Delete, ConditionCheck
	op    *txOp
	key   attrs
	image attrs // the item before the transaction; nil: absent
}

// answer is a response from minidyn.
type answer struct {
	status int
	body   []byte
}

func (a answer) errorType() string {
	var e awsError
	_ = json.Unmarshal(a.body, &e)
	return e.Type
}

func (f *txFront) transactWrite(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeAWSError(w, http.StatusBadRequest, "SerializationException", "unreadable body")
		return
	}
	ctx := r.Context()
	var in txWriteInput
	if err := json.Unmarshal(body, &in); err != nil {
		f.delegate(w, r, body)
		return
	}
	var sum [sha256.Size]byte
	token := ""
	if in.ClientRequestToken != nil {
		token = *in.ClientRequestToken
		sum = requestSum(body)
		f.expireTokens()
		if use, ok := f.tokens[token]; ok {
			if use.sum != sum {
				writeAWSError(w, http.StatusBadRequest, "IdempotentParameterMismatchException",
					"DynamoDB rejected the request because you retried a request with a different payload but with an idempotent token that was already used.")
				return
			}
			w.Header().Set(replayHeader, "1")
			writeJSONBody(w, http.StatusOK, []byte("{}\n"))
			return
		}
	}
	steps, ok := f.prepare(ctx, in.TransactItems)
	if !ok {
		f.delegate(w, r, body)
		return
	}
	for i, st := range steps {
		a := f.apply(ctx, st)
		if a.status == http.StatusOK {
			continue
		}
		if rerr := f.rollback(ctx, steps[:i]); rerr != nil {
			f.log.Error("dev dynamodb: transaction rollback failed", "err", rerr)
			writeAWSError(w, http.StatusInternalServerError, "InternalServerError", "dev stack: transaction rollback failed")
			return
		}
		if !strings.HasSuffix(a.errorType(), "ConditionalCheckFailedException") {
			writeJSONBody(w, a.status, a.body)
			return
		}
		writeCanceled(w, steps, i, a)
		return
	}
	if token != "" {
		expires := f.now().Add(idempotencyWindow)
		f.tokens[token] = tokenUse{sum: sum, expires: expires}
		f.expiry = append(f.expiry, tokenExpiry{token: token, expires: expires})
	}
	writeJSONBody(w, http.StatusOK, []byte("{}\n"))
}

// prepare reads each item's current image. It says false when the request
// is one minidyn must answer itself (see txFront).
func (f *txFront) prepare(ctx context.Context, items []txWriteItem) ([]*step, bool) {
	if len(items) == 0 {
		return nil, false
	}
	steps := make([]*step, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		st := &step{}
		n := 0
		for _, c := range [...]struct {
			kind string
			op   *txOp
		}{{"Put", it.Put}, {"Update", it.Update}, {"Delete", it.Delete}, {"ConditionCheck", it.ConditionCheck}} {
			if c.op != nil {
				st.kind, st.op = c.kind, c.op
				n++
			}
		}
		if n != 1 || st.op.TableName == "" {
			return nil, false
		}
		switch st.kind {
		case "Update":
			if st.op.UpdateExpression == nil {
				return nil, false
			}
		case "ConditionCheck":
			if st.op.ConditionExpression == nil || *st.op.ConditionExpression == "" {
				return nil, false
			}
		}
		names, ok := f.keyNames(ctx, st.op.TableName)
		if !ok {
			return nil, false
		}
		src := st.op.Key
		if st.kind == "Put" {
			src = st.op.Item
		}
		st.key = make(attrs, len(names))
		id := st.op.TableName
		for _, n := range names {
			v, ok := src[n]
			if !ok {
				return nil, false
			}
			st.key[n] = v
			var c bytes.Buffer
			if json.Compact(&c, v) != nil {
				return nil, false
			}
			id += "|" + n + "=" + c.String()
		}
		if st.kind != "Put" && len(st.op.Key) != len(names) {
			return nil, false
		}
		if seen[id] {
			return nil, false
		}
		seen[id] = true
		a := f.call(ctx, "GetItem", &txOp{TableName: st.op.TableName, Key: st.key, ConsistentRead: new(true)})
		if a.status != http.StatusOK {
			return nil, false
		}
		var out struct {
			Item attrs `json:"Item"`
		}
		if json.Unmarshal(a.body, &out) != nil {
			return nil, false
		}
		if len(out.Item) > 0 {
			st.image = out.Item
		}
		steps = append(steps, st)
	}
	return steps, true
}

// keyNames returns a table's key attribute names (cached until a table
// operation). False: no such table, or an answer txFront cannot read.
func (f *txFront) keyNames(ctx context.Context, table string) ([]string, bool) {
	if names, ok := f.schemas[table]; ok {
		return names, true
	}
	a := f.call(ctx, "DescribeTable", map[string]string{"TableName": table})
	if a.status != http.StatusOK {
		return nil, false
	}
	var out struct {
		Table struct {
			KeySchema []struct {
				AttributeName string
				KeyType       string
			}
		}
	}
	if json.Unmarshal(a.body, &out) != nil {
		return nil, false
	}
	var names []string
	for _, k := range out.Table.KeySchema {
		if k.KeyType == "HASH" {
			names = append([]string{k.AttributeName}, names...)
		} else {
			names = append(names, k.AttributeName)
		}
	}
	if len(names) == 0 {
		return nil, false
	}
	f.schemas[table] = names
	return names, true
}

// apply runs one item as its single-item operation.
func (f *txFront) apply(ctx context.Context, st *step) answer {
	op := *st.op
	op.ReturnValuesOnConditionCheckFailure = ""
	switch st.kind {
	case "Put":
		return f.call(ctx, "PutItem", &op)
	case "Update":
		return f.call(ctx, "UpdateItem", &op)
	case "Delete":
		return f.call(ctx, "DeleteItem", &op)
	default: // ConditionCheck: a conditional write that changes nothing
		if st.image != nil {
			op.Item, op.Key = st.image, nil
			return f.call(ctx, "PutItem", &op)
		}
		return f.call(ctx, "DeleteItem", &op)
	}
}

// rollback puts back the images of the steps already applied, last first.
func (f *txFront) rollback(ctx context.Context, applied []*step) error {
	for i := len(applied) - 1; i >= 0; i-- {
		st := applied[i]
		if st.kind == "ConditionCheck" {
			continue
		}
		var a answer
		if st.image == nil {
			a = f.call(ctx, "DeleteItem", &txOp{TableName: st.op.TableName, Key: st.key})
		} else {
			a = f.call(ctx, "PutItem", &txOp{TableName: st.op.TableName, Item: st.image})
		}
		if a.status != http.StatusOK {
			return fmt.Errorf("restore item %d of %s: status %d, %s", i, st.op.TableName, a.status, a.errorType())
		}
	}
	return nil
}

// call serves one DynamoDB request from minidyn, in process.
func (f *txFront) call(ctx context.Context, op string, in any) answer {
	body, err := json.Marshal(in)
	if err != nil {
		return answer{status: http.StatusInternalServerError}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return answer{status: http.StatusInternalServerError}
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, req)
	return answer{status: rec.Code, body: rec.Body.Bytes()}
}

// delegate hands the request to minidyn's own TransactWriteItems.
func (f *txFront) delegate(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.next.ServeHTTP(w, r)
}

func (f *txFront) expireTokens() {
	now := f.now()
	n := 0
	for n < len(f.expiry) && !now.Before(f.expiry[n].expires) {
		e := f.expiry[n]
		if use, ok := f.tokens[e.token]; ok && use.expires.Equal(e.expires) {
			delete(f.tokens, e.token)
		}
		n++
	}
	f.expiry = f.expiry[n:]
}

// requestSum identifies a request's parameters, whatever the order of its
// JSON object keys, without its ClientRequestToken.
func requestSum(body []byte) [sha256.Size]byte {
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return sha256.Sum256(body)
	}
	delete(v, "ClientRequestToken")
	b, err := json.Marshal(v) // object keys sorted
	if err != nil {
		return sha256.Sum256(body)
	}
	return sha256.Sum256(b)
}

// writeCanceled answers TransactionCanceledException as minidyn does: the
// failing item says ConditionalCheckFailed, every other item None.
func writeCanceled(w http.ResponseWriter, steps []*step, failed int, a answer) {
	var ccf awsError
	_ = json.Unmarshal(a.body, &ccf)
	reasons := make([]cancellationReason, len(steps))
	for i := range reasons {
		reasons[i].Code = "None"
	}
	reasons[failed] = cancellationReason{Code: "ConditionalCheckFailed", Message: ccf.Message}
	if st := steps[failed]; st.op.ReturnValuesOnConditionCheckFailure == "ALL_OLD" && len(st.image) > 0 {
		reasons[failed].Item = st.image
	}
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(transactionCanceled{
		Type:                "TransactionCanceledException",
		Message:             "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]",
		CancellationReasons: reasons,
	})
	writeJSONBody(w, http.StatusBadRequest, b.Bytes())
}

func writeAWSError(w http.ResponseWriter, status int, typ, msg string) {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(awsError{Type: typ, Message: msg})
	writeJSONBody(w, status, b.Bytes())
}

func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
