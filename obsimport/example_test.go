package obsimport_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cityvitals/model"
	"cityvitals/obsimport"
)

// registry is a stand-in for the datastream registry: it numbers streams
// by key, so a second import finds the same ids.
type registry map[string]int64

func (r registry) Ensure(_ context.Context, spec obsimport.StreamSpec) (int64, error) {
	if id, ok := r[spec.Key]; ok {
		return id, nil
	}
	r[spec.Key] = int64(len(r) + 1)
	return r[spec.Key], nil
}

func ExampleImporter() {
	m, err := obsimport.LoadMapping("../examples/import/beijing_prsa.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	var first []model.Observation
	im := &obsimport.Importer{
		Mapping: m,
		Streams: registry{},
		Sink: func(_ context.Context, obs []model.Observation) error {
			if first == nil {
				first = obs[:2] // the first row's PM2.5 and PM10
			}
			return nil // a real sink stores durably before returning
		},
	}
	file := "../../shared/data/airquality/beijing_prsa/PRSA_Data_Aotizhongxin_20130301-20170228.csv"
	sum, err := im.Run(context.Background(), []string{file}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("streams:", sum.Streams)
	for _, o := range first {
		fmt.Println(o.Stream, time.UnixMilli(o.Time).UTC().Format(time.RFC3339), o.Value)
	}
	// Output:
	// streams: 12
	// 1 2013-02-28T16:00:00Z 4
	// 2 2013-02-28T16:00:00Z 4
}

func ExampleMapping_Read() {
	m, err := obsimport.LoadMapping("../examples/import/beijing_prsa.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	file := "../../shared/data/airquality/beijing_prsa/PRSA_Data_Dongsi_20130301-20170228.csv"
	stop := errors.New("seen enough")
	_, err = m.Read(context.Background(), []string{file}, func(r *obsimport.Record) error {
		for _, rd := range r.Readings[:2] {
			fmt.Printf("%s line %d: %s = %v %s\n", r.Station, r.Line, rd.Stream.Key, rd.Value, rd.Stream.UoM)
		}
		return stop // replay would hand each record to the engine instead
	}, nil)
	fmt.Println("stopped by visit:", errors.Is(err, stop))
	// Output:
	// Dongsi line 2: beijing/Dongsi/pm25 = 9 µg/m³
	// Dongsi line 2: beijing/Dongsi/pm10 = 9 µg/m³
	// stopped by visit: true
}
