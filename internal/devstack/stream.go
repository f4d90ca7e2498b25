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
// function, one record per invocation, in write order (so in order per
// partition key), retried with backoff while the router fails or reports
// the record in BatchItemFailures.
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

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []events.DynamoDBEventRecord
	busy    bool
	seq     int64
	closed  bool
	dropped []DeadLetter
}

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
	}
	s.cond = sync.NewCond(&s.mu)
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
		s.queue = append(s.queue, events.DynamoDBEventRecord{
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
	s.cond.Broadcast()
}

// run delivers records until ctx is done.
func (s *stream) run(ctx context.Context) {
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		rec := s.queue[0]
		s.busy = true
		s.mu.Unlock()

		s.deliverOne(ctx, rec)

		s.mu.Lock()
		s.queue = s.queue[1:]
		s.busy = false
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

func (s *stream) deliverOne(ctx context.Context, rec events.DynamoDBEventRecord) {
	wait := s.minBackoff
	for attempt := 1; ; attempt++ {
		resp, err := s.deliver(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err == nil && len(resp.BatchItemFailures) == 0 {
			return
		}
		if err == nil {
			err = fmt.Errorf("router reported the record in BatchItemFailures")
		}
		if attempt >= s.maxAttempts || ctx.Err() != nil {
			s.log.Error("dev stream: record dropped after retries", "sequence_number", rec.Change.SequenceNumber, "attempts", attempt, "err", err)
			s.mu.Lock()
			s.dropped = append(s.dropped, DeadLetter{Record: rec, Attempts: attempt, Error: err.Error()})
			s.mu.Unlock()
			return
		}
		s.log.Warn("dev stream: router failed, retrying", "sequence_number", rec.Change.SequenceNumber, "attempt", attempt, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if wait *= 2; wait > s.maxBackoff {
			wait = s.maxBackoff
		}
	}
}

// idle waits until every queued record has been delivered (or dropped).
func (s *stream) idle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for (len(s.queue) > 0 || s.busy) && !s.closed {
		s.cond.Wait()
	}
}

func (s *stream) close() {
	s.mu.Lock()
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
}
