package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/profile"
)

// stream is the table's DynamoDB stream as the dev stack emulates it:
// after a successful write of an event item (sk EVENT) through the
// DynamoDB endpoint, a record with the item's NEW_IMAGE goes to the router
// function, one record per invocation, retried with backoff while the
// router fails or reports the record in BatchItemFailures.
//
// Order is what DynamoDB Streams and a Lambda event source mapping with a
// ParallelizationFactor give: strict per partition key (a key's next record
// waits until the one before it was delivered or dead-lettered, retries
// included), and keys in parallel on a bounded number of workers. A record
// waiting for its retry holds no worker, and blocks only its own key.
type stream struct {
	table   string
	arn     string
	deliver func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
	now     func() time.Time
	log     *slog.Logger
	// Backoff between attempts doubles from minBackoff to maxBackoff;
	// after maxAttempts the record is dropped with an error log.
	minBackoff, maxBackoff time.Duration
	maxAttempts            int
	// workers is how many records are delivered at once (each of another
	// partition key).
	workers int

	mu      sync.Mutex
	work    *sync.Cond // a key became ready, or the stream closed
	done    *sync.Cond // pending reached 0, or the stream closed
	keys    map[string]*keyQueue
	ready   []string // keys whose head record may be delivered now, oldest first
	pending int      // records queued and neither delivered nor dead-lettered
	timers  map[string]*time.Timer
	seq     int64
	closed  bool
	dropped []DeadLetter
}

// keyQueue holds one partition key's records not yet finished, in write
// order. A key in stream.keys is in exactly one place: stream.ready, a
// worker, or a retry timer.
type keyQueue struct {
	recs    []events.DynamoDBEventRecord
	attempt int           // attempts made on recs[0]
	wait    time.Duration // before recs[0]'s next attempt
}

// DefaultStreamWorkers is how many partition keys the dev stream delivers
// at once unless Config.StreamWorkers says otherwise.
const DefaultStreamWorkers = 16

// DeadLetter is a stream record the router failed on every attempt.
type DeadLetter struct {
	Record   events.DynamoDBEventRecord `json:"record"`
	Attempts int                        `json:"attempts"`
	Error    string                     `json:"error"`
}

func (s *stream) deadLetters() []DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DeadLetter(nil), s.dropped...)
}

func newStream(table string, now func() time.Time, log *slog.Logger) *stream {
	s := &stream{
		table: table, now: now, log: log,
		arn:        "arn:aws:dynamodb:" + LocalRegion + ":" + LocalAccountID + ":table/" + table + "/stream/local",
		minBackoff: 50 * time.Millisecond, maxBackoff: 2 * time.Second, maxAttempts: 10,
		workers: DefaultStreamWorkers,
		keys:    map[string]*keyQueue{}, timers: map[string]*time.Timer{},
	}
	s.work = sync.NewCond(&s.mu)
	s.done = sync.NewCond(&s.mu)
	return s
}

// wrap serves DynamoDB from next, feeds the stream from the successful
// writes, and adds the X-Amz-Crc32 header DynamoDB puts on every answer
// (the SDK checks the body against it).
func (s *stream) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			http.Error(w, `{"__type":"SerializationException","message":"unreadable body"}`, http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		// A TransactWriteItems replayed by its ClientRequestToken wrote
		// nothing (txFront): no record.
		replayed := rec.Header().Get(replayHeader) != ""
		rec.Header().Del(replayHeader)
		if rec.Code == http.StatusOK && !replayed && (op == "PutItem" || op == "TransactWriteItems" || op == "BatchWriteItem") {
			// Queue before answering: a client that saw its write succeed
			// finds its record in the stream.
			s.enqueue(op, body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(rec.Body.Bytes())), 10))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

type putRequest struct {
	TableName string                                   `json:"TableName"`
	Item      map[string]events.DynamoDBAttributeValue `json:"Item"`
}

// enqueue adds a record for every event item the request put.
func (s *stream) enqueue(op string, body []byte) {
	var puts []putRequest
	switch op {
	case "PutItem":
		var p putRequest
		if json.Unmarshal(body, &p) == nil {
			puts = append(puts, p)
		}
	case "TransactWriteItems":
		var in struct {
			TransactItems []struct {
				Put *putRequest `json:"Put"`
			} `json:"TransactItems"`
		}
		if json.Unmarshal(body, &in) == nil {
			for _, it := range in.TransactItems {
				if it.Put != nil {
					puts = append(puts, *it.Put)
				}
			}
		}
	case "BatchWriteItem":
		var in struct {
			RequestItems map[string][]struct {
				PutRequest *struct {
					Item map[string]events.DynamoDBAttributeValue `json:"Item"`
				} `json:"PutRequest"`
			} `json:"RequestItems"`
		}
		if json.Unmarshal(body, &in) == nil {
			for table, reqs := range in.RequestItems {
				for _, rq := range reqs {
					if rq.PutRequest != nil {
						puts = append(puts, putRequest{TableName: table, Item: rq.PutRequest.Item})
					}
				}
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range puts {
		sk, ok := p.Item[profile.AttrSK]
		if p.TableName != s.table || !ok || sk.DataType() != events.DataTypeString || sk.String() != profile.SKEvent {
			continue
		}
		s.seq++
		size := 0
		if b, err := json.Marshal(p.Item); err == nil {
			size = len(b)
		}
		s.push(events.DynamoDBEventRecord{
			AWSRegion:      LocalRegion,
			EventID:        fmt.Sprintf("local-%d", s.seq),
			EventName:      string(events.DynamoDBOperationTypeInsert),
			EventSource:    "aws:dynamodb",
			EventVersion:   "1.1",
			EventSourceArn: s.arn,
			Change: events.DynamoDBStreamRecord{
				ApproximateCreationDateTime: events.SecondsEpochTime{Time: s.now().Truncate(time.Second)},
				Keys: map[string]events.DynamoDBAttributeValue{
					profile.AttrPK: p.Item[profile.AttrPK], profile.AttrSK: sk,
				},
				NewImage:       p.Item,
				SequenceNumber: fmt.Sprintf("%021d", s.seq),
				SizeBytes:      int64(size),
				StreamViewType: string(events.DynamoDBStreamViewTypeNewImage),
			},
		})
	}
}

// push queues a record behind its partition key's (s.mu held).
func (s *stream) push(rec events.DynamoDBEventRecord) {
	if s.closed {
		return
	}
	key := partitionKey(rec)
	s.pending++
	if q := s.keys[key]; q != nil {
		// Ready, in flight or waiting for a retry: whoever finishes its
		// head record readies the key again.
		q.recs = append(q.recs, rec)
		return
	}
	s.keys[key] = &keyQueue{recs: []events.DynamoDBEventRecord{rec}, wait: s.minBackoff}
	s.ready = append(s.ready, key)
	s.work.Signal()
}

// partitionKey is the item's partition key as the stream orders by it.
func partitionKey(rec events.DynamoDBEventRecord) string {
	pk := rec.Change.Keys[profile.AttrPK]
	if pk.DataType() == events.DataTypeString {
		return pk.String()
	}
	b, _ := json.Marshal(pk)
	return string(b)
}

// run delivers records on s.workers workers until the stream is closed or
// ctx is done, and returns when every worker has stopped.
func (s *stream) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, s.close)
	defer stop()
	var wg sync.WaitGroup
	for range max(1, s.workers) {
		wg.Go(func() { s.worker(ctx) })
	}
	wg.Wait()
}

// worker delivers the head record of one ready key at a time.
func (s *stream) worker(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for len(s.ready) == 0 && !s.closed {
			s.work.Wait()
		}
		if s.closed {
			return
		}
		key := s.ready[0]
		s.ready[0] = ""
		s.ready = s.ready[1:]
		q := s.keys[key]
		rec := q.recs[0]
		q.attempt++
		attempt := q.attempt
		s.mu.Unlock()

		resp, err := s.deliver(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err == nil && len(resp.BatchItemFailures) > 0 {
			err = fmt.Errorf("router reported the record in BatchItemFailures")
		}
		switch {
		case err == nil:
		case attempt >= s.maxAttempts || ctx.Err() != nil:
			s.log.Error("dev stream: record dropped after retries", "sequence_number", rec.Change.SequenceNumber, "attempts", attempt, "err", err)
		default:
			s.log.Warn("dev stream: router failed, retrying", "sequence_number", rec.Change.SequenceNumber, "attempt", attempt, "err", err)
		}

		s.mu.Lock()
		if err != nil && attempt < s.maxAttempts && ctx.Err() == nil {
			s.retryLater(key, q)
			continue
		}
		if err != nil {
			s.dropped = append(s.dropped, DeadLetter{Record: rec, Attempts: attempt, Error: err.Error()})
		}
		s.finish(key, q)
	}
}

// retryLater readies key again after its backoff, without holding a
// worker (s.mu held).
func (s *stream) retryLater(key string, q *keyQueue) {
	wait := q.wait
	q.wait = min(2*q.wait, s.maxBackoff)
	if s.closed {
		return
	}
	s.timers[key] = time.AfterFunc(wait, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.timers, key)
		if s.closed {
			return
		}
		s.ready = append(s.ready, key)
		s.work.Signal()
	})
}

// finish removes key's head record, delivered or dead-lettered, and
// readies its next one (s.mu held).
func (s *stream) finish(key string, q *keyQueue) {
	q.recs[0] = events.DynamoDBEventRecord{}
	q.recs = q.recs[1:]
	q.attempt, q.wait = 0, s.minBackoff
	if len(q.recs) == 0 {
		delete(s.keys, key)
	} else {
		s.ready = append(s.ready, key)
		s.work.Signal()
	}
	if s.pending--; s.pending == 0 {
		s.done.Broadcast()
	}
}

// idle waits until every queued record has been delivered or dropped, or
// the stream is closed.
func (s *stream) idle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.pending > 0 && !s.closed {
		s.done.Wait()
	}
}

// close stops the stream: workers return after the delivery they are in
// (run's ctx cancelled first makes that quick), retry timers are stopped,
// idle returns, and records queued later are ignored.
func (s *stream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for key, t := range s.timers {
		t.Stop()
		delete(s.timers, key)
	}
	s.work.Broadcast()
	s.done.Broadcast()
}
