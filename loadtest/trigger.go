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

func (a SGWAdmin) post(ctx context.Context, path string, body any) error {
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(a.BaseURL, "/")+path, r)
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
		return fmt.Errorf("loadtest: sgw admin %s: %d %s", path, rsp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}
