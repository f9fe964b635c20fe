// Package indicator owns the vital-signs catalog (城市运行数字体征): the
// YAML declarations of indicators, their validation, and their compilation
// into Programs — CEL expressions over windowed stream selections, graded
// into blue/yellow/orange/red levels with hysteresis. The live engine
// (package engine) implements Scope and evaluates Programs; this package
// knows nothing of how streams are stored or windows are kept.
package indicator
