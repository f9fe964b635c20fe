//go:build !race

package citizen_test

// sf311RowsUnderRace is 0 without the race detector: import every row.
const sf311RowsUnderRace = 0
