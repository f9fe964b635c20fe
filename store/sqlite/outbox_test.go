package sqlitestore_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/notify/outbox"
	sqlitestore "cityvitals/store/sqlite"
)

var t0 = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

func msg(receiver, key string) outbox.Message {
	return outbox.Message{Receiver: receiver, Key: key, Payload: []byte(`{"k":"` + key + `"}`), Created: t0, NextAttempt: t0}
}

func TestOutboxEnqueueIsIdempotent(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpen(t)
	mustNil(t, db.Enqueue(ctx, []outbox.Message{msg("a", "k1"), msg("a", "k2"), msg("b", "k1")}))
	dup := msg("a", "k1")
	dup.Payload = []byte(`{"changed":true}`)
	mustNil(t, db.Enqueue(ctx, []outbox.Message{dup, msg("a", "k3")}))

	head, err := db.Head(ctx, "a", 10)
	mustNil(t, err)
	var keys []string
	for _, m := range head {
		keys = append(keys, m.Key)
	}
	if fmt.Sprint(keys) != "[k1 k2 k3]" {
		t.Errorf("head of a: keys %v, want [k1 k2 k3]", keys)
	}
	if string(head[0].Payload) != `{"k":"k1"}` {
		t.Errorf("duplicate enqueue replaced the payload: %s", head[0].Payload)
	}
	for _, c := range []struct {
		receiver string
		want     int
	}{{"a", 3}, {"b", 1}, {"nobody", 0}} {
		n, err := db.Pending(ctx, c.receiver)
		mustNil(t, err)
		if n != c.want {
			t.Errorf("Pending(%q) = %d, want %d", c.receiver, n, c.want)
		}
	}
}

func TestOutboxEnqueueRejectsInvalid(t *testing.T) {
	tests := []struct {
		name string
		msg  outbox.Message
	}{
		{"no receiver", outbox.Message{Key: "k", Payload: []byte("{}")}},
		{"no key", outbox.Message{Receiver: "r", Payload: []byte("{}")}},
		{"nil payload", outbox.Message{Receiver: "r", Key: "k"}},
	}
	db, _ := mustOpen(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Enqueue(t.Context(), []outbox.Message{msg("r", "good"), tt.msg})
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("Enqueue: %v, want EINVALID", err)
			}
			if n, _ := db.Pending(t.Context(), "r"); n != 0 {
				t.Errorf("the valid message beside the invalid one was stored: pending %d", n)
			}
		})
	}
}

// TestOutboxEachNewest reads a receiver's messages, delivered or not,
// newest first: what a restarted sender had said.
func TestOutboxEachNewest(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpen(t)
	mustNil(t, db.Enqueue(ctx, []outbox.Message{msg("a", "k1"), msg("b", "k1"), msg("a", "k2"), msg("a", "k3")}))
	head, err := db.Head(ctx, "a", 1)
	mustNil(t, err)
	mustNil(t, db.MarkDelivered(ctx, head[0].ID, t0.Add(time.Minute)))
	for _, c := range []struct {
		receiver    string
		limit, stop int
		want        string
	}{{"a", 10, 0, "[k3 k2 k1]"}, {"a", 2, 0, "[k3 k2]"}, {"a", 10, 1, "[k3]"}, {"b", 10, 0, "[k1]"}, {"nobody", 10, 0, "[]"}} {
		var keys []string
		err := db.EachNewest(ctx, c.receiver, c.limit, func(m outbox.Message) bool {
			keys = append(keys, m.Key)
			return len(keys) != c.stop
		})
		mustNil(t, err)
		if fmt.Sprint(keys) != c.want {
			t.Errorf("EachNewest(%q, %d), stopping after %d = %v, want %s", c.receiver, c.limit, c.stop, keys, c.want)
		}
	}
}

func TestOutboxMarks(t *testing.T) {
	ctx := t.Context()
	db, path := mustOpen(t)
	mustNil(t, db.Enqueue(ctx, []outbox.Message{msg("r", "k1"), msg("r", "k2")}))
	head, err := db.Head(ctx, "r", 10)
	mustNil(t, err)
	first, second := head[0], head[1]

	next := t0.Add(90 * time.Second)
	mustNil(t, db.MarkFailed(ctx, first.ID, next, "HTTP 503"))
	mustNil(t, db.MarkFailed(ctx, first.ID, next, "HTTP 503"))
	mustNil(t, db.MarkDelivered(ctx, first.ID, t0.Add(2*time.Minute)))
	mustNil(t, db.MarkDelivered(ctx, first.ID, t0.Add(3*time.Minute))) // a repeat keeps the first time

	head, err = db.Head(ctx, "r", 10)
	mustNil(t, err)
	if len(head) != 1 || head[0].ID != second.ID {
		t.Fatalf("head after delivering the first: %+v", head)
	}
	mustNil(t, db.MarkFailed(ctx, second.ID, next, "connection refused"))
	mustNil(t, db.Close())

	reopened, err := sqlitestore.Open(path)
	mustNil(t, err)
	defer reopened.Close()
	head, err = reopened.Head(ctx, "r", 10)
	mustNil(t, err)
	got := head[0]
	if got.Attempts != 1 || !got.NextAttempt.Equal(next) || got.LastError != "connection refused" ||
		!got.Created.Equal(t0) || !got.Delivered.IsZero() {
		t.Errorf("after reopen: %+v", got)
	}

	tests := []struct {
		name string
		err  error
		code string
	}{
		{"deliver unknown id", reopened.MarkDelivered(ctx, 999, t0), model.ENOTFOUND},
		{"fail unknown id", reopened.MarkFailed(ctx, 999, t0, "x"), model.ENOTFOUND},
		{"deliver at epoch", reopened.MarkDelivered(ctx, got.ID, time.Unix(0, 0)), model.EINVALID},
	}
	for _, tt := range tests {
		if model.ErrorCode(tt.err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, tt.err, tt.code)
		}
	}
}

func TestOutboxPurgeDelivered(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpen(t)
	mustNil(t, db.Enqueue(ctx, []outbox.Message{msg("r", "old"), msg("r", "new"), msg("r", "open")}))
	head, err := db.Head(ctx, "r", 10)
	mustNil(t, err)
	mustNil(t, db.MarkDelivered(ctx, head[0].ID, t0.Add(time.Hour)))
	mustNil(t, db.MarkDelivered(ctx, head[1].ID, t0.Add(3*time.Hour)))
	n, err := db.PurgeDelivered(ctx, t0.Add(2*time.Hour))
	mustNil(t, err)
	if n != 1 {
		t.Errorf("purged %d, want 1", n)
	}
	// The purged key is free again; the kept one still deduplicates.
	mustNil(t, db.Enqueue(ctx, []outbox.Message{msg("r", "old"), msg("r", "new")}))
	if p, _ := db.Pending(ctx, "r"); p != 2 {
		t.Errorf("pending %d, want 2 (open and the re-sent old)", p)
	}
}

func BenchmarkEnqueue(b *testing.B) {
	const batch = 100
	db, err := sqlitestore.Open(filepath.Join(b.TempDir(), "outbox.db"))
	mustNil(b, err)
	defer db.Close()
	payload := []byte(`{"alert":"gas_lel","level":"red","unit":"310101001","summary":"燃气浓度超限"}`)
	msgs := make([]outbox.Message, batch)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i := range msgs {
			msgs[i] = outbox.Message{Receiver: "ops", Key: fmt.Sprintf("k%d", n), Payload: payload}
			n++
		}
		mustNil(b, db.Enqueue(b.Context(), msgs))
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
