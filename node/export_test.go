package node

// Every second key and M-TMSI needs a reservation in the store while the
// tests' traffic runs: the allocation path is exercised against the
// store's writer (a lock held across it once deadlocked at 16384 UEs).
func init() { idBlock = 2 }
