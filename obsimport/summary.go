package obsimport

import (
	"fmt"
	"io"
	"slices"
)

// Reason says why a row or a value was skipped.
type Reason string

// Row-level reasons skip the whole row; value-level reasons skip one value.
const (
	ReasonColumns   Reason = "column_count"      // row: more or fewer cells than the header
	ReasonMalformed Reason = "malformed_csv"     // row: broken quoting
	ReasonTime      Reason = "bad_time"          // row: time missing, unparsable or impossible
	ReasonStation   Reason = "unknown_station"   // row: station empty, or without a location in the mapping
	ReasonNA        Reason = "na"                // value: an NA token
	ReasonNumber    Reason = "bad_number"        // value: not a finite number (or compass point)
	ReasonProperty  Reason = "unmapped_property" // value: long layout, property not in measurements
	ReasonDuplicate Reason = "duplicate"         // value: same stream and time seen before in this import
)

// maxExamples is how many examples of each reason a Summary keeps.
const maxExamples = 5

// Example is one skipped row or value, to show the user where to look.
type Example struct {
	File   string
	Line   int
	Column string // "" for row-level reasons without one column at fault
	Detail string
}

func (e Example) String() string {
	if e.Column == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Detail)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Column, e.Detail)
}

// Skips counts the skips of one reason and keeps the first few examples.
type Skips struct {
	Count    int64
	Examples []Example
}

// Summary is the outcome of reading or importing a set of files.
type Summary struct {
	Files        int
	Rows         int64 // data rows, broken ones included
	Observations int64 // values accepted
	Streams      int   // distinct streams with at least one accepted value
	Skipped      map[Reason]Skips
}

func (s *Summary) skip(r Reason, ex Example) {
	if s.Skipped == nil {
		s.Skipped = map[Reason]Skips{}
	}
	k := s.Skipped[r]
	k.Count++
	if len(k.Examples) < maxExamples {
		k.Examples = append(k.Examples, ex)
	}
	s.Skipped[r] = k
}

// SkippedCount returns the number of skips of all reasons.
func (s Summary) SkippedCount() int64 {
	var n int64
	for _, k := range s.Skipped {
		n += k.Count
	}
	return n
}

// WriteReport writes a human-readable account of the summary: totals,
// then each skip reason with its count and examples, reasons in name order.
func (s Summary) WriteReport(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "files %d, rows %d, observations %d, streams %d, skipped %d\n",
		s.Files, s.Rows, s.Observations, s.Streams, s.SkippedCount()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	reasons := make([]Reason, 0, len(s.Skipped))
	for r := range s.Skipped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		k := s.Skipped[r]
		if _, err := fmt.Fprintf(w, "skipped %s: %d\n", r, k.Count); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		for _, ex := range k.Examples {
			if _, err := fmt.Fprintf(w, "  %s\n", ex); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
		}
	}
	return nil
}
