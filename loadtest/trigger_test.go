package loadtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSGWAdminBearerRequests: the requests the load tester sends to the
// SGW emulator's admin API (lab/sgw AdminHandler) for bearer modification
// and deletion, and an error answer turned into an error.
func TestSGWAdminBearerRequests(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		b, _ := json.Marshal(body)
		got = append(got, r.Method+" "+r.URL.Path+" "+string(b))
		if strings.Contains(r.URL.Path, "/9") {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"sgw: no such bearer"}`))
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	a := SGWAdmin{BaseURL: srv.URL}
	ctx := context.Background()
	if err := a.UpdateBearer(ctx, "001010000000001", 6, 2, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateBearer(ctx, "001010000000001", 6, 0, 1000, 2000); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteBearer(ctx, "001010000000001", 6); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteBearer(ctx, "001010000000001", 9); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown bearer: %v", err)
	}
	want := []string{
		`POST /sessions/001010000000001/bearers/6/update {"arp_pl":2,"qci":2}`,
		`POST /sessions/001010000000001/bearers/6/update {"ambr_dl":2000,"ambr_ul":1000}`,
		`DELETE /sessions/001010000000001/bearers/6 null`,
		`DELETE /sessions/001010000000001/bearers/9 null`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
