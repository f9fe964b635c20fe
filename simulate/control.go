package simulate

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"cityvitals/model"
)

// maxControlBody bounds an injection request; a real one is a few dozen
// bytes.
const maxControlBody = 4096

// ControlHandler serves the simulator's scenarios over HTTP:
//
//	GET  /scenarios         → {"scenarios": [ScenarioInfo…], "injections": [Injection…]}
//	POST /scenarios/{name}  {"unit": "310101001", "at": "…"} (both optional) → 201 Injection
//
// Errors are problem documents with the model error code. It does no
// authentication: mount it behind the API's (admin or operator) or on a
// loopback listener with its own secret.
func ControlHandler(sim *Simulator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /scenarios", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"scenarios": Scenarios(), "injections": sim.Injections()})
	})
	mux.HandleFunc("POST /scenarios/{name}", func(w http.ResponseWriter, r *http.Request) {
		var opts InjectOptions
		body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
		switch {
		case err != nil:
			writeProblem(w, model.Errorf(model.EINVALID, "read body: %v", err))
			return
		case len(body) > maxControlBody:
			writeProblem(w, model.Errorf(model.ETOOLARGE, "body is larger than %d bytes", maxControlBody))
			return
		case len(body) > 0:
			if err := json.Unmarshal(body, &opts); err != nil {
				writeProblem(w, model.Errorf(model.EINVALID, "body: want {\"unit\": CODE, \"at\": RFC 3339}: %v", err))
				return
			}
		}
		inj, err := sim.Inject(r.Context(), r.PathValue("name"), opts)
		if err != nil {
			writeProblem(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, inj)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var statusOf = map[string]int{
	model.EINVALID: http.StatusBadRequest, model.ENOTFOUND: http.StatusNotFound,
	model.ETOOLARGE: http.StatusRequestEntityTooLarge,
}

// writeProblem answers an RFC 7807 document; errors without a model code
// are internal and their text is not sent.
func writeProblem(w http.ResponseWriter, err error) {
	code, detail := model.ErrorCode(err), model.ErrorMessage(err)
	status, ok := statusOf[code]
	var me *model.Error
	if !ok || !errors.As(err, &me) {
		status, code, detail = http.StatusInternalServerError, model.EINTERNAL, "internal error"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "code": code, "detail": detail})
}
