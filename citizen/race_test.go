//go:build race

package citizen_test

// sf311RowsUnderRace bounds the rows TestImportSF311 imports when the race
// detector is on: it slows the pure-Go SQLite about tenfold, and the full
// 10,000-row import then takes close to a minute. Without -race the test
// imports every row.
const sf311RowsUnderRace = 2000
