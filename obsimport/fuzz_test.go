package obsimport

import (
	"encoding/csv"
	"math"
	"strings"
	"testing"
)

// FuzzParseRow feeds arbitrary CSV lines to the row parser bound to the
// Beijing example mapping. Whatever the input, a row is either skipped
// for exactly one reason, or each measurement yields one finite value or
// one value-level skip.
func FuzzParseRow(f *testing.F) {
	m, err := LoadMapping(beijingMapping)
	if err != nil {
		f.Fatal(err)
	}
	header := strings.Split("No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station", ",")
	for _, seed := range []string{
		`1,2013,3,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,"NNW",4.4,"Aotizhongxin"`,
		`2,2013,3,1,1,NA,8,4,7,NA,77,-1.1,1023.2,-18.2,0,"N",4.7,"Dongsi"`,
		`3,2016,2,29,23,1e400,NaN,-0,+Inf,0x1p-2,1_0,,,,,"C",.5,"Nowhere"`,
		`4,2015,2,29,0,1,1,1,1,1,1,1,1,1,1,nne,1,Gucheng`,
		`5,2013`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r := csv.NewReader(strings.NewReader(line))
		r.FieldsPerRecord = -1
		cells, err := r.Read()
		if err != nil {
			return // not one CSV record: the reader's business, not the parser's
		}
		p, err := m.bind(header, newStations(m))
		if err != nil {
			t.Fatal(err)
		}
		var rec Record
		ok := p.parse(cells, &rec)
		if !ok {
			if len(p.skips) != 1 || len(rec.Readings) != 0 {
				t.Fatalf("skipped row has %d skips and %d readings", len(p.skips), len(rec.Readings))
			}
			return
		}
		if len(rec.Readings)+len(p.skips) != len(m.Measurements) {
			t.Fatalf("%d readings + %d skips != %d measurements", len(rec.Readings), len(p.skips), len(m.Measurements))
		}
		for _, rd := range rec.Readings {
			if math.IsNaN(rd.Value) || math.IsInf(rd.Value, 0) || !rd.Stream.HasPoint {
				t.Fatalf("reading %v of %+v", rd.Value, *rd.Stream)
			}
		}
	})
}

// FuzzLoadMapping checks that no mapping text makes the loader panic and
// that every refusal is an EINVALID naming the file.
func FuzzLoadMapping(f *testing.F) {
	f.Add([]byte(validWide))
	f.Add([]byte(longMapping))
	f.Add([]byte("layout: long\ntime: {parts: {year: [1]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMapping("fuzz.yaml", data)
		if err != nil && !strings.HasPrefix(err.Error(), "invalid: fuzz.yaml") {
			t.Fatalf("error %v does not name the file", err)
		}
		if err == nil && (len(m.Measurements) == 0 || m.Layout == "") {
			t.Fatalf("accepted an incomplete mapping %+v", m)
		}
	})
}
