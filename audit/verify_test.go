package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"cityvitals/audit"
	"cityvitals/model"
)

// chain is an in-memory audit.Source.
type chain []model.AuditRecord

func (c chain) EachAudit(ctx context.Context, fn func(model.AuditRecord) error) error {
	for _, r := range c {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// buildChain links n records the way a store does.
func buildChain(n int) chain {
	var c chain
	var prev []byte
	for i := range n {
		r := model.AuditRecord{Seq: int64(i + 1), Time: time.Date(2025, 7, 14, 9, 0, i, 0, time.UTC),
			Actor: "admin", Action: "asset.update", Target: fmt.Sprintf("asset:%d", i)}
		r.PrevHash = prev
		r.Hash = audit.Hash(prev, r)
		prev = r.Hash
		c = append(c, r)
	}
	return c
}

func TestVerify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		tamper     func(c chain) chain
		wantSeq    int64
		wantReason audit.Reason
		wantBroken int64
	}{
		{"intact", func(c chain) chain { return c }, 0, "", 0},
		{"empty", func(chain) chain { return nil }, 0, "", 0},
		{"edited", func(c chain) chain { c[3].Target = "asset:x"; return c }, 4, audit.ReasonEdited, 1},
		{"two edits", func(c chain) chain { c[2].Actor = "x"; c[7].Actor = "y"; return c }, 3, audit.ReasonEdited, 2},
		{"deleted", func(c chain) chain { return append(c[:4:4], c[5:]...) }, 5, audit.ReasonMissing, 1},
		{"deleted first", func(c chain) chain { return c[1:] }, 1, audit.ReasonMissing, 1},
		{"reordered", func(c chain) chain { c[4], c[5] = c[5], c[4]; return c }, 5, audit.ReasonMissing, 3},
		{"duplicated", func(c chain) chain { return append(c[:5:5], c[4:]...) }, 5, audit.ReasonOutOfOrder, 1},
		{"edited and re-hashed", func(c chain) chain {
			c[6].Detail = `{"x":1}`
			c[6].Hash = audit.Hash(c[6].PrevHash, c[6])
			return c
		}, 8, audit.ReasonRelinked, 1},
		{"forked genesis", func(c chain) chain {
			c[0].PrevHash = []byte("somewhere else")
			c[0].Hash = audit.Hash(c[0].PrevHash, c[0])
			c[1].PrevHash = c[0].Hash
			c[1].Hash = audit.Hash(c[1].PrevHash, c[1])
			return c[:2]
		}, 1, audit.ReasonRelinked, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := tc.tamper(buildChain(10))
			rep, err := audit.Verify(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Records != int64(len(c)) || rep.Broken != tc.wantBroken {
				t.Fatalf("report %+v: want %d records, %d broken", rep, len(c), tc.wantBroken)
			}
			if tc.wantReason == "" {
				if !rep.OK() {
					t.Fatalf("first break %+v in an intact chain", *rep.First)
				}
				return
			}
			if rep.OK() || rep.First.Seq != tc.wantSeq || rep.First.Reason != tc.wantReason {
				t.Fatalf("first break %+v, want seq %d %s", rep.First, tc.wantSeq, tc.wantReason)
			}
		})
	}
}

func TestVerifyReportsHead(t *testing.T) {
	t.Parallel()
	c := buildChain(5)
	rep, err := audit.Verify(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if rep.LastSeq != 5 || string(rep.Head) != string(c[4].Hash) {
		t.Fatalf("report %+v, want head = hash of seq 5", rep)
	}
}

type failingSource struct{ err error }

func (f failingSource) EachAudit(context.Context, func(model.AuditRecord) error) error { return f.err }

func TestVerifyReadError(t *testing.T) {
	t.Parallel()
	disk := errors.New("disk I/O error")
	if _, err := audit.Verify(t.Context(), failingSource{disk}); !errors.Is(err, disk) {
		t.Fatalf("Verify error %v, want the source's error", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := audit.Verify(ctx, buildChain(3)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify with a cancelled context: %v", err)
	}
}
