package obsimport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// readStations reads a stations CSV whose header names the columns given
// in sf. A row with an empty key belongs to no file of this mapping and
// is ignored; a row with a bad coordinate is an error naming its line.
func readStations(path string, delim rune, sf *rawStationsFile) (map[string]Station, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open stations file: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(skipBOM(f))
	r.Comma = delim
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", path, err)
	}
	index := headerIndex(header)
	col := func(name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		i, ok := index[name]
		if !ok {
			return 0, fmt.Errorf("%s: no column %q in the header", path, name)
		}
		return i, nil
	}
	var cols [5]int
	for i, name := range []string{sf.Key, sf.Lon, sf.Lat, sf.NameZH, sf.NameEN} {
		if cols[i], err = col(name); err != nil {
			return nil, err
		}
	}
	stations := map[string]Station{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return stations, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		key := strings.TrimSpace(rec[cols[0]])
		if key == "" {
			continue
		}
		s, err := stationFromRow(rec, cols)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: station %q: %w", path, line, key, err)
		}
		stations[key] = s
	}
}

func stationFromRow(rec []string, cols [5]int) (Station, error) {
	lon, err := strconv.ParseFloat(strings.TrimSpace(rec[cols[1]]), 64)
	if err != nil {
		return Station{}, fmt.Errorf("bad lon %q", rec[cols[1]])
	}
	lat, err := strconv.ParseFloat(strings.TrimSpace(rec[cols[2]]), 64)
	if err != nil {
		return Station{}, fmt.Errorf("bad lat %q", rec[cols[2]])
	}
	if !validPoint(lon, lat) {
		return Station{}, fmt.Errorf("lon %v, lat %v is not a WGS84 point", lon, lat)
	}
	s := Station{Lon: lon, Lat: lat}
	if cols[3] >= 0 {
		s.NameZH = rec[cols[3]]
	}
	if cols[4] >= 0 {
		s.NameEN = rec[cols[4]]
	}
	return s, nil
}

// headerIndex maps each trimmed column name to its first position.
func headerIndex(header []string) map[string]int {
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	return index
}
