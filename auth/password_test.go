package auth

import (
	"errors"
	"strings"
	"testing"

	"cityvitals/model"
)

// cheap keeps the tests fast; production uses DefaultArgon2Params.
func cheap() HashOption {
	return WithArgon2Params(Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
}

func TestHashAndCheckPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, password, attempt string
		want                    bool
	}{
		{"right password", "correct horse battery", "correct horse battery", true},
		{"wrong password", "correct horse battery", "correct horse battery!", false},
		{"case matters", "CorrectHorse1", "correcthorse1", false},
		{"chinese password", "城市运行一网统管2025", "城市运行一网统管2025", true},
		{"empty attempt", "correct horse battery", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hash, err := HashPassword(tc.password, cheap())
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(hash, tc.password) {
				t.Fatalf("hash %q contains the password", hash)
			}
			got, err := CheckPassword(hash, tc.attempt)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("CheckPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHashPasswordDefaultsAreOWASP(t *testing.T) {
	t.Parallel()
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(hash, prefix) {
		t.Fatalf("hash %q, want prefix %q", hash, prefix)
	}
	if NeedsRehash(hash, DefaultArgon2Params()) {
		t.Error("a fresh default hash needs rehashing")
	}
	cheapHash, err := HashPassword("correct horse battery", cheap())
	if err != nil {
		t.Fatal(err)
	}
	if !NeedsRehash(cheapHash, DefaultArgon2Params()) {
		t.Error("a cheap hash does not need rehashing to the defaults")
	}
}

func TestHashPasswordSaltsEachHash(t *testing.T) {
	t.Parallel()
	a, err := HashPassword("correct horse battery", cheap())
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPassword("correct horse battery", cheap())
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
}

func TestHashPasswordLength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		password string
		wantErr  bool
	}{
		{"9 characters", "123456789", true},
		{"10 characters", "1234567890", false},
		{"10 chinese characters", strings.Repeat("城", 10), false},
		{"9 chinese characters (27 bytes)", strings.Repeat("城", 9), true},
		{"1024 characters", strings.Repeat("a", 1024), false},
		{"1025 characters", strings.Repeat("a", 1025), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := HashPassword(tc.password, cheap())
			if tc.wantErr != (err != nil) {
				t.Fatalf("HashPassword error %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr && model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("error %v, want code %s", err, model.EINVALID)
			}
		})
	}
}

func TestCheckPasswordMalformedHash(t *testing.T) {
	t.Parallel()
	valid, err := HashPassword("correct horse battery", cheap())
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Split(valid, "$") // "", argon2id, v=19, m=..., salt, key
	with := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i] = v
		return strings.Join(f, "$")
	}
	for _, tc := range []struct{ name, hash string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", with(1, "argon2i")},
		{"old version", with(2, "v=16")},
		{"missing parameter", with(3, "m=64,t=1")},
		{"trailing junk in parameters", with(3, "m=64,t=1,p=1,x=2")},
		{"zero memory", with(3, "m=0,t=1,p=1")},
		{"absurd memory", with(3, "m=4294967295,t=1,p=1")},
		{"salt not base64", with(4, "!!!!")},
		{"key too short", with(5, "AAAA")},
		{"too few fields", strings.Join(fields[:5], "$")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, err := CheckPassword(tc.hash, "correct horse battery")
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("CheckPassword error %v, want ErrMalformedHash", err)
			}
			if ok {
				t.Fatal("a malformed hash matched")
			}
		})
	}
}
