package hss

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Handler returns the REST API of subscriber administration:
//
//	GET    /healthz                    200 "ok"
//	GET    /subscribers                {"count": N}
//	POST   /subscribers                one SubscriberInput (JSON) or an array: 201
//	POST   /subscribers/import         CSV body (see ImportCSV): 200 {"imported": N}
//	GET    /subscribers/{imsi}         SubscriberView (JSON) or 404
//	PUT    /subscribers/{imsi}         SubscriberInput (JSON): 204
//	DELETE /subscribers/{imsi}         204 (Cancel-Location to the serving MME) or 404
//	POST   /subscribers/{imsi}/ambr    {"ambr_ul":N,"ambr_dl":N} bit/s: Insert-Subscriber-Data to the serving MME; 409 when none
//
// Errors are JSON {"error": "..."} with 400, 404 or 500.
func (h *HSS) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /subscribers", func(w http.ResponseWriter, _ *http.Request) {
		n, err := h.Count()
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"count": n})
	})
	mux.HandleFunc("POST /subscribers/{imsi}/ambr", func(w http.ResponseWriter, r *http.Request) {
		// A new UE-AMBR pushed to the serving MME (Insert-Subscriber-Data).
		var in struct {
			UL uint32 `json:"ambr_ul"`
			DL uint32 `json:"ambr_dl"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
			httpError(w, fmt.Errorf("%w: %v", ErrInvalidSubscriber, err))
			return
		}
		err := h.ChangeAMBR(r.Context(), r.PathValue("imsi"), in.UL, in.DL)
		if errors.Is(err, ErrNotRegistered) {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]uint32{"ambr_ul": in.UL, "ambr_dl": in.DL})
	})
	mux.HandleFunc("POST /subscribers", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			httpError(w, err)
			return
		}
		var ins []SubscriberInput
		if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "[") {
			err = json.Unmarshal(body, &ins)
		} else {
			var one SubscriberInput
			err = json.Unmarshal(body, &one)
			ins = append(ins, one)
		}
		if err != nil {
			httpError(w, fmt.Errorf("%w: %v", ErrInvalidSubscriber, err))
			return
		}
		subs := make([]Subscriber, 0, len(ins))
		for i := range ins {
			s, err := ins[i].Subscriber(h.cfg.Profile.APN)
			if err != nil {
				httpError(w, err)
				return
			}
			subs = append(subs, s)
		}
		if err := h.Put(subs...); err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]int{"created": len(subs)})
	})
	mux.HandleFunc("POST /subscribers/import", func(w http.ResponseWriter, r *http.Request) {
		n, err := h.ImportCSV(r.Body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "imported": n})
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"imported": n})
	})
	mux.HandleFunc("GET /subscribers/{imsi}", func(w http.ResponseWriter, r *http.Request) {
		v, err := h.Get(r.PathValue("imsi"))
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
	mux.HandleFunc("PUT /subscribers/{imsi}", func(w http.ResponseWriter, r *http.Request) {
		var in SubscriberInput
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			httpError(w, fmt.Errorf("%w: %v", ErrInvalidSubscriber, err))
			return
		}
		if in.IMSI == "" {
			in.IMSI = r.PathValue("imsi")
		}
		if in.IMSI != r.PathValue("imsi") {
			httpError(w, fmt.Errorf("%w: IMSI in body differs from the path", ErrInvalidSubscriber))
			return
		}
		s, err := in.Subscriber(h.cfg.Profile.APN)
		if err == nil {
			err = h.Put(s)
		}
		if err != nil {
			httpError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /subscribers/{imsi}", func(w http.ResponseWriter, r *http.Request) {
		if err := h.Delete(r.PathValue("imsi")); err != nil {
			httpError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func httpError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrUnknownSubscriber):
		code = http.StatusNotFound
	case errors.Is(err, ErrInvalidSubscriber):
		code = http.StatusBadRequest
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
