// Package ingest turns bytes from any transport into durable observations.
//
// It owns the whole path from a request body to an acknowledgement:
//
//   - decoding batch bodies (a JSON array of items, or NDJSON with one item
//     per line) with a pooled fastjson parser, element by element;
//   - resolving each item to a registered datastream through the in-memory
//     Registry (by numeric id or external key), auto-provisioning unknown
//     keys for senders that may do so;
//   - validating every item (device ownership, time window, finite and
//     plausible value) and rejecting bad ones with a reason that names the
//     field, without losing the good items beside them;
//   - group commit: accepted observations from many concurrent requests are
//     written to the history store in few large writes, and every caller
//     waits until its observations are durable. An acknowledgement means
//     durable; a full queue means EOVERLOADED, never unbounded memory;
//   - notifying subscribers (the live engine) of every committed batch, in
//     commit order;
//   - its own Prometheus metrics.
//
// Transports (package api for HTTP, package mqtt) authenticate the sender,
// fill in a Source and call Service.Ingest; importers and replays that
// already hold resolved observations call Service.Submit.
package ingest
