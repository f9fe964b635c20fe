package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"cityvitals/model"
)

// Password length limits, in characters. The upper bound keeps hashing cost
// bounded for hostile input.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 1024
)

// Argon2Params are the argon2id cost parameters. They are written into
// every hash, so they can be raised later without invalidating old hashes.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32 // iterations
	Threads   uint8
	SaltLen   uint32
	KeyLen    uint32
}

// DefaultArgon2Params returns the OWASP-recommended argon2id setting:
// 19 MiB of memory, 2 iterations, 1 thread, 16-byte salt, 32-byte key.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// ErrMalformedHash is wrapped by CheckPassword's error when the stored hash
// is not an argon2id PHC string this package can read.
var ErrMalformedHash = errors.New("malformed argon2id password hash")

// HashOption changes how HashPassword hashes.
type HashOption func(*Argon2Params)

// WithArgon2Params replaces the default cost parameters. Tests use it with
// cheap parameters; production code should not.
func WithArgon2Params(p Argon2Params) HashOption {
	return func(dst *Argon2Params) { *dst = p }
}

// HashPassword returns the argon2id hash of pw as a PHC string:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64 unpadded>$<key, base64 unpadded>
//
// EINVALID if pw is shorter than MinPasswordLen or longer than
// MaxPasswordLen characters.
func HashPassword(pw string, opts ...HashOption) (string, error) {
	if err := validatePassword(pw); err != nil {
		return "", err
	}
	p := DefaultArgon2Params()
	for _, o := range opts {
		o(&p)
	}
	if p.MemoryKiB == 0 || p.Time == 0 || p.Threads == 0 || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("hash password: argon2id parameters %+v are too weak", p)
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // crypto/rand.Read never fails; it crashes the program if the OS cannot supply randomness
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return encodePHC(p, salt, key), nil
}

func validatePassword(pw string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLen:
		return model.Errorf(model.EINVALID, "password: must be at least %d characters, got %d", MinPasswordLen, n)
	case n > MaxPasswordLen:
		return model.Errorf(model.EINVALID, "password: must be at most %d characters, got %d", MaxPasswordLen, n)
	}
	return nil
}

// CheckPassword reports whether pw matches the PHC-string hash, comparing
// in constant time. The error, wrapping ErrMalformedHash, is only for a
// hash that cannot be parsed; a wrong password is (false, nil).
func CheckPassword(hash, pw string) (bool, error) {
	p, salt, key, err := decodePHC(hash)
	if err != nil {
		return false, err
	}
	if utf8.RuneCountInString(pw) > MaxPasswordLen {
		return false, nil // HashPassword never accepted it, so it cannot match
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether hash was made with parameters other than
// want, so that a successful login can upgrade it.
func NeedsRehash(hash string, want Argon2Params) bool {
	p, _, _, err := decodePHC(hash)
	return err != nil || p != want
}

func encodePHC(p Argon2Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// maxMemoryKiB caps the memory a stored hash may ask for (1 GiB), so a
// corrupted or planted hash cannot exhaust the server.
const maxMemoryKiB = 1 << 20

func decodePHC(s string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, fmt.Errorf("%w: want 5 '$'-separated fields", ErrMalformedHash)
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: algorithm %q is not argon2id", ErrMalformedHash, parts[1])
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w: version field %q, want v=%d", ErrMalformedHash, parts[2], argon2.Version)
	}
	if err := parseParams(parts[3], &p); err != nil {
		return p, nil, nil, err
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, fmt.Errorf("%w: salt is not unpadded base64 of at least 8 bytes", ErrMalformedHash)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, fmt.Errorf("%w: key is not unpadded base64 of at least 16 bytes", ErrMalformedHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

func parseParams(field string, p *Argon2Params) error {
	var threads uint32
	n, _ := fmt.Sscanf(field, "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &threads)
	switch {
	// Printing the values back must give the field exactly: this rejects
	// trailing junk, signs and leading zeros, which Sscanf would accept.
	case n != 3 || fmt.Sprintf("m=%d,t=%d,p=%d", p.MemoryKiB, p.Time, threads) != field:
		return fmt.Errorf("%w: parameters %q, want m=<KiB>,t=<iterations>,p=<threads>", ErrMalformedHash, field)
	case p.MemoryKiB == 0 || p.MemoryKiB > maxMemoryKiB || p.Time == 0 || p.Time > 100 || threads == 0 || threads > 255:
		return fmt.Errorf("%w: parameters %q out of range", ErrMalformedHash, field)
	}
	p.Threads = uint8(threads)
	return nil
}
