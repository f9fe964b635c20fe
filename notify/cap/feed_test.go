package cap_test

import (
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/notify/cap"
)

const feedURL = "https://cityvitals.example.cn/cap/feed.atom"

// feedEntries builds the index entries of the four fixture warnings.
func feedEntries(t *testing.T) []cap.Entry {
	t.Helper()
	var entries []cap.Entry
	for _, w := range []cap.Warning{redGasLeak(t), redGasLeakUpdate(t), redGasLeakCancel(t), blueRainstorm(t)} {
		a, err := cap.Build(w)
		if err != nil {
			t.Fatal(err)
		}
		e, err := cap.EntryFor(a, "https://cityvitals.example.cn/cap/"+w.ID+".xml")
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	return entries
}

// atomDoc is what RFC 4287 requires of a feed and its entries, read back
// for checking.
type atomDoc struct {
	XMLName xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string     `xml:"http://www.w3.org/2005/Atom id"`
	Title   string     `xml:"http://www.w3.org/2005/Atom title"`
	Updated string     `xml:"http://www.w3.org/2005/Atom updated"`
	Links   []atomLink `xml:"http://www.w3.org/2005/Atom link"`
	Entries []struct {
		ID      string     `xml:"http://www.w3.org/2005/Atom id"`
		Title   string     `xml:"http://www.w3.org/2005/Atom title"`
		Updated string     `xml:"http://www.w3.org/2005/Atom updated"`
		Author  string     `xml:"http://www.w3.org/2005/Atom author>name"`
		Summary string     `xml:"http://www.w3.org/2005/Atom summary"`
		Links   []atomLink `xml:"http://www.w3.org/2005/Atom link"`
	} `xml:"http://www.w3.org/2005/Atom entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

func TestFeedGolden(t *testing.T) {
	entries := feedEntries(t)
	doc, err := cap.Feed("CityVitals 公共预警 / public warnings", feedURL, entries)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "feed.atom", doc)
	checkWellFormed(t, doc)

	var feed atomDoc
	if err := xml.Unmarshal(doc, &feed); err != nil {
		t.Fatalf("parse feed: %v", err)
	}
	if feed.ID != feedURL || feed.Title == "" || !hasLink(feed.Links, "self", "application/atom+xml", feedURL) {
		t.Errorf("feed head = id %q title %q links %+v, want id, title and self link", feed.ID, feed.Title, feed.Links)
	}
	if want := "2025-08-01T14:00:00+08:00"; feed.Updated != want {
		t.Errorf("feed updated = %s, want the latest entry's %s", feed.Updated, want)
	}
	if len(feed.Entries) != len(entries) {
		t.Fatalf("%d entries, want %d", len(feed.Entries), len(entries))
	}
	for i, e := range feed.Entries {
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("entry %d: updated %q is not RFC 3339: %v", i, e.Updated, err)
		}
		if e.ID != entries[i].Link || e.Title == "" || e.Author == "" {
			t.Errorf("entry %d = %+v, want id, title and author", i, e)
		}
		if !hasLink(e.Links, "alternate", cap.MediaType, entries[i].Link) {
			t.Errorf("entry %d links = %+v, want an alternate %s link to %s", i, e.Links, cap.MediaType, entries[i].Link)
		}
	}
}

func hasLink(links []atomLink, rel, mediaType, href string) bool {
	for _, l := range links {
		if l.Rel == rel && l.Type == mediaType && l.Href == href {
			return true
		}
	}
	return false
}

// checkWellFormed asks xmllint, independent of encoding/xml, whether doc
// is well-formed XML.
func checkWellFormed(t *testing.T, doc []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feed.atom")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmllint(t), "--noout", path).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

func TestFeedEmpty(t *testing.T) {
	doc, err := cap.Feed("CityVitals", feedURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, doc)
	var feed atomDoc
	if err := xml.Unmarshal(doc, &feed); err != nil {
		t.Fatal(err)
	}
	if feed.Updated != time.Unix(0, 0).In(time.FixedZone("", 8*3600)).Format(time.RFC3339) || len(feed.Entries) != 0 {
		t.Errorf("empty feed = %+v, want no entries, updated at the epoch", feed)
	}
}

func TestFeedRejectsInvalidInput(t *testing.T) {
	tests := []struct {
		name    string
		title   string
		selfURL string
		edit    func(e *cap.Entry)
		field   string
	}{
		{"empty title", "", feedURL, nil, "feed: title"},
		{"relative self URL", "t", "/feed.atom", nil, "feed: selfURL"},
		{"entry without link", "t", feedURL, func(e *cap.Entry) { e.Link = "" }, "feed entry 1: Link"},
		{"entry with relative id", "t", feedURL, func(e *cap.Entry) { e.ID = "CV-1" }, "feed entry 1: ID"},
		{"entry without title", "t", feedURL, func(e *cap.Entry) { e.Title = "" }, "feed entry 1: Title"},
		{"entry without author", "t", feedURL, func(e *cap.Entry) { e.Author = " " }, "feed entry 1: Author"},
		{"entry without time", "t", feedURL, func(e *cap.Entry) { e.Updated = time.Time{} }, "feed entry 1: Updated"},
		{"summary with control character", "t", feedURL, func(e *cap.Entry) { e.Summary = "\x1b" }, "feed entry 1: Summary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := feedEntries(t)
			if tt.edit != nil {
				tt.edit(&entries[1])
			}
			_, err := cap.Feed(tt.title, tt.selfURL, entries)
			var merr *model.Error
			if !errors.As(err, &merr) || merr.Code != model.EINVALID || !strings.HasPrefix(merr.Message, tt.field+":") {
				t.Errorf("Feed error = %v, want EINVALID naming %s", err, tt.field)
			}
		})
	}
}

func TestEntryForRejectsMalformedSent(t *testing.T) {
	a, err := cap.Build(blueRainstorm(t))
	if err != nil {
		t.Fatal(err)
	}
	a.Sent = "2025-08-01T06:00:00Z" // valid RFC 3339, but not CAP
	if _, err := cap.EntryFor(a, feedURL); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("EntryFor error = %v, want %s", err, model.EINVALID)
	}
}
