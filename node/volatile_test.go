package node_test

import (
	"testing"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/node"
)

// With store.persist false the node works the same (records in memory
// maps, no badger writes for them): attach, an attach by the GUTI it
// allocated (index lookup), detach; nothing is written to the store.
func TestPersistenceOff(t *testing.T) {
	off := false
	l := newLab(t, func(c *node.Config) { c.Store.Persist = &off })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	if got := l.metric("mme_store_writes_total", "kind", "put"); got != 0 {
		t.Errorf("%v record writes to the store with persistence off", got)
	}
	if got := l.metric("mme_record_writes_total"); got == 0 {
		t.Error("no record kept (mme_record_writes_total 0)")
	}
	if v := l.subscriber(u.imsi); v.EMM != "EMM-REGISTERED" {
		t.Errorf("subscriber %+v", v)
	}
	u.detach(false)
	expect[*nas.DetachAccept](u)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	if _, err := node.ParseConfig([]byte("store: {persist: false}")); err != nil {
		t.Error(err)
	}
}
