package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SGWAdmin triggers network-side procedures through the lab SGW
// emulator's admin API (`mme sgw-emu --admin-listen`, lab/sgw): a Downlink
// Data Notification makes the MME page an idle UE (TS 23.401 §5.3.4.3), a
// Create Bearer Request makes it set up a dedicated bearer (§5.4.1). Each
// call returns once the emulator has the MME's answer.
type SGWAdmin struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Client  *http.Client
}

// DownlinkData asks for downlink data to the UE (POST /sessions/{imsi}/ddn).
func (a SGWAdmin) DownlinkData(ctx context.Context, imsi string) error {
	return a.post(ctx, "/sessions/"+url.PathEscape(imsi)+"/ddn", nil)
}

// CreateBearer asks for a dedicated GBR bearer (QCI 1, 64 kbps) on the
// PDN of default bearer lbi (POST /sessions/{imsi}/bearers).
func (a SGWAdmin) CreateBearer(ctx context.Context, imsi string, lbi uint8) error {
	body := map[string]any{"lbi": lbi, "qci": 1, "arp_pl": 2, "mbr_ul": 64, "mbr_dl": 64, "gbr_ul": 64, "gbr_dl": 64}
	return a.post(ctx, "/sessions/"+url.PathEscape(imsi)+"/bearers", body)
}

// UpdateBearer asks for a bearer modification (TS 23.401 §5.4.2.1): a
// new QCI (0 keeps the QoS) and APN-AMBR in kbit/s (0 keeps it)
// (POST /sessions/{imsi}/bearers/{ebi}/update).
func (a SGWAdmin) UpdateBearer(ctx context.Context, imsi string, ebi, qci uint8, ambrUL, ambrDL uint32) error {
	body := map[string]any{}
	if qci != 0 {
		body["qci"], body["arp_pl"] = qci, 2
	}
	if ambrUL != 0 || ambrDL != 0 {
		body["ambr_ul"], body["ambr_dl"] = ambrUL, ambrDL
	}
	return a.post(ctx, fmt.Sprintf("/sessions/%s/bearers/%d/update", url.PathEscape(imsi), ebi), body)
}

// DeleteBearer asks for a bearer deactivation (TS 23.401 §5.4.4.1); the
// default bearer's EBI deletes its PDN connection
// (DELETE /sessions/{imsi}/bearers/{ebi}).
func (a SGWAdmin) DeleteBearer(ctx context.Context, imsi string, ebi uint8) error {
	return a.do(ctx, http.MethodDelete, fmt.Sprintf("/sessions/%s/bearers/%d", url.PathEscape(imsi), ebi), nil)
}

func (a SGWAdmin) post(ctx context.Context, path string, body any) error {
	return a.do(ctx, http.MethodPost, path, body)
}

func (a SGWAdmin) do(ctx context.Context, method, path string, body any) error {
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(a.BaseURL, "/")+path, r)
	if err != nil {
		return fmt.Errorf("loadtest: sgw admin: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	c := a.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	rsp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("loadtest: sgw admin: %w", err)
	}
	defer rsp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(rsp.Body, 512))
	if rsp.StatusCode/100 != 2 {
		ae := &AdminError{Path: path, Status: rsp.StatusCode, Body: strings.TrimSpace(string(msg))}
		var body struct {
			Cause int `json:"cause"`
		}
		if json.Unmarshal(msg, &body) == nil {
			ae.GTPCause = body.Cause
		}
		return ae
	}
	return nil
}

// AdminError is a refusal by the SGW emulator's admin API: the HTTP status
// and, when the MME refused the emulator's request, the GTPv2 cause it
// answered with (TS 29.274 §8.4; 0 when none).
type AdminError struct {
	Path     string
	Status   int
	GTPCause int
	Body     string
}

func (e *AdminError) Error() string {
	return fmt.Sprintf("loadtest: sgw admin %s: %d %s", e.Path, e.Status, e.Body)
}
