package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"cityvitals/model"
)

// hashDomain separates audit hashes from any other SHA-256 use and names the
// encoding version, so a future encoding cannot collide with this one.
const hashDomain = "cityvitals-audit-v1"

// Hash returns SHA-256 over prev and a canonical encoding of r's Seq, Time
// (UTC, nanoseconds since the Unix epoch), Actor, Action, Target and Detail.
// r.PrevHash and r.Hash are ignored: the chain link is the prev argument.
//
// Every variable-length field is preceded by its length as 8 bytes, big
// endian, so moving bytes from one field to the next changes the hash.
func Hash(prev []byte, r model.AuditRecord) []byte {
	h := sha256.New()
	writeField(h, []byte(hashDomain))
	writeField(h, prev)
	writeUint64(h, uint64(r.Seq))
	writeUint64(h, uint64(r.Time.UTC().UnixNano()))
	for _, s := range [...]string{r.Actor, r.Action, r.Target, r.Detail} {
		writeField(h, []byte(s))
	}
	return h.Sum(nil)
}

func writeField(h hash.Hash, b []byte) {
	writeUint64(h, uint64(len(b)))
	h.Write(b) // hash.Hash.Write never returns an error
}

func writeUint64(h hash.Hash, v uint64) {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], v)
	h.Write(buf[:])
}
