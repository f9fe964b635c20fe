package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"cityvitals/model"
)

// Token secret prefixes. They make a leaked secret recognisable (secret
// scanners, log scrubbers) and tell at a glance what it grants.
const (
	PrefixDevice  = "cvd" // a device or gateway that ingests
	PrefixUser    = "cvu" // a user's long-lived API token
	PrefixSession = "cvs" // a signed-in session
)

// secretBytes is the entropy of every token secret.
const secretBytes = 32

// NewToken returns a fresh secret "<prefix>_<43 base64url characters>" with
// 32 random bytes from crypto/rand, and the hash to store for it. Only the
// hash is stored; the secret is shown to its owner once.
func NewToken(prefix string) (secret string, hash []byte) {
	b := make([]byte, secretBytes)
	rand.Read(b) // crypto/rand.Read never fails; it crashes the program if the OS cannot supply randomness
	secret = prefix + "_" + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}

// HashToken returns the SHA-256 of a secret, the key tokens are stored and
// looked up by. A fast hash is right here: the secret has 256 bits of
// entropy, so there is nothing for a slow hash to protect against.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// PrefixFor returns the secret prefix for tokens of kind k.
func PrefixFor(k model.TokenKind) string {
	switch k {
	case model.TokenDevice:
		return PrefixDevice
	case model.TokenSession:
		return PrefixSession
	default:
		return PrefixUser
	}
}
