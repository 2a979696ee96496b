package node_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/node"
	"github.com/lte-mme/mme/supervision"
)

// The faults section is validated with errors naming the field.
func TestFaultsConfigValidation(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"faults: {enabled: true, rate: -1}", "config: faults.rate: -1"},
		{"faults: {rate: 501}", "config: faults.rate: 501"},
		{"faults: {imsis: ['00101x']}", "config: faults.imsis[0]: \"00101x\" is not an IMSI"},
		{"faults: {imsis: ['001010000000001', '001010000000001']}", "config: faults.imsis[1]: duplicate IMSI"},
		{"faults: {enabld: true}", "field enabld not found"},
	} {
		_, err := node.ParseConfig([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
	}
	cfg, err := node.ParseConfig([]byte("faults: {enabled: true, rate: 2.5, imsis: ['001010000000001']}"))
	if err != nil || !cfg.Faults.Enabled || cfg.Faults.Rate != 2.5 || len(cfg.Faults.IMSIs) != 1 {
		t.Errorf("valid faults section: %+v %v", cfg.Faults, err)
	}
	if def := node.DefaultConfig(); def.Faults.Enabled || def.Faults.Rate != 0 {
		t.Errorf("fault injection is on by default: %+v", def.Faults)
	}
}

func faultsCall(t *testing.T, method, url, body string) (int, node.FaultsView, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v node.FaultsView
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&v); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode, v, string(b)
}

// The switch from the configuration crashes a listed IMSI on its first
// event, before the subscriber exists (its ATTACH REQUEST is lost, its
// new S1 connection released; the UE's next attempt succeeds); the admin API shows, sets and clears it;
// metrics count the injected crashes.
func TestFaultsSwitch(t *testing.T) {
	l := newLab(t, func(c *node.Config) {
		c.Faults = node.FaultsConfig{Enabled: true, IMSIs: []string{labIMSI(1)}}
	})
	base := "http://" + l.n.HTTPAddr() + "/faults"
	code, v, body := faultsCall(t, "GET", base, "")
	if code != 200 || !v.Enabled || v.Rate != 0 || len(v.IMSIs) != 1 || v.IMSIs[0] != labIMSI(1) || v.Injected != 0 {
		t.Fatalf("GET /faults: %d %s", code, body)
	}
	e := l.newENB(1)
	u, other := l.newUE(e, 1), l.newUE(e, 2)
	u.initial(u.encode(u.attachRequest(u.imsiIdentity(), nas.NoKeyAvailable), nas.Plain))
	l.eventually("crash report", func() bool { r, _ := l.n.Crashes().List(0); return len(r) == 1 })
	reps, _ := l.n.Crashes().List(0)
	if reps[0].Reason != supervision.ReasonFaultInjection || strings.Contains(reps[0].State, u.imsi) {
		t.Errorf("crash report %+v", reps[0])
	}
	if got := l.metric("mme_faults_injected_total"); got != 1 {
		t.Errorf("mme_faults_injected_total %v, want 1", got)
	}
	if got := l.metric("mme_actors_crashes_total", "reason", supervision.ReasonFaultInjection); got != 1 {
		t.Errorf("mme_actors_crashes_total{reason=fault-injection} %v, want 1", got)
	}
	if _, v, _ := faultsCall(t, "GET", base, ""); len(v.IMSIs) != 0 || v.Injected != 1 {
		t.Errorf("after the crash: %+v", v)
	}
	// The connection the lost message opened is released at once (no
	// T3410 wait); the UE attaches again on a new connection (T3411).
	u.releaseComplete()
	u.attach()
	other.attach()

	// PUT: crash an attached subscriber's next event (its detach).
	code, v, body = faultsCall(t, "PUT", base, `{"imsis": ["`+other.imsi+`"]}`)
	if code != 200 || !v.Enabled || len(v.IMSIs) != 1 {
		t.Fatalf("PUT /faults: %d %s", code, body)
	}
	other.detach(false)
	l.eventually("second crash report", func() bool { r, _ := l.n.Crashes().List(0); return len(r) == 2 })
	l.waitState(other.imsi, "EMM-REGISTERED", "")
	other.detach(false)
	expect[*nas.DetachAccept](other)
	other.releaseComplete()
	if got := l.metric("mme_faults_injected_total"); got != 2 {
		t.Errorf("mme_faults_injected_total %v, want 2", got)
	}

	// Bad input answers 400 naming the field and changes nothing.
	for _, bad := range []string{`{"rate": -3}`, `{"imsis": ["12"]}`, `{"rat": 1}`, `not json`} {
		if code, _, body := faultsCall(t, "PUT", base, bad); code != http.StatusBadRequest || !strings.Contains(body, "faults") {
			t.Errorf("PUT %s: %d %s", bad, code, body)
		}
	}
	// A rate, then DELETE: off.
	if code, v, body := faultsCall(t, "PUT", base, `{"enabled": true, "rate": 0.001}`); code != 200 || v.Rate != 0.001 {
		t.Errorf("PUT rate: %d %s", code, body)
	}
	if got := l.metric("mme_faults_enabled"); got != 1 {
		t.Errorf("mme_faults_enabled %v, want 1", got)
	}
	if code, v, body := faultsCall(t, "DELETE", base, ""); code != 200 || v.Enabled || v.Rate != 0 || v.Injected != 2 {
		t.Errorf("DELETE: %d %s", code, body)
	}
	if got := l.metric("mme_faults_enabled"); got != 0 {
		t.Errorf("mme_faults_enabled %v, want 0", got)
	}
	// enabled false keeps the settings inert.
	if code, v, _ := faultsCall(t, "PUT", base, `{"enabled": false, "imsis": ["`+u.imsi+`"]}`); code != 200 || v.Enabled || len(v.IMSIs) != 0 {
		t.Errorf("PUT disabled: %+v", v)
	}
	u.detach(false)
	expect[*nas.DetachAccept](u)
	u.releaseComplete()
	if reps, _ := l.n.Crashes().List(0); len(reps) != 2 {
		t.Errorf("%d crash reports with the switch off, want 2", len(reps))
	}
}
