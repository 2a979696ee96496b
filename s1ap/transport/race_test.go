//go:build race

package transport

// raceEnabled: the race detector slows the code 5-10 times; latency bounds
// asserted by tests are widened accordingly.
const raceEnabled = true
