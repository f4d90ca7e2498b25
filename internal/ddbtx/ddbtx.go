// Package ddbtx serves DynamoDB's TransactWriteItems (and, for a backend
// without transactions, TransactGetItems) in front of a DynamoDB emulator,
// over the emulator's single-item operations with their conditions. The dev
// stack puts it in front of minidyn (internal/devstack); internal/ddbtest
// puts it in front of dynalite, which has no transactions at all.
//
// How a transaction runs:
//
//   - Every write operation (PutItem, UpdateItem, DeleteItem,
//     BatchWriteItem, TransactWriteItems, the table operations and anything
//     the front does not know) holds one front-wide write lock; reads
//     (GetItem, Query, Scan, BatchGetItem, TransactGetItems, DescribeTable,
//     DescribeTimeToLive, ListTables) hold it shared. No read sees a
//     transaction half-applied and no other write lands between a
//     transaction's steps. minidyn itself runs every call under one mutex,
//     so the lock costs no parallelism; it also makes TransactGetItems
//     atomic with respect to writes, which minidyn alone does not
//     (it reads its items one GetItem at a time).
//   - A transaction first reads the current image of each of its items
//     (a consistent GetItem), then applies the items in order as the
//     single-item operations with their conditions: Put as PutItem, Update
//     as UpdateItem, Delete as DeleteItem, and ConditionCheck as a
//     conditional write that changes nothing (a PutItem of the current
//     image, or a DeleteItem of an absent item, both with the check's
//     condition). The first ConditionalCheckFailedException puts the images
//     of the items already applied back (PutItem of the old image, DeleteItem
//     of an item that did not exist) and answers TransactionCanceledException
//     with one CancellationReason per item: ConditionalCheckFailed for the
//     failing one, None for the others. That is minidyn's own answer, byte
//     for byte (internal/devstack's ddbtx_test.go compares both on the same
//     scenarios); like minidyn, and unlike DynamoDB, it stops at the first
//     failing item, so a later item whose condition also fails says None.
//     One difference: ReturnValuesOnConditionCheckFailure ALL_OLD returns
//     the failing item's image for Put and Delete too, as DynamoDB does
//     (minidyn returns it for Update and ConditionCheck only).
//   - Any other error from an item (a ValidationException, say) is answered
//     as the backend answered it, after the same rollback; except, with
//     Standalone, an item over 400 KB, which DynamoDB answers with
//     TransactionCanceledException and a ValidationError reason for the
//     item (its API reference: "an item size becomes too large").
//   - Requests the front does not take apart (an empty list, an item with no
//     or several operations, a ConditionCheck without a condition, an Update
//     without an UpdateExpression, an incomplete key, two operations on one
//     item, an unknown table, a body that is not JSON): with a backend that
//     has transactions (Options.Standalone false: minidyn) they go to its
//     own TransactWriteItems, so invalid requests get exactly the answers
//     they got before; with Standalone (dynalite) the front answers them
//     with DynamoDB's error type (ValidationException,
//     ResourceNotFoundException, SerializationException) and message.
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
//   - With Standalone, TransactGetItems is served as one consistent GetItem
//     per item under the shared lock (so it is atomic with respect to every
//     write through the front), answered in DynamoDB's shape: one
//     ItemResponse per item, empty for an absent item.
//
// TransactionConflict cannot happen here (writes are serialized); the
// fault injector in front of the dev stack injects it.
package ddbtx

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

// Front is the transaction front over one DynamoDB endpoint (see the
// package comment). It is an http.Handler serving the DynamoDB JSON
// protocol.
type Front struct {
	next       http.Handler
	log        *slog.Logger
	now        func() time.Time // the idempotency window's clock
	standalone bool

	mu sync.RWMutex
	// schemas caches table → key attribute names, hash first. It has a
	// lock of its own: a Standalone TransactGetItems fills it under mu
	// held shared.
	schemaMu sync.Mutex
	schemas  map[string][]string
	tokens   map[string]tokenUse
	expiry   []tokenExpiry // tokens in the order they expire
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

// ReplayHeader marks the answer to a TransactWriteItems that was not
// applied because its token had already succeeded: a stream emulator
// behind which the front sits must not emit its records again, and should
// remove the header before answering.
const ReplayHeader = "X-Parcours-Idempotent-Replay"

// Options configure a Front. The zero value is the dev stack's: a backend
// with transactions of its own, real time, no log.
type Options struct {
	// Log receives the errors the front cannot answer otherwise (a failed
	// rollback). Nil: discarded.
	Log *slog.Logger
	// Now is the clock of the ClientRequestToken window. Nil: time.Now.
	Now func() time.Time
	// Standalone says the backend has no TransactWriteItems or
	// TransactGetItems (dynalite): the front serves TransactGetItems and
	// answers the transactions it does not take apart itself.
	Standalone bool
}

// readOps are the operations served under the shared lock.
var readOps = map[string]bool{
	"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true,
	"TransactGetItems": true, "DescribeTable": true, "ListTables": true,
	"DescribeTimeToLive": true,
}

// New returns a front serving next.
func New(next http.Handler, o Options) *Front {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Front{next: next, log: o.Log, now: o.Now, standalone: o.Standalone, schemas: map[string][]string{}, tokens: map[string]tokenUse{}}
}

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if readOps[op] {
		f.mu.RLock()
		defer f.mu.RUnlock()
		if op == "TransactGetItems" && f.standalone {
			f.transactGet(w, r)
			return
		}
		f.next.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch op {
	case "TransactWriteItems":
		f.transactWrite(w, r)
	case "CreateTable", "DeleteTable", "UpdateTable":
		f.schemaMu.Lock()
		clear(f.schemas)
		f.schemaMu.Unlock()
		f.next.ServeHTTP(w, r)
	default:
		f.next.ServeHTTP(w, r)
	}
}

// The DynamoDB JSON shapes the front reads and writes. Attribute values stay
// raw JSON: they go back to the backend as they came.
type (
	// Attrs is an item or key: attribute name → DynamoDB JSON value.
	Attrs = map[string]json.RawMessage

	// WriteInput is a TransactWriteItems request.
	WriteInput struct {
		TransactItems      []WriteItem `json:"TransactItems"`
		ClientRequestToken *string     `json:"ClientRequestToken"`
	}
	// WriteItem is one TransactItems entry: one of its operations is set.
	WriteItem struct {
		Put            *Op `json:"Put"`
		Update         *Op `json:"Update"`
		Delete         *Op `json:"Delete"`
		ConditionCheck *Op `json:"ConditionCheck"`
	}
	// Op is one transaction item, and also the input of the single-item
	// operations (PutItem, UpdateItem, DeleteItem, GetItem), whose fields
	// have the same names.
	Op struct {
		TableName                           string            `json:"TableName"`
		Item                                Attrs             `json:"Item,omitempty"`
		Key                                 Attrs             `json:"Key,omitempty"`
		UpdateExpression                    *string           `json:"UpdateExpression,omitempty"`
		ConditionExpression                 *string           `json:"ConditionExpression,omitempty"`
		ProjectionExpression                *string           `json:"ProjectionExpression,omitempty"`
		ExpressionAttributeNames            map[string]string `json:"ExpressionAttributeNames,omitempty"`
		ExpressionAttributeValues           Attrs             `json:"ExpressionAttributeValues,omitempty"`
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
		Item    Attrs  `json:"Item,omitempty"`
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
	op    *Op
	key   Attrs
	image Attrs // the item before the transaction; nil: absent
}

// answer is a response from the backend.
type answer struct {
	status int
	body   []byte
}

func (a answer) errorType() string {
	var e awsError
	_ = json.Unmarshal(a.body, &e)
	return e.Type
}

func (f *Front) transactWrite(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		WriteAWSError(w, http.StatusBadRequest, "SerializationException", "unreadable body")
		return
	}
	ctx := r.Context()
	var in WriteInput
	if err := json.Unmarshal(body, &in); err != nil {
		f.reject(w, r, body, awsAnswer(http.StatusBadRequest, "SerializationException", "the request is not a TransactWriteItems input"))
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
				WriteAWSError(w, http.StatusBadRequest, "IdempotentParameterMismatchException",
					"DynamoDB rejected the request because you retried a request with a different payload but with an idempotent token that was already used.")
				return
			}
			w.Header().Set(ReplayHeader, "1")
			WriteJSON(w, http.StatusOK, []byte("{}\n"))
			return
		}
	}
	steps, rej := f.prepare(ctx, in.TransactItems)
	if rej != nil {
		f.reject(w, r, body, rej)
		return
	}
	for i, st := range steps {
		a := f.apply(ctx, st)
		if a.status == http.StatusOK {
			continue
		}
		if rerr := f.rollback(ctx, steps[:i]); rerr != nil {
			f.log.Error("dev dynamodb: transaction rollback failed", "err", rerr)
			WriteAWSError(w, http.StatusInternalServerError, "InternalServerError", "dev stack: transaction rollback failed")
			return
		}
		switch {
		case strings.HasSuffix(a.errorType(), "ConditionalCheckFailedException"):
			writeCanceled(w, steps, i, a, "ConditionalCheckFailed")
		case f.standalone && itemTooLarge(a):
			// DynamoDB cancels a transaction whose item grows past
			// 400 KB (a ValidationError reason); dynalite's PutItem
			// answers ValidationException.
			writeCanceled(w, steps, i, a, "ValidationError")
		default:
			WriteJSON(w, a.status, a.body)
		}
		return
	}
	if token != "" {
		expires := f.now().Add(idempotencyWindow)
		f.tokens[token] = tokenUse{sum: sum, expires: expires}
		f.expiry = append(f.expiry, tokenExpiry{token: token, expires: expires})
	}
	WriteJSON(w, http.StatusOK, []byte("{}\n"))
}

// prepare reads each item's current image. A non-nil answer says the
// front does not take the request apart (see Front): it is the error
// DynamoDB gives, which a Standalone front answers.
func (f *Front) prepare(ctx context.Context, items []WriteItem) ([]*step, *answer) {
	if rej := countItems(len(items)); rej != nil {
		return nil, rej
	}
	steps := make([]*step, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		st := &step{}
		n := 0
		for _, c := range [...]struct {
			kind string
			op   *Op
		}{{"Put", it.Put}, {"Update", it.Update}, {"Delete", it.Delete}, {"ConditionCheck", it.ConditionCheck}} {
			if c.op != nil {
				st.kind, st.op = c.kind, c.op
				n++
			}
		}
		if n != 1 {
			return nil, validation("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		switch st.kind {
		case "Update":
			if st.op.UpdateExpression == nil {
				return nil, missing(i, "update.updateExpression")
			}
		case "ConditionCheck":
			if st.op.ConditionExpression == nil || *st.op.ConditionExpression == "" {
				return nil, missing(i, "conditionCheck.conditionExpression")
			}
		}
		key, id, rej := f.itemKey(ctx, st.op, st.kind == "Put")
		if rej != nil {
			return nil, rej
		}
		st.key = key
		if seen[id] {
			return nil, validation("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		a := f.call(ctx, "GetItem", &Op{TableName: st.op.TableName, Key: st.key, ConsistentRead: new(true)})
		if a.status != http.StatusOK {
			return nil, &a
		}
		var out struct {
			Item Attrs `json:"Item"`
		}
		if json.Unmarshal(a.body, &out) != nil {
			return nil, awsAnswer(http.StatusInternalServerError, "InternalServerError", "unreadable GetItem answer")
		}
		if len(out.Item) > 0 {
			st.image = out.Item
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// itemKey returns an operation's key (from its Item for a Put) and a
// string naming the item, or DynamoDB's error for an unknown table or an
// incomplete key.
func (f *Front) itemKey(ctx context.Context, op *Op, put bool) (Attrs, string, *answer) {
	if op.TableName == "" {
		return nil, "", validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	names, rej := f.keyNames(ctx, op.TableName)
	if rej != nil {
		return nil, "", rej
	}
	src := op.Key
	if put {
		src = op.Item
	}
	key := make(Attrs, len(names))
	id := op.TableName
	for _, n := range names {
		v, ok := src[n]
		if !ok {
			if put {
				return nil, "", validation("One or more parameter values were invalid: Missing the key " + n + " in the item")
			}
			return nil, "", validation("The provided key element does not match the schema")
		}
		key[n] = v
		var c bytes.Buffer
		if json.Compact(&c, v) != nil {
			return nil, "", validation("The provided key element does not match the schema")
		}
		id += "|" + n + "=" + c.String()
	}
	if !put && len(op.Key) != len(names) {
		return nil, "", validation("The provided key element does not match the schema")
	}
	return key, id, nil
}

// keyNames returns a table's key attribute names (cached until a table
// operation), or the backend's answer when it has no such table.
func (f *Front) keyNames(ctx context.Context, table string) ([]string, *answer) {
	f.schemaMu.Lock()
	names, ok := f.schemas[table]
	f.schemaMu.Unlock()
	if ok {
		return names, nil
	}
	a := f.call(ctx, "DescribeTable", map[string]string{"TableName": table})
	if a.status != http.StatusOK {
		if typ := a.errorType(); strings.HasSuffix(typ, "ResourceNotFoundException") {
			// DynamoDB's item operations do not name the table, as
			// DescribeTable's answer does.
			return nil, awsAnswer(a.status, typ, "Requested resource not found")
		}
		return nil, &a
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
		return nil, awsAnswer(http.StatusInternalServerError, "InternalServerError", "unreadable DescribeTable answer")
	}
	for _, k := range out.Table.KeySchema {
		if k.KeyType == "HASH" {
			names = append([]string{k.AttributeName}, names...)
		} else {
			names = append(names, k.AttributeName)
		}
	}
	if len(names) == 0 {
		return nil, awsAnswer(http.StatusInternalServerError, "InternalServerError", "table "+table+" has no key schema")
	}
	f.schemaMu.Lock()
	f.schemas[table] = names
	f.schemaMu.Unlock()
	return names, nil
}

// transactGet serves TransactGetItems for a Standalone front: one
// consistent GetItem per item, under the shared lock ServeHTTP holds.
func (f *Front) transactGet(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		WriteAWSError(w, http.StatusBadRequest, "SerializationException", "unreadable body")
		return
	}
	var in struct {
		TransactItems []struct {
			Get *Op `json:"Get"`
		} `json:"TransactItems"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		WriteAWSError(w, http.StatusBadRequest, "SerializationException", "the request is not a TransactGetItems input")
		return
	}
	ctx := r.Context()
	if rej := countItems(len(in.TransactItems)); rej != nil {
		WriteJSON(w, rej.status, rej.body)
		return
	}
	seen := make(map[string]bool, len(in.TransactItems))
	gets := make([]*Op, len(in.TransactItems))
	for i, it := range in.TransactItems {
		if it.Get == nil {
			rej := missing(i, "get")
			WriteJSON(w, rej.status, rej.body)
			return
		}
		key, id, rej := f.itemKey(ctx, it.Get, false)
		if rej == nil && seen[id] {
			rej = validation("Transaction request cannot include multiple operations on one item")
		}
		if rej != nil {
			WriteJSON(w, rej.status, rej.body)
			return
		}
		seen[id] = true
		gets[i] = &Op{TableName: it.Get.TableName, Key: key, ProjectionExpression: it.Get.ProjectionExpression,
			ExpressionAttributeNames: it.Get.ExpressionAttributeNames, ConsistentRead: new(true)}
	}
	// A GetItem answer, {} or {"Item":…}, is an ItemResponse as it is.
	responses := make([]json.RawMessage, len(gets))
	for i, g := range gets {
		a := f.call(ctx, "GetItem", g)
		if a.status != http.StatusOK {
			WriteJSON(w, a.status, a.body)
			return
		}
		responses[i] = bytes.TrimSpace(a.body)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Responses []json.RawMessage `json:"Responses"`
	}{responses})
	WriteJSON(w, http.StatusOK, b.Bytes())
}

// itemTooLarge says a is the backend's answer to an item over DynamoDB's
// 400 KB limit.
func itemTooLarge(a answer) bool {
	var e awsError
	return json.Unmarshal(a.body, &e) == nil && strings.HasSuffix(e.Type, "ValidationException") &&
		strings.Contains(e.Message, "Item size has exceeded the maximum allowed size")
}

// countItems checks a transaction's length as DynamoDB does (1 to 100).
func countItems(n int) *answer {
	switch {
	case n == 0:
		return validation("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case n > 100:
		return validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	return nil
}

func missing(i int, field string) *answer {
	return validation(fmt.Sprintf("1 validation error detected: Value null at 'transactItems.%d.member.%s' failed to satisfy constraint: Member must not be null", i+1, field))
}

func validation(msg string) *answer {
	return awsAnswer(http.StatusBadRequest, "ValidationException", msg)
}

func awsAnswer(status int, typ, msg string) *answer {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(awsError{Type: typ, Message: msg})
	return &answer{status: status, body: b.Bytes()}
}

// apply runs one item as its single-item operation.
func (f *Front) apply(ctx context.Context, st *step) answer {
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
func (f *Front) rollback(ctx context.Context, applied []*step) error {
	for i := len(applied) - 1; i >= 0; i-- {
		st := applied[i]
		if st.kind == "ConditionCheck" {
			continue
		}
		var a answer
		if st.image == nil {
			a = f.call(ctx, "DeleteItem", &Op{TableName: st.op.TableName, Key: st.key})
		} else {
			a = f.call(ctx, "PutItem", &Op{TableName: st.op.TableName, Item: st.image})
		}
		if a.status != http.StatusOK {
			return fmt.Errorf("restore item %d of %s: status %d, %s", i, st.op.TableName, a.status, a.errorType())
		}
	}
	return nil
}

// call serves one DynamoDB request from the backend.
func (f *Front) call(ctx context.Context, op string, in any) answer {
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

// reject answers a transaction the front does not take apart: the
// backend's own TransactWriteItems answers it, or for a Standalone front,
// rej (DynamoDB's error).
func (f *Front) reject(w http.ResponseWriter, r *http.Request, body []byte, rej *answer) {
	if f.standalone {
		WriteJSON(w, rej.status, rej.body)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.next.ServeHTTP(w, r)
}

func (f *Front) expireTokens() {
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
func writeCanceled(w http.ResponseWriter, steps []*step, failed int, a answer, code string) {
	var ccf awsError
	_ = json.Unmarshal(a.body, &ccf)
	reasons := make([]cancellationReason, len(steps))
	for i := range reasons {
		reasons[i].Code = "None"
	}
	reasons[failed] = cancellationReason{Code: code, Message: ccf.Message}
	if st := steps[failed]; code == "ConditionalCheckFailed" && st.op.ReturnValuesOnConditionCheckFailure == "ALL_OLD" && len(st.image) > 0 {
		reasons[failed].Item = st.image
	}
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(transactionCanceled{
		Type:                "TransactionCanceledException",
		Message:             "Transaction cancelled, please refer cancellation reasons for specific reasons [" + code + "]",
		CancellationReasons: reasons,
	})
	WriteJSON(w, http.StatusBadRequest, b.Bytes())
}

func WriteAWSError(w http.ResponseWriter, status int, typ, msg string) {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(awsError{Type: typ, Message: msg})
	WriteJSON(w, status, b.Bytes())
}

func WriteJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
