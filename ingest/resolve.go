package ingest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cityvitals/model"
)

// window is the range of observation times accepted for one batch, fixed
// from the clock once per batch.
type window struct {
	earliest, latest int64 // Unix ms, inclusive
	maxPast          time.Duration
	maxFuture        time.Duration
}

func newWindow(now time.Time, maxPast, maxFuture time.Duration) window {
	return window{
		earliest:  now.Add(-maxPast).UnixMilli(),
		latest:    now.Add(maxFuture).UnixMilli(),
		maxPast:   maxPast,
		maxFuture: maxFuture,
	}
}

// resolve turns the decoded items of b into observations, in item order,
// and adds a rejection to b for every item it does not accept. Unknown
// keys are provisioned first when the sender may do so.
func (s *Service) resolve(ctx context.Context, src Source, b *batch) []model.Observation {
	var failed map[string]fault
	if src.Provision && s.cfg.Provision != nil {
		failed = s.provisionUnknown(ctx, src, b.items)
	}
	win := newWindow(s.cfg.Clock(), s.cfg.MaxPast, s.cfg.MaxFuture)
	obs := make([]model.Observation, 0, len(b.items))
	rv := s.registry.acquire()
	defer rv.release()
	for i := range b.items {
		it := &b.items[i]
		info, f := lookup(rv, it, failed)
		if f.ok() {
			f = s.check(it, info, src, win)
		}
		if !f.ok() {
			b.rejected.add(it.index, it.stream(), f)
			continue
		}
		obs = append(obs, model.Observation{Stream: info.id, Time: it.time, Value: it.value, Quality: it.quality})
	}
	return obs
}

func lookup(rv resolver, it *item, failed map[string]fault) (streamInfo, fault) {
	if it.key == "" {
		if info, ok := rv.byID(it.id); ok {
			return info, fault{}
		}
		return streamInfo{}, fault{reasonUnknownDatastream, "datastream: unknown id " + strconv.FormatInt(it.id, 10)}
	}
	if info, ok := rv.byKey(it.key); ok {
		return info, fault{}
	}
	if f, ok := failed[it.key]; ok {
		return streamInfo{}, f
	}
	return streamInfo{}, fault{reasonUnknownDatastream, fmt.Sprintf("datastream: unknown key %q", echo(it.key))}
}

// check applies the per-item rules that need the resolved stream.
func (s *Service) check(it *item, info streamInfo, src Source, win window) fault {
	if src.Device != "" && info.device != "" && info.device != src.Device {
		return fault{reasonForbiddenDevice, "datastream " + quoteStream(it) + " belongs to another device"}
	}
	if it.property != "" && info.property != "" && it.property != info.property {
		return fault{reasonPropertyMismatch, fmt.Sprintf("property: %q does not match the datastream's property %q",
			echo(it.property), info.property)}
	}
	if it.time > win.latest {
		return fault{reasonTooFarFuture, fmt.Sprintf("time: %s is more than %s in the future",
			formatMillis(it.time), shortDuration(win.maxFuture))}
	}
	if it.time < win.earliest {
		return fault{reasonTooOld, fmt.Sprintf("time: %s is more than %s in the past",
			formatMillis(it.time), shortDuration(win.maxPast))}
	}
	if s.cfg.Range != nil {
		if lo, hi, ok := s.cfg.Range(info.property); ok && (it.value < lo || it.value > hi) {
			return fault{reasonOutOfRange, fmt.Sprintf("value: %g outside plausible range [%g, %g] for %s",
				it.value, lo, hi, info.property)}
		}
	}
	return fault{}
}

// provisionUnknown creates a stream for every distinct key in items that
// the registry does not know, once per key, and returns the faults of the
// keys that could not be created.
func (s *Service) provisionUnknown(ctx context.Context, src Source, items []item) map[string]fault {
	missing := s.unknownKeys(items)
	if len(missing) == 0 {
		return nil
	}
	var failed map[string]fault
	created := make([]model.Datastream, 0, len(missing))
	for _, it := range missing {
		ds, err := s.cfg.Provision(ctx, src, it.key, it.property, it.uom)
		if err != nil {
			if failed == nil {
				failed = make(map[string]fault)
			}
			failed[it.key] = s.provisionFault(src, it.key, err)
			continue
		}
		created = append(created, ds)
	}
	s.registry.Put(created...)
	return failed
}

// unknownKeys returns the first item of each key the registry lacks, in
// the order the keys first appear.
func (s *Service) unknownKeys(items []item) []*item {
	var missing []*item
	seen := make(map[string]bool)
	rv := s.registry.acquire()
	defer rv.release()
	for i := range items {
		it := &items[i]
		if it.key == "" || seen[it.key] {
			continue
		}
		if _, ok := rv.byKey(it.key); !ok {
			seen[it.key] = true
			missing = append(missing, it)
		}
	}
	return missing
}

func (s *Service) provisionFault(src Source, key string, err error) fault {
	if model.ErrorCode(err) == model.EINTERNAL {
		s.cfg.Logger.Error("provision datastream", "key", echo(key), "actor", src.Actor, "err", err)
	}
	return fault{reasonProvisionFailed, fmt.Sprintf("datastream: cannot create key %q: %s",
		echo(key), model.ErrorMessage(err))}
}

func quoteStream(it *item) string {
	if it.key != "" {
		return strconv.Quote(echo(it.key))
	}
	return strconv.FormatInt(it.id, 10)
}

func formatMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

// shortDuration prints 5m rather than 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
