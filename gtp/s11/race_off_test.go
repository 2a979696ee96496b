//go:build !race

package s11

const raceEnabled = false
