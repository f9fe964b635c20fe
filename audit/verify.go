package audit

import (
	"bytes"
	"context"
	"fmt"

	"cityvitals/model"
)

// Source is a stored audit chain. store.Audit implementations satisfy it.
type Source interface {
	// EachAudit calls fn for every record in sequence order.
	EachAudit(ctx context.Context, fn func(model.AuditRecord) error) error
}

// Reason says how a record breaks the chain.
type Reason string

const (
	// ReasonEdited: the record's stored Hash does not match its fields, so a
	// field was changed after it was written.
	ReasonEdited Reason = "edited"
	// ReasonMissing: a sequence number is absent, so a record was deleted.
	ReasonMissing Reason = "missing"
	// ReasonRelinked: the record's PrevHash is not the previous record's
	// Hash, so a record before it was replaced or re-hashed.
	ReasonRelinked Reason = "relinked"
	// ReasonOutOfOrder: the sequence number does not increase, so records
	// were reordered or duplicated.
	ReasonOutOfOrder Reason = "out_of_order"
)

// Break is the first place where the chain is broken.
type Break struct {
	// Seq is the first sequence number whose record is wrong or missing.
	Seq    int64
	Reason Reason
	Detail string
}

// Report is the outcome of Verify.
type Report struct {
	Records int64  // records read
	Broken  int64  // records that break the chain (a deleted run counts once)
	First   *Break // the first break; nil when the chain is intact
	LastSeq int64  // sequence number of the newest record, 0 if empty
	Head    []byte // Hash of the newest record, for pinning outside the store
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return r.First == nil }

// Verify walks the whole chain in src and checks every link. It returns an
// error only if the chain cannot be read; findings are in the Report. Each
// record is checked against its stored predecessor, so after the first
// break Verify keeps counting independent breaks further on.
func Verify(ctx context.Context, src Source) (Report, error) {
	var (
		rep  Report
		prev *model.AuditRecord
	)
	err := src.EachAudit(ctx, func(r model.AuditRecord) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rep.Records++
		if b := checkLink(prev, r); b != nil {
			rep.Broken++
			if rep.First == nil {
				rep.First = b
			}
		}
		rep.LastSeq, rep.Head = r.Seq, r.Hash
		prev = &r
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("read audit chain: %w", err)
	}
	return rep, nil
}

// checkLink returns how r breaks the chain after prev (nil: r is the first
// record read), or nil if it does not.
func checkLink(prev *model.AuditRecord, r model.AuditRecord) *Break {
	wantSeq, wantPrev := int64(1), []byte(nil)
	if prev != nil {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	switch {
	case r.Seq < wantSeq:
		return &Break{Seq: r.Seq, Reason: ReasonOutOfOrder,
			Detail: fmt.Sprintf("seq %d follows seq %d", r.Seq, wantSeq-1)}
	case r.Seq > wantSeq:
		missing := fmt.Sprintf("seq %d", wantSeq)
		if r.Seq-1 > wantSeq {
			missing = fmt.Sprintf("seq %d to %d", wantSeq, r.Seq-1)
		}
		return &Break{Seq: wantSeq, Reason: ReasonMissing,
			Detail: fmt.Sprintf("%s missing before seq %d", missing, r.Seq)}
	case !bytes.Equal(r.Hash, Hash(r.PrevHash, r)):
		return &Break{Seq: r.Seq, Reason: ReasonEdited,
			Detail: fmt.Sprintf("seq %d: stored hash does not match the record's fields", r.Seq)}
	case !bytes.Equal(r.PrevHash, wantPrev):
		return &Break{Seq: r.Seq, Reason: ReasonRelinked,
			Detail: fmt.Sprintf("seq %d: prev hash is not the hash of seq %d", r.Seq, wantSeq-1)}
	}
	return nil
}
