package store_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/lte-mme/mme/store"
	"github.com/lte-mme/mme/supervision"
)

// Index numbers are the node's choice; these are the three the node uses.
const (
	byIMSI uint8 = iota + 1
	bySTMSI
	byMMEUES1APID
)

func ExampleStore() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	s, err := store.Open(store.Options{Dir: dir, SyncWrites: true})
	if err != nil {
		panic(err)
	}
	// Attach complete: persist the subscriber with its identities.
	err = s.Put(42, []byte("record v1"), []store.IndexEntry{
		{Index: byIMSI, Value: []byte("001010123456789")},
		{Index: bySTMSI, Value: []byte{0x01, 0xc0, 0x00, 0x00, 0x01}},
		{Index: byMMEUES1APID, Value: []byte{0, 0, 0, 7}},
	})
	if err != nil {
		panic(err)
	}
	// S1 release: the MME-UE-S1AP-ID entry goes in the same transaction.
	_ = s.Put(42, []byte("record v2"), []store.IndexEntry{
		{Index: byIMSI, Value: []byte("001010123456789")},
		{Index: bySTMSI, Value: []byte{0x01, 0xc0, 0x00, 0x00, 0x01}},
	})
	key, _ := s.Lookup(bySTMSI, []byte{0x01, 0xc0, 0x00, 0x00, 0x01})
	e, _ := s.GetEntry(key)
	_, err = s.Lookup(byMMEUES1APID, []byte{0, 0, 0, 7})
	fmt.Println(key, string(e.Rec), "seq", e.Seq, errors.Is(err, store.ErrNotFound))
	_ = s.Close()
	// Output: 42 record v2 seq 2 true
}

func ExampleStore_PutAsync() {
	s, _ := store.Open(store.Options{InMemory: true})
	defer s.Close()
	done := make(chan error, 1)
	// Write before you speak: the step's messages go out from done.
	s.PutAsync(7, []byte("record"), nil, func(err error) { done <- err })
	fmt.Println(<-done)
	// Output: <nil>
}

func ExampleCrashLog() {
	s, _ := store.Open(store.Options{InMemory: true, CrashLogSize: 2})
	defer s.Close()
	log := s.CrashLog() // hand it to supervision.ActorsConfig.Crashes
	for _, reason := range []string{"a", "b", "c"} {
		_ = log.Append(supervision.CrashReport{Key: "ue-1", Reason: reason})
	}
	reps, _ := log.List(0)
	fmt.Println(len(reps), reps[0].Reason, reps[1].Reason)
	// Output: 2 c b
}
