package nas

import (
	"encoding/hex"
	"testing"
)

func TestDumpDebug(t *testing.T) {
	for _, s := range fullSamples(t) {
		switch s.name {
		case "ControlPlaneServiceRequest(full)", "CSServiceNotification(full)", "DownlinkGenericNASTransport(full)":
			t.Log("DUMP", hex.EncodeToString(mustEncode(t, s.m)))
		}
	}
}
