//go:build race

package supervision

const raceEnabled = true
