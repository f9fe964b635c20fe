package pebblestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"cityvitals/model"
	"cityvitals/store"
)

// Defaults for zero Options fields.
const (
	DefaultCacheSize  = 64 << 20
	DefaultRollupStep = int64(time.Hour / time.Millisecond)
)

// Options tune a History. The zero value is usable.
type Options struct {
	// CacheSize is Pebble's block cache in bytes (default 64 MiB).
	CacheSize int64
	// Logger receives Pebble's own log lines and events (flushes and
	// compactions at debug level, errors at error level); nil discards them.
	Logger *slog.Logger
	// RollupStep is the bucket width in milliseconds of the roll-ups that
	// Aggregate materialises (default one hour). Aggregate uses them when
	// its step is a multiple of RollupStep. Changing it for an existing
	// directory drops the old roll-ups at Open.
	RollupStep int64
	// MemTableSize is Pebble's memtable size in bytes (default
	// DefaultMemTableSize).
	MemTableSize uint64
}

// History is the Pebble implementation of store.History. All methods are
// safe for concurrent use; Close must be called once, after all other
// calls have returned.
type History struct {
	db         *pebble.DB
	dir        string
	rollupStep int64
	streams    *streamIndex
	signs      signsState
	scratch    sync.Pool // *writeScratch
	closed     atomic.Bool
}

var _ store.History = (*History)(nil)

// Stats is a point-in-time summary of the store.
type Stats struct {
	DiskBytes     uint64 // files of the data directory, as Pebble accounts them
	Streams       int64  // streams with a latest observation
	MemTableBytes uint64 // size of the memtables not yet flushed
	ReadAmp       int    // sstables a point read may have to consult
}

// Open opens (creating if needed) the history store in dir and loads the
// latest observation of every stream into memory.
func Open(dir string, opts Options) (*History, error) {
	if opts.RollupStep < 0 {
		return nil, model.Errorf(model.EINVALID, "pebble history options: roll-up step %d ms is negative", opts.RollupStep)
	}
	if opts.RollupStep == 0 {
		opts.RollupStep = DefaultRollupStep
	}
	cache := pebble.NewCache(cacheSize(opts))
	// Pebble takes its own reference in Open; ours is not needed after it.
	defer cache.Unref()
	db, err := pebble.Open(dir, pebbleOptions(opts, cache))
	if err != nil {
		return nil, storageErr(dir, "open", err)
	}
	h := &History{db: db, dir: dir, rollupStep: opts.RollupStep, streams: newStreamIndex()}
	h.scratch.New = func() any { return newWriteScratch() }
	if err := h.checkRollupStep(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := h.loadLatest(context.Background()); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return h, nil
}

// DefaultMemTableSize is the memtable size unless Options say otherwise:
// at 300,000 observations a second Pebble's 4 MiB default flushes several
// times a second.
const DefaultMemTableSize = 64 << 20

func memTableSize(opts Options) uint64 {
	if opts.MemTableSize == 0 {
		return DefaultMemTableSize
	}
	return opts.MemTableSize
}

func cacheSize(opts Options) int64 {
	if opts.CacheSize <= 0 {
		return DefaultCacheSize
	}
	return opts.CacheSize
}

func pebbleOptions(opts Options, cache *pebble.Cache) *pebble.Options {
	po := &pebble.Options{
		Cache:              cache,
		Logger:             slogLogger{log: slog.New(slog.DiscardHandler)},
		Merger:             newLatestMerger(),
		MemTableSize:       memTableSize(opts),
		FormatMajorVersion: pebble.FormatNewest,
		// Ingest writes hundreds of thousands of small keys a second: a
		// larger L0 budget lets flushes land without stalling the commit
		// pipeline while compactions catch up (write stalls were the p99
		// of ingest acknowledgements).
		L0CompactionThreshold:      4,
		L0StopWritesThreshold:      64,
		CompactionConcurrencyRange: func() (int, int) { return 1, 2 },
	}
	if opts.Logger != nil {
		// Flushes, compactions and WAL events at debug level, background
		// errors at error level.
		po.Logger = slogLogger{log: opts.Logger}
		events := pebble.MakeLoggingEventListener(po.Logger)
		po.EventListener = &events
	}
	return po
}

// Close flushes nothing extra (every Write was synced) and closes Pebble.
// Calling it again returns nil.
func (h *History) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	if err := h.db.Close(); err != nil {
		return storageErr(h.dir, "close", err)
	}
	return nil
}

// Stats returns sizes and counts for monitoring.
func (h *History) Stats() Stats {
	m := h.db.Metrics()
	return Stats{
		DiskBytes:     m.DiskSpaceUsage(),
		Streams:       h.streams.count(),
		MemTableBytes: m.MemTable.Size,
		ReadAmp:       m.ReadAmp(),
	}
}

// checkRollupStep drops all roll-ups if they were built with another step,
// then records the current step.
func (h *History) checkRollupStep() error {
	want := putRollupStep(h.rollupStep)
	v, closer, err := h.db.Get(metaRollupStep)
	switch {
	case err == nil:
		same := string(v) == string(want)
		if cerr := closer.Close(); cerr != nil {
			return storageErr(h.dir, "read roll-up step", cerr)
		}
		if same {
			return nil
		}
	case !errors.Is(err, pebble.ErrNotFound):
		return storageErr(h.dir, "read roll-up step", err)
	}
	b := h.db.NewBatch()
	defer b.Close()
	if err := b.DeleteRange([]byte{prefixRollup}, []byte{prefixRollup + 1}, nil); err != nil {
		return storageErr(h.dir, "drop roll-ups", err)
	}
	if err := b.Set(metaRollupStep, want, nil); err != nil {
		return storageErr(h.dir, "record roll-up step", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return storageErr(h.dir, "record roll-up step", err)
	}
	return nil
}

// loadLatest fills the in-memory index from the persisted 'l' records.
func (h *History) loadLatest(ctx context.Context) error {
	it, err := h.db.NewIterWithContext(ctx, &pebble.IterOptions{
		LowerBound: []byte{prefixLatest},
		UpperBound: []byte{prefixLatest + 1},
	})
	if err != nil {
		return storageErr(h.dir, "load latest", err)
	}
	for it.First(); it.Valid(); it.Next() {
		key := it.Key()
		v, err := it.ValueAndErr()
		if err != nil {
			return errors.Join(storageErr(h.dir, "load latest", err), it.Close())
		}
		if len(key) != streamKeyLen || len(v) != latestValLen {
			err := fmt.Errorf("latest record %x: %w", key, errCorruptRecord)
			return errors.Join(storageErr(h.dir, "load latest", err), it.Close())
		}
		h.streams.load(decodeLatestValue(keyStream(key), v))
	}
	if err := it.Close(); err != nil {
		return storageErr(h.dir, "load latest", err)
	}
	return nil
}

// errClosed is returned by calls made after Close.
var errClosed = errors.New("pebblestore: history is closed")

// usable reports why a call cannot proceed: a closed store or a done context.
func (h *History) usable(ctx context.Context) error {
	if h.closed.Load() {
		return errClosed
	}
	return ctx.Err()
}

// storageErr wraps a Pebble error with the operation and directory. Pebble
// corruption is called out, since it needs an operator, not a retry; both
// are internal errors to callers (not *model.Error).
func storageErr(dir, op string, err error) error {
	if pebble.IsCorruptionError(err) || errors.Is(err, errCorruptRecord) {
		return fmt.Errorf("pebblestore %s: %s: data corruption, restore from backup: %w", dir, op, err)
	}
	return fmt.Errorf("pebblestore %s: %s: %w", dir, op, err)
}
