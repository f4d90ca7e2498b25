package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/profile"
)

// testStream is a stream with a deliver func of the test's, running until
// the test ends.
func testStream(t *testing.T, workers, attempts int, deliver func(ctx context.Context, rec events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error)) (*stream, context.CancelFunc) {
	t.Helper()
	s := newStream("T", time.Now, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	s.workers, s.maxAttempts = workers, attempts
	s.minBackoff, s.maxBackoff = time.Millisecond, 4*time.Millisecond
	s.deliver = func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		if len(ev.Records) != 1 {
			t.Errorf("%d records in one invocation, want 1", len(ev.Records))
		}
		return deliver(ctx, ev.Records[0])
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); s.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		s.close()
		<-ran
	})
	return s, cancel
}

// put queues one record of key's, as a write of an event item does.
func put(s *stream, key string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.push(events.DynamoDBEventRecord{
		EventID: fmt.Sprintf("%s/%d", key, n),
		Change: events.DynamoDBStreamRecord{
			Keys:           map[string]events.DynamoDBAttributeValue{profile.AttrPK: events.NewStringAttribute(key), profile.AttrSK: events.NewStringAttribute(profile.SKEvent)},
			SequenceNumber: fmt.Sprintf("%021d", s.seq),
		},
	})
}

// recKey and recN undo put's EventID.
func recKey(rec events.DynamoDBEventRecord) string { return rec.Change.Keys[profile.AttrPK].String() }
func recN(rec events.DynamoDBEventRecord) int {
	var n int
	fmt.Sscanf(rec.EventID[len(recKey(rec))+1:], "%d", &n)
	return n
}

// waitFor fails the test when ch is not closed in a generous time: a
// liveness check (a deadlocked stream would otherwise hang the test run),
// not a speed measurement.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("still waiting for %s after 30 s", what)
	}
}

// Under parallel delivery with failures (as errors and as
// BatchItemFailures, each record failing 0–3 times before it goes
// through), every key's records reach the router in write order, each
// once, never two of one key at the same time; several keys are in flight
// at once; idle returns when all are delivered.
func TestStreamOrderPerKeyUnderFailures(t *testing.T) {
	const keys, perKey, workers = 40, 25, 8
	var (
		mu        sync.Mutex
		delivered = map[string][]int{}
		inFlight  = map[string]bool{}
		attempts  = map[string]int{}
		now, peak int
	)
	s, _ := testStream(t, workers, 10, func(ctx context.Context, rec events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		key, n := recKey(rec), recN(rec)
		mu.Lock()
		if inFlight[key] {
			t.Errorf("two records of %s delivered at once", key)
		}
		inFlight[key] = true
		now++
		peak = max(peak, now)
		attempts[rec.EventID]++
		a := attempts[rec.EventID]
		mu.Unlock()
		time.Sleep(50 * time.Microsecond) // let other workers overlap
		mu.Lock()
		defer mu.Unlock()
		inFlight[key] = false
		now--
		// Record (k, n) fails its first (k+n) % 4 attempts, half of them
		// as an error, half as a BatchItemFailures answer.
		if fails := (len(key) + n*7 + int(key[len(key)-1])) % 4; a <= fails {
			if a%2 == 0 {
				return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: rec.Change.SequenceNumber}}}, nil
			}
			return events.DynamoDBEventResponse{}, errors.New("router down")
		}
		delivered[key] = append(delivered[key], n)
		return events.DynamoDBEventResponse{}, nil
	})
	// Interleave the keys' writes, as concurrent webhooks do.
	for n := range perKey {
		for k := range keys {
			put(s, fmt.Sprintf("EVENT#k%02d", k), n)
		}
	}
	s.idle()

	mu.Lock()
	defer mu.Unlock()
	want := make([]int, perKey)
	for i := range want {
		want[i] = i
	}
	for k := range keys {
		key := fmt.Sprintf("EVENT#k%02d", k)
		if got := delivered[key]; !slices.Equal(got, want) {
			t.Errorf("%s delivered %v, want %v", key, got, want)
		}
	}
	retried := 0
	for _, a := range attempts {
		if a > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no record was retried: the failures did not happen")
	}
	if peak < 2 {
		t.Errorf("at most %d delivery in flight: keys were not delivered in parallel", peak)
	}
	if dl := s.deadLetters(); len(dl) != 0 {
		t.Errorf("%d dead letters, want none", len(dl))
	}
	s.mu.Lock()
	if s.pending != 0 || len(s.keys) != 0 || len(s.ready) != 0 || len(s.timers) != 0 {
		t.Errorf("after idle: pending %d, keys %d, ready %d, timers %d; want all 0", s.pending, len(s.keys), len(s.ready), len(s.timers))
	}
	s.mu.Unlock()
}

// A key whose head record keeps failing holds back only its own later
// records: with a single worker, every other key's records are delivered
// while it waits for its retries; once the router accepts it, its records
// follow in order. A record that fails every attempt is dead-lettered and
// its key moves on.
func TestStreamStuckKeyBlocksOnlyItself(t *testing.T) {
	var (
		mu        sync.Mutex
		delivered = map[string][]int{}
		stuckTry  int
		others    int
	)
	release := make(chan struct{})
	othersDone := make(chan struct{})
	const otherKeys = 30
	s, _ := testStream(t, 1, 1_000_000, func(ctx context.Context, rec events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		key, n := recKey(rec), recN(rec)
		mu.Lock()
		defer mu.Unlock()
		if key == "EVENT#stuck" && n == 0 {
			stuckTry++
			select {
			case <-release:
			default:
				return events.DynamoDBEventResponse{}, errors.New("StartExecution throttled")
			}
		}
		delivered[key] = append(delivered[key], n)
		if key != "EVENT#stuck" {
			if others++; others == otherKeys {
				close(othersDone)
			}
		}
		return events.DynamoDBEventResponse{}, nil
	})
	put(s, "EVENT#stuck", 0)
	put(s, "EVENT#stuck", 1)
	for k := range otherKeys {
		put(s, fmt.Sprintf("EVENT#o%02d", k), 0)
	}
	waitFor(t, othersDone, "the other keys while one key retries")
	mu.Lock()
	if got := delivered["EVENT#stuck"]; len(got) != 0 {
		t.Errorf("stuck key delivered %v before its head record went through", got)
	}
	mu.Unlock()
	close(release)
	s.idle()
	mu.Lock()
	if got := delivered["EVENT#stuck"]; !slices.Equal(got, []int{0, 1}) {
		t.Errorf("stuck key delivered %v, want [0 1]", got)
	}
	if stuckTry < 2 {
		t.Errorf("stuck record tried %d times, want at least 2", stuckTry)
	}
	mu.Unlock()

	t.Run("dead letter", func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		s, _ := testStream(t, 4, 3, func(ctx context.Context, rec events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
			mu.Lock()
			defer mu.Unlock()
			if rec.EventID == "EVENT#p/0" {
				return events.DynamoDBEventResponse{}, errors.New("poison start")
			}
			got = append(got, rec.EventID)
			return events.DynamoDBEventResponse{}, nil
		})
		put(s, "EVENT#p", 0)
		put(s, "EVENT#p", 1)
		s.idle()
		dl := s.deadLetters()
		if len(dl) != 1 || dl[0].Record.EventID != "EVENT#p/0" || dl[0].Attempts != 3 || dl[0].Error != "poison start" {
			t.Fatalf("dead letters %+v, want EVENT#p/0 after 3 attempts with its error", dl)
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(got, []string{"EVENT#p/1"}) {
			t.Errorf("delivered %v, want [EVENT#p/1] after the dead letter", got)
		}
	})
}

// idle waits for records in flight and in retry; close (or the run's ctx
// ending) stops the workers: run returns, a delivery in flight ends with
// the ctx and is dead-lettered, a retry timer is stopped, idle no longer
// waits, and a write after close queues nothing.
func TestStreamIdleAndClose(t *testing.T) {
	s, _ := testStream(t, 2, 10, func(context.Context, events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, nil
	})
	s.idle() // nothing queued: returns at once

	s = newStream("T", time.Now, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	s.workers, s.maxAttempts, s.minBackoff, s.maxBackoff = 2, 10, time.Hour, time.Hour
	entered := make(chan struct{})
	var once sync.Once
	s.deliver = func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		if recKey(ev.Records[0]) == "EVENT#retry" {
			return events.DynamoDBEventResponse{}, errors.New("throttled") // then waits an hour
		}
		once.Do(func() { close(entered) })
		<-ctx.Done() // a router call cut by the stack closing
		return events.DynamoDBEventResponse{}, fmt.Errorf("start execution: %w", ctx.Err())
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); s.run(ctx) }()
	put(s, "EVENT#retry", 0)
	put(s, "EVENT#block", 0)
	waitFor(t, entered, "the blocking delivery")
	idled := make(chan struct{})
	go func() { s.idle(); close(idled) }()
	for {
		s.mu.Lock()
		_, timer := s.timers["EVENT#retry"]
		s.mu.Unlock()
		if timer {
			break
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-idled:
		t.Fatal("idle returned with a record in flight and one waiting for its retry")
	default:
	}

	cancel()
	waitFor(t, ran, "run to return after its ctx ended")
	waitFor(t, idled, "idle to return after close")
	s.mu.Lock()
	if len(s.timers) != 0 {
		t.Errorf("%d retry timers left after close", len(s.timers))
	}
	s.mu.Unlock()
	dl := s.deadLetters()
	if len(dl) != 1 || recKey(dl[0].Record) != "EVENT#block" || dl[0].Error != "start execution: context canceled" {
		t.Errorf("dead letters %+v, want the delivery cut by close", dl)
	}
	put(s, "EVENT#late", 0)
	s.mu.Lock()
	if _, ok := s.keys["EVENT#late"]; ok || len(s.ready) != 0 {
		t.Errorf("a record was queued after close")
	}
	s.mu.Unlock()
	s.close() // twice is fine
	s.idle()
}
