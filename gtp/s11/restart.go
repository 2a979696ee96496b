package s11

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RestartCounterStore keeps a node's own restart counter in non-volatile
// memory (TS 23.007 §18). The node may implement it on its store; FileStore
// keeps it in a file.
type RestartCounterStore interface {
	// Load returns the stored counter, or ok false when none is stored.
	Load() (v uint8, ok bool, err error)
	// Store durably records v.
	Store(v uint8) error
}

// NextRestartCounter increments the stored restart counter, stores it and
// returns it: call it once at start-up and give the value to
// Config.RestartCounter (TS 23.007 §18: "After a GTP-C entity has
// restarted, it shall immediately increment all local Restart counters").
// With nothing stored, the counter starts at 1. It wraps from 255 to 0.
func NextRestartCounter(s RestartCounterStore) (uint8, error) {
	v, ok, err := s.Load()
	if err != nil {
		return 0, fmt.Errorf("s11: load restart counter: %w", err)
	}
	next := uint8(1)
	if ok {
		next = v + 1
	}
	if err := s.Store(next); err != nil {
		return 0, fmt.Errorf("s11: store restart counter: %w", err)
	}
	return next, nil
}

// FileStore is a RestartCounterStore in a text file (the decimal value).
type FileStore string

// Load implements RestartCounterStore.
func (f FileStore) Load() (uint8, bool, error) {
	b, err := os.ReadFile(string(f))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 8)
	if err != nil {
		return 0, false, fmt.Errorf("restart counter file %s: %w", string(f), err)
	}
	return uint8(v), true, nil
}

// Store implements RestartCounterStore: write to a temporary file, sync,
// rename over the old one, sync the directory.
func (f FileStore) Store(v uint8) error {
	path := string(f)
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(strconv.Itoa(int(v)) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
