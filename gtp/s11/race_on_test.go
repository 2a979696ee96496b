//go:build race

package s11

// raceEnabled: the race detector makes allocation-heavy tests slow and
// their memory figures meaningless.
const raceEnabled = true
