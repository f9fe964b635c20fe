package incident

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"cityvitals/auth"
	"cityvitals/model"
)

// MaxAttachment bounds one photo or document.
const MaxAttachment = 10 << 20

// attachmentTypes are the media types accepted, as sniffed from the
// content (never as claimed by the sender).
var attachmentTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}

// Files keeps attachments in a directory by content hash: the same photo
// sent twice is stored once, and a file's name is its own checksum.
type Files struct {
	dir string
}

// NewFiles keeps attachments under dir (created if needed).
func NewFiles(dir string) (*Files, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("attachments dir: %w", err)
	}
	return &Files{dir: dir}, nil
}

func (f *Files) path(hash string) string { return filepath.Join(f.dir, hash[:2], hash) }

// put stores content durably (written, synced, renamed into place) and
// returns its hash.
func (f *Files) put(content []byte) (string, error) {
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])
	final := f.path(hash)
	if _, err := os.Stat(final); err == nil {
		return hash, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return "", fmt.Errorf("attachment dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), ".upload-*")
	if err != nil {
		return "", fmt.Errorf("attachment: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write attachment: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("sync attachment: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("close attachment: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("store attachment: %w", err)
	}
	return hash, syncDir(filepath.Dir(final))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Store checks and keeps a photo or document that belongs to no incident
// (inspection photos, rectification evidence) and returns what was kept.
func (f *Files) Store(name string, r io.Reader, by string, at int64) (model.Attachment, error) {
	name, content, typ, err := readAttachment(name, r)
	if err != nil {
		return model.Attachment{}, err
	}
	hash, err := f.put(content)
	if err != nil {
		return model.Attachment{}, err
	}
	return model.Attachment{Hash: hash, Name: name, Type: typ, Size: int64(len(content)), By: by, At: at}, nil
}

// Has reports whether content with the hash is kept.
func (f *Files) Has(hash string) bool {
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return false
	}
	_, err := os.Stat(f.path(hash))
	return err == nil
}

// readAttachment reads and checks one upload: a plain file name, a size
// within MaxAttachment, a type sniffed from the content among the
// accepted ones.
func readAttachment(name string, r io.Reader) (string, []byte, string, error) {
	name = strings.TrimSpace(filepath.Base(name))
	if name == "" || name == "." || name == "/" || len(name) > 200 || !utf8.ValidString(name) {
		return "", nil, "", model.Errorf(model.EINVALID, "name: give a file name of at most 200 bytes")
	}
	content, err := io.ReadAll(io.LimitReader(r, MaxAttachment+1))
	if err != nil {
		return "", nil, "", model.Errorf(model.EINVALID, "attachment: read: %v", err)
	}
	if len(content) > MaxAttachment {
		return "", nil, "", model.Errorf(model.ETOOLARGE, "attachment %q is larger than %d bytes", clip(name), MaxAttachment)
	}
	if len(content) == 0 {
		return "", nil, "", model.Errorf(model.EINVALID, "attachment %q is empty", clip(name))
	}
	typ := http.DetectContentType(content)
	if !slices.Contains(attachmentTypes, typ) {
		return "", nil, "", model.Errorf(model.EINVALID, "attachment %q is %s; accepted: %s", clip(name), typ, strings.Join(attachmentTypes, ", "))
	}
	return name, content, typ, nil
}

// Attach stores a photo or document and attaches it to the incident. Its
// type is sniffed from the content; it may then be named in a step's
// attachments (e.g. the evidence of a feedback).
func (s *Service) Attach(ctx context.Context, p auth.Principal, id int64, name string, r io.Reader) (model.Attachment, error) {
	if s.files == nil {
		return model.Attachment{}, model.Errorf(model.EINTERNAL, "attachments are not configured")
	}
	c := Command{Action: "note"}
	inc, _, err := s.prepare(ctx, p, id, c)
	if err != nil {
		return model.Attachment{}, err
	}
	name, content, typ, err := readAttachment(name, r)
	if err != nil {
		return model.Attachment{}, err
	}
	hash, err := s.files.put(content)
	if err != nil {
		return model.Attachment{}, err
	}
	a := model.Attachment{Hash: hash, Name: name, Type: typ, Size: int64(len(content)), Incident: id, By: p.Name(), At: s.now().UnixMilli()}
	if err := s.st.PutAttachment(ctx, a); err != nil {
		return a, fmt.Errorf("attach to incident %d: %w", id, err)
	}
	for attempt := 1; ; attempt++ {
		inc.UpdatedAt = a.At
		ev := s.event(p, "attach", inc.State, inc.State, name, []string{hash})
		_, err := s.store(ctx, p, inc, ev)
		if model.ErrorCode(err) != model.ECONFLICT || attempt == attachAttempts {
			return a, err
		}
		// The incident changed while the file was arriving (the platform
		// noted an alert, a colleague acted): an attachment depends on
		// none of that, so it is noted on the incident as it is now.
		if inc, _, err = s.prepare(ctx, p, id, c); err != nil {
			return a, err
		}
	}
}

// attachAttempts bounds how often Attach notes an upload on an incident
// that keeps changing under it.
const attachAttempts = 3

// Attachment opens an attachment of an incident the principal may see.
func (s *Service) Attachment(ctx context.Context, p auth.Principal, id int64, hash string) (model.Attachment, io.ReadSeekCloser, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return model.Attachment{}, nil, err
	}
	a, err := s.st.Attachment(ctx, id, hash)
	if err != nil {
		return a, nil, err
	}
	if s.files == nil {
		return a, nil, model.Errorf(model.EINTERNAL, "attachments are not configured")
	}
	content, err := os.ReadFile(s.files.path(a.Hash))
	if err != nil {
		return a, nil, fmt.Errorf("attachment %s of incident %d: %w", hash, id, err)
	}
	return a, nopCloser{bytes.NewReader(content)}, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
