// Package obsimport reads CSV files of observations as described by a
// mapping file, and imports them: it owns the mapping format, the row
// parser, duplicate detection within one import, and the skip report that
// says which rows or values were left out and why.
//
// It knows no storage. An Importer is given a Streams service that finds or
// creates datastreams and a Sink that stores observations durably; the
// replay command uses Mapping.Read directly to get the same records
// without writing anything.
//
// # Mapping format
//
// A mapping is a YAML file. Two layouts exist. In the wide layout a row
// holds one station at one time and a column per measurement; in the long
// layout a row holds one value, and a column (or the mapping) says which
// property it is. A wide mapping, as used for the Beijing multi-site air
// quality files:
//
//	layout: wide                # wide | long
//	delimiter: ","              # one character; "tab" or "\t" for TSV
//	header: true                # the first row (after skip_rows) names the columns
//	skip_rows: 0                # lines to drop before the header
//	encoding: utf-8             # utf-8 (a leading BOM is dropped) | gb18030 (also reads GBK)
//	na: ["NA", "", "NaN", "null"]
//	key: "beijing/{station}/{property}"   # datastream key: re-imports find the same streams
//	name: "{station_name} {property}"      # datastream name (this is the default)
//	interval: 1h                # expected reporting interval of every stream
//	time:
//	  parts: {year: year, month: month, day: day, hour: hour}
//	  zone: Asia/Shanghai       # the file's local time; observations are stored in UTC
//	station:
//	  column: station           # or  fixed: some-station  for files of one station
//	stations:                   # where each station is, by its name in the file
//	  Aotizhongxin: {lon: 116.3966, lat: 39.9821, name_zh: 奥体中心}
//	stations_file:              # and/or from a CSV file (path relative to the mapping)
//	  path: stations.csv
//	  key: prsa_or_uci_name
//	  lon: lon
//	  lat: lat
//	  name: station_name_zh
//	measurements:
//	  - {column: PM2.5, property: pm25, uom: µg/m³}
//	  - {column: CO, property: co, uom: mg/m³, scale: 0.001}   # the file has µg/m³
//	  - {column: wd, property: wind_direction, uom: "°", compass: true}
//
// A long mapping names the value column, and either a property column whose
// cell values select a measurement by its match field, or one measurement
// for the whole file:
//
//	layout: long
//	key: "sensors/{station}/{property}"
//	time: {column: ts, layout: rfc3339}
//	station: {column: sensor}
//	value_column: value
//	property_column: param
//	measurements:
//	  - {match: pm2_5, property: pm25, uom: µg/m³}
//
// The time is either one column with a Go time layout (or one of rfc3339,
// unix, unix_ms) or columns for year, month, day and optionally hour,
// minute and second. examples/import/README.md explains every field.
//
// # Skips
//
// A broken row never stops an import. Row-level problems (wrong number of
// columns, malformed CSV, bad time, unknown station) skip the row and count
// once; value-level problems (NA, unparsable number, unmapped property,
// duplicate stream and time) skip one value. Summary keeps a count per
// Reason and the first few examples of each.
package obsimport
