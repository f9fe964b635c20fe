package auth

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"cityvitals/model"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kind model.TokenKind
		want string
	}{
		{"device", model.TokenDevice, "cvd_"},
		{"user api", model.TokenAPI, "cvu_"},
		{"session", model.TokenSession, "cvs_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secret, hash := NewToken(PrefixFor(tc.kind))
			rest, ok := strings.CutPrefix(secret, tc.want)
			if !ok {
				t.Fatalf("secret %q lacks prefix %q", secret, tc.want)
			}
			raw, err := base64.RawURLEncoding.DecodeString(rest)
			if err != nil || len(raw) != 32 {
				t.Fatalf("secret body %q: %d bytes, %v; want 32 bytes of base64url", rest, len(raw), err)
			}
			if !bytes.Equal(hash, HashToken(secret)) || len(hash) != 32 {
				t.Fatalf("hash %x is not SHA-256 of the secret", hash)
			}
			again, _ := NewToken(PrefixFor(tc.kind))
			if again == secret {
				t.Fatal("two tokens are equal")
			}
		})
	}
}
