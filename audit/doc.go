// Package audit owns the tamper-evident audit log: the hash that links each
// record to the one before it, the verifier that walks a stored chain and
// names the first record that was edited, deleted or moved, and the Logger
// that the rest of the program calls to record who did what.
//
// The chain: record n carries PrevHash = Hash of record n-1 (nil for the
// first record, seq 1) and Hash = Hash(PrevHash, record n). Storage
// implementations compute both inside their append transaction, so
// concurrent appends cannot fork the chain. Changing any field of a stored
// record, deleting one, or swapping two breaks the chain at that point.
//
// What the chain alone cannot show is truncation of the newest records:
// a shortened chain is still a valid chain. Operators who need that
// guarantee pin Report.Head (the newest hash) somewhere outside the
// database and compare it on the next verification.
package audit
