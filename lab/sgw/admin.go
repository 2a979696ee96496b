package sgw

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/lte-mme/mme/gtp"
)

// AdminHandler serves the emulator's admin API (JSON over HTTP):
//
//	GET    /healthz                          200 "ok"
//	GET    /stats                            S11 endpoint counters and procedure counts
//	GET    /sessions                         UE contexts
//	GET    /sessions/{imsi}                  one UE context
//	POST   /sessions/{imsi}/ddn              downlink data for an idle UE: DDN, waits for the Ack
//	POST   /sessions/{imsi}/bearers          dedicated bearer: Create Bearer Request
//	                                         body {"lbi":5,"qci":1,"arp_pl":2,"mbr_ul":128,...,"tft":"hex"}
//	POST   /sessions/{imsi}/bearers/{ebi}/update  Update Bearer Request
//	                                         body {"qci":..,"arp_pl":..,"ambr_ul":..,"ambr_dl":..}
//	DELETE /sessions/{imsi}/bearers/{ebi}    Delete Bearer Request (the PDN if ebi is its default bearer)
//
// Errors are {"error": "...", "cause": N}: 404 unknown UE or bearer, 409 UE
// not idle, 502 the MME rejected (cause) or did not answer.
func (e *Emulator) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"s11": e.ep.Stats(), "procedures": e.Counts()})
	})
	mux.HandleFunc("GET /sessions", func(w http.ResponseWriter, _ *http.Request) {
		ues := e.UEs()
		out := make([]ueJSON, len(ues))
		for k := range ues {
			out[k] = toJSON(&ues[k])
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /sessions/{imsi}", func(w http.ResponseWriter, r *http.Request) {
		ue, ok := e.UE(r.PathValue("imsi"))
		if !ok {
			writeErr(w, ErrNoUE)
			return
		}
		writeJSON(w, http.StatusOK, toJSON(&ue))
	})
	mux.HandleFunc("POST /sessions/{imsi}/ddn", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := e.requestContext(r)
		defer cancel()
		c, err := e.DownlinkData(ctx, r.PathValue("imsi"))
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"cause": c, "cause_name": c.String()})
	})
	mux.HandleFunc("POST /sessions/{imsi}/bearers", func(w http.ResponseWriter, r *http.Request) {
		var body bearerJSON
		if err := decodeBody(w, r, &body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		br := BearerRequest{LBI: body.LBI, QoS: body.qos()}
		if body.TFT != "" {
			tft, err := hex.DecodeString(body.TFT)
			if err != nil || len(tft) == 0 {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": "tft: want non-empty hex"})
				return
			}
			br.TFT = tft
		}
		ctx, cancel := e.requestContext(r)
		defer cancel()
		ebi, err := e.CreateBearer(ctx, r.PathValue("imsi"), br)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ebi": ebi})
	})
	mux.HandleFunc("POST /sessions/{imsi}/bearers/{ebi}/update", func(w http.ResponseWriter, r *http.Request) {
		ebi, err := strconv.ParseUint(r.PathValue("ebi"), 10, 4)
		var body bearerJSON
		if err == nil {
			err = decodeBody(w, r, &body)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		var ambr *gtp.AMBR
		if body.AMBRUplink != 0 || body.AMBRDownlink != 0 {
			ambr = &gtp.AMBR{Uplink: body.AMBRUplink, Downlink: body.AMBRDownlink}
		}
		ctx, cancel := e.requestContext(r)
		defer cancel()
		if err := e.UpdateBearer(ctx, r.PathValue("imsi"), uint8(ebi), body.qos(), ambr); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ebi": ebi})
	})
	mux.HandleFunc("DELETE /sessions/{imsi}/bearers/{ebi}", func(w http.ResponseWriter, r *http.Request) {
		ebi, err := strconv.ParseUint(r.PathValue("ebi"), 10, 4)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		ctx, cancel := e.requestContext(r)
		defer cancel()
		if err := e.DeleteBearer(ctx, r.PathValue("imsi"), uint8(ebi)); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ebi": ebi})
	})
	return mux
}

// requestContext bounds an admin call by the S11 retransmission budget.
func (e *Emulator) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	c := e.cfg.S11
	t3, n3 := c.T3, c.N3
	if t3 <= 0 {
		t3 = 3 * time.Second
	}
	if n3 <= 0 {
		n3 = 3
	}
	return context.WithTimeout(r.Context(), t3*time.Duration(n3+2))
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	var rej *RejectedError
	switch {
	case errors.Is(err, ErrNoUE), errors.Is(err, ErrNoBearer):
		writeJSON(w, http.StatusNotFound, map[string]any{"error": err.Error()})
	case errors.Is(err, ErrNotIdle):
		writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error()})
	case errors.As(err, &rej):
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": err.Error(), "cause": rej.Cause})
	default:
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": err.Error()})
	}
}

type bearerJSON struct {
	LBI          uint8  `json:"lbi,omitempty"`
	QCI          uint8  `json:"qci,omitempty"`
	ARPPL        uint8  `json:"arp_pl,omitempty"`
	MBRUplink    uint64 `json:"mbr_ul,omitempty"`
	MBRDownlink  uint64 `json:"mbr_dl,omitempty"`
	GBRUplink    uint64 `json:"gbr_ul,omitempty"`
	GBRDownlink  uint64 `json:"gbr_dl,omitempty"`
	TFT          string `json:"tft,omitempty"`
	AMBRUplink   uint32 `json:"ambr_ul,omitempty"`
	AMBRDownlink uint32 `json:"ambr_dl,omitempty"`
}

func (b *bearerJSON) qos() gtp.BearerQoS {
	if b.QCI == 0 {
		return gtp.BearerQoS{}
	}
	pl := b.ARPPL
	if pl == 0 {
		pl = 8
	}
	return gtp.BearerQoS{QCI: b.QCI, ARP: gtp.ARP{PL: pl}, MBRUplink: b.MBRUplink, MBRDownlink: b.MBRDownlink,
		GBRUplink: b.GBRUplink, GBRDownlink: b.GBRDownlink}
}

type ueJSON struct {
	IMSI       string    `json:"imsi"`
	MME        string    `json:"mme"`
	MMETEID    uint32    `json:"mme_teid"`
	SGWTEID    uint32    `json:"sgw_teid"`
	Idle       bool      `json:"idle"`
	DDNPending bool      `json:"ddn_pending"`
	PDNs       []pdnJSON `json:"pdns"`
}

type pdnJSON struct {
	APN     string       `json:"apn"`
	LBI     uint8        `json:"lbi"`
	IPv4    string       `json:"ipv4,omitempty"`
	IPv6    string       `json:"ipv6,omitempty"`
	AMBR    gtp.AMBR     `json:"ambr"`
	Bearers []bearerInfo `json:"bearers"`
}

type bearerInfo struct {
	EBI        uint8  `json:"ebi"`
	QCI        uint8  `json:"qci"`
	S1USGWTEID uint32 `json:"s1u_sgw_teid"`
	ENBTEID    uint32 `json:"enb_teid,omitempty"`
	ENBAddr    string `json:"enb_addr,omitempty"`
}

func toJSON(ue *UE) ueJSON {
	out := ueJSON{IMSI: ue.IMSI, MME: ue.MME.String(), MMETEID: ue.MMETEID, SGWTEID: ue.SGWTEID, Idle: ue.Idle,
		DDNPending: ue.DDNPending, PDNs: []pdnJSON{}}
	for lbi := uint8(0); lbi < 16; lbi++ {
		p := ue.PDNs[lbi]
		if p == nil {
			continue
		}
		pj := pdnJSON{APN: p.APN, LBI: p.LBI, AMBR: p.AMBR, Bearers: []bearerInfo{}}
		if p.PAA.IPv4.IsValid() {
			pj.IPv4 = p.PAA.IPv4.String()
		}
		if p.PAA.IPv6.IsValid() {
			pj.IPv6 = p.PAA.IPv6.String()
		}
		for ebi := uint8(0); ebi < 16; ebi++ {
			if b := p.Bearers[ebi]; b != nil {
				bi := bearerInfo{EBI: b.EBI, QCI: b.QoS.QCI, S1USGWTEID: b.S1USGW.TEID, ENBTEID: b.ENodeB.TEID}
				if !b.ENodeB.IsZero() {
					if b.ENodeB.IPv4.IsValid() {
						bi.ENBAddr = b.ENodeB.IPv4.String()
					} else {
						bi.ENBAddr = b.ENodeB.IPv6.String()
					}
				}
				pj.Bearers = append(pj.Bearers, bi)
			}
		}
		out.PDNs = append(out.PDNs, pj)
	}
	return out
}
