package cap

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"time"

	"cityvitals/model"
)

// Entry is one warning in the Atom index: it links to the warning's CAP
// document.
type Entry struct {
	ID      string    // permanent absolute IRI of the entry, e.g. the document URL
	Title   string    // the headline
	Summary string    // optional short text, e.g. the description
	Author  string    // the sender's name
	Updated time.Time // when the message was sent
	Link    string    // absolute URL of the CAP document
}

// EntryFor describes a built alert in the index, linking to docURL. Title,
// summary and author come from the first info block (zh-CN for alerts from
// Build), falling back to the event and the sender.
func EntryFor(a *Alert, docURL string) (Entry, error) {
	sent, err := time.Parse(timeLayout, a.Sent)
	if err != nil {
		return Entry{}, model.Errorf(model.EINVALID, "alert %q: Sent: %q is not a CAP time", a.Identifier, a.Sent)
	}
	e := Entry{ID: docURL, Title: a.Identifier, Author: a.Sender, Updated: sent, Link: docURL}
	if len(a.Infos) > 0 {
		info := a.Infos[0]
		e.Title = firstNonEmpty(info.Headline, info.Event, a.Identifier)
		e.Summary = info.Description
		e.Author = firstNonEmpty(info.SenderName, a.Sender)
	}
	return e, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomEntry struct {
	ID      string     `xml:"id"`
	Title   string     `xml:"title"`
	Updated string     `xml:"updated"`
	Author  atomPerson `xml:"author"`
	Links   []atomLink `xml:"link"`
	Summary string     `xml:"summary,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

// Feed writes an Atom 1.0 (RFC 4287) index of CAP documents, entries in
// the order given. The feed's id is selfURL, its updated time the latest
// entry's (the Unix epoch when there are none, so that an empty feed is
// still valid and deterministic). Each entry carries an author, so the
// feed needs none.
//
// Returns a *model.Error with code EINVALID naming the entry and field
// that is missing or malformed.
func Feed(title, selfURL string, entries []Entry) ([]byte, error) {
	if err := checkFeed(title, selfURL, entries); err != nil {
		return nil, err
	}
	feed := atomFeed{
		ID:      selfURL,
		Title:   title,
		Updated: formatTime(latestUpdate(entries)),
		Links:   []atomLink{{Rel: "self", Type: "application/atom+xml", Href: selfURL}},
	}
	for _, e := range entries {
		feed.Entries = append(feed.Entries, atomEntry{
			ID:      e.ID,
			Title:   e.Title,
			Updated: formatTime(e.Updated),
			Author:  atomPerson{Name: e.Author},
			Links:   []atomLink{{Rel: "alternate", Type: MediaType, Href: e.Link}},
			Summary: e.Summary,
		})
	}
	body, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal Atom feed %q: %w", selfURL, err)
	}
	return append(append([]byte(xml.Header), body...), '\n'), nil
}

func latestUpdate(entries []Entry) time.Time {
	latest := time.Unix(0, 0)
	for _, e := range entries {
		if e.Updated.After(latest) {
			latest = e.Updated
		}
	}
	return latest
}

func checkFeed(title, selfURL string, entries []Entry) error {
	if err := checkFeedText("feed: title", title); err != nil {
		return err
	}
	if err := checkAbsoluteURL("feed: selfURL", selfURL); err != nil {
		return err
	}
	for i, e := range entries {
		item := fmt.Sprintf("feed entry %d", i)
		checks := []error{
			checkAbsoluteURL(item+": ID", e.ID),
			checkAbsoluteURL(item+": Link", e.Link),
			checkFeedText(item+": Title", e.Title),
			checkFeedText(item+": Author", e.Author),
			checkXMLTextError(item+": Summary", e.Summary),
			checkTimeError(item+": Updated", e.Updated),
		}
		for _, err := range checks {
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFeedText requires non-blank XML text.
func checkFeedText(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return model.Errorf(model.EINVALID, "%s: must not be empty", field)
	}
	return checkXMLTextError(field, s)
}

func checkXMLTextError(field, s string) error {
	if err := checkXMLText(field, s); err != nil {
		return model.Errorf(model.EINVALID, "%v", err)
	}
	return nil
}

func checkTimeError(field string, t time.Time) error {
	if err := checkTime(field, t); err != nil {
		return model.Errorf(model.EINVALID, "%v", err)
	}
	return nil
}

// checkAbsoluteURL requires an absolute URL, as Atom ids and links must be
// resolvable without a base.
func checkAbsoluteURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || (u.Host == "" && u.Opaque == "") {
		return model.Errorf(model.EINVALID, "%s: %q is not an absolute URL", field, s)
	}
	return checkXMLTextError(field, s)
}
