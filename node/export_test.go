package node

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/lte-mme/mme/supervision"
)

// Every second key and M-TMSI needs a reservation in the store while the
// tests' traffic runs: the allocation path is exercised against the
// store's writer (a lock held across it once deadlocked at 16384 UEs).
func init() { idBlock = 2 }

// StallActorOf blocks the actor worker of imsi's subscriber and fills its
// mailbox, so that every further event for that worker is refused with
// supervision.ErrOverload until release (idempotent) is called. The worker blocks on
// an admin read whose answer nothing takes (an unbuffered reply); the
// mailbox is filled only once the worker has taken that read (Pending 0),
// which needs a lab with one worker and nothing else in flight.
func (n *Node) StallActorOf(imsi string) (release func(), err error) {
	key, err := n.keyOfIMSI(imsi)
	if err != nil {
		return nil, err
	}
	req := &adminGet{reply: make(chan *SubscriberView)}
	if err := n.actors.Send(key, req); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(5 * time.Second)
	for n.actors.Pending() != 0 {
		if time.Now().After(deadline) {
			return nil, errors.New("node: worker did not take the stalling read")
		}
		runtime.Gosched()
	}
	for {
		err := n.actors.Send(key, evictCheck{gen: ^uint64(0)})
		if errors.Is(err, supervision.ErrOverload) {
			var once sync.Once
			return func() { once.Do(func() { <-req.reply }) }, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
