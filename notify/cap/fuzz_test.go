package cap_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"cityvitals/model"
	"cityvitals/notify/cap"
)

// FuzzRender feeds arbitrary field values to Render: it must never panic,
// and must return either a well-formed document that parses back to the
// same identifier, or an EINVALID *model.Error.
func FuzzRender(f *testing.F) {
	f.Add("CV-1", "cv@example.cn", int64(1752456600), 4, "Observed", "gas", "Alert", "燃气泄漏", "红色预警", "", 31.2, 121.5, 0.5, 0.01, "value", "32")
	f.Add("CV 2", "a,b", int64(0), 0, "Sure", "volcano", "Ack", "", "", "\xff", 91.0, 181.0, -1.0, 0.0, "level", "")
	f.Add("CV-3", "cv", int64(-62135596800), 1, "Likely", "weather", "Cancel", "暴雨", "蓝色", "Rain\x00", 30.9, 121.4, 1e308, 1e-9, "", "\ufffe")
	f.Fuzz(func(t *testing.T, id, sender string, sentUnix int64, level int, certainty, domain, msgType,
		event, headline, descriptionEN string, lat, lon, radiusKm, side float64, paramName, paramValue string,
	) {
		w := cap.Warning{
			ID:            id,
			Sender:        sender,
			Sent:          time.Unix(sentUnix, 0),
			Status:        cap.StatusTest,
			MsgType:       cap.MsgType(msgType),
			Level:         cap.Level(level),
			Certainty:     cap.Certainty(certainty),
			Domain:        cap.Domain(domain),
			EventZH:       event,
			HeadlineZH:    headline,
			DescriptionEN: descriptionEN,
			Area: cap.Area{
				NameZH:   event,
				NameEN:   headline,
				Geometry: orb.MultiPolygon{{square(lon, lat, side)}},
				Circles:  []cap.Circle{{Center: orb.Point{lon, lat}, RadiusKm: radiusKm}},
			},
			Parameters: map[string]string{paramName: paramValue},
		}
		if w.MsgType != cap.MsgAlert {
			w.References = []cap.Reference{{Sender: sender, ID: id + "-0", Sent: w.Sent.Add(-time.Hour)}}
		}
		doc, err := cap.Render(w)
		if err != nil {
			var merr *model.Error
			if !errors.As(err, &merr) || merr.Code != model.EINVALID {
				t.Fatalf("Render error %v is not an EINVALID *model.Error", err)
			}
			return
		}
		checkTokens(t, doc)
		a, err := cap.Parse(doc)
		if err != nil {
			t.Fatalf("rendered document does not parse: %v\n%s", err, doc)
		}
		if a.Identifier != id || a.Sender != sender {
			t.Fatalf("identifier/sender = %q/%q, want %q/%q", a.Identifier, a.Sender, id, sender)
		}
	})
}

// square is a closed ring of side degrees with its south-west corner at
// lon, lat.
func square(lon, lat, side float64) orb.Ring {
	return orb.Ring{{lon, lat}, {lon + side, lat}, {lon + side, lat + side}, {lon, lat + side}, {lon, lat}}
}

// checkTokens reads doc to the end with a strict decoder, which fails on
// anything that is not well-formed XML.
func checkTokens(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("rendered document is not well-formed: %v\n%s", err, doc)
		}
	}
}
