package simulate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"cityvitals/model"
)

// HTTPSink posts readings to a CityVitals server's ingest endpoint as
// NDJSON, naming streams by their external keys.
type HTTPSink struct {
	endpoint string
	token    string
	client   *http.Client
}

// NewHTTPSink sends to base (the server's root URL, e.g.
// http://127.0.0.1:8080) with a device token. EINVALID for a URL that is
// not http(s) or an empty token.
func NewHTTPSink(base, token string, client *http.Client) (*HTTPSink, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, model.Errorf(model.EINVALID, "server URL %q must be http(s)://host[:port]", clip(base))
	}
	if strings.TrimSpace(token) == "" {
		return nil, model.Errorf(model.EINVALID, "a device token is needed to send observations")
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &HTTPSink{endpoint: strings.TrimRight(base, "/") + "/api/v1/observations", token: token, client: client}, nil
}

// Send posts one batch. A refused token is EUNAUTHORIZED or EFORBIDDEN;
// any other failure (a full ingest queue, every item rejected) is a plain
// error naming the status and the server's answer.
func (h *HTTPSink) Send(ctx context.Context, rs []Reading) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint, bytes.NewReader(ndjson(rs)))
	if err != nil {
		return fmt.Errorf("post observations: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("post observations: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized:
		return model.Errorf(model.EUNAUTHORIZED, "post observations: HTTP 401: %s", bytes.TrimSpace(body))
	case http.StatusForbidden:
		return model.Errorf(model.EFORBIDDEN, "post observations: HTTP 403: %s", bytes.TrimSpace(body))
	}
	return fmt.Errorf("post observations: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
}

// ndjson is a batch as the ingest API and the MQTT observations topic
// take it: one item per line, streams named by their external keys.
func ndjson(rs []Reading) []byte {
	var buf bytes.Buffer
	buf.Grow(len(rs) * 72)
	for _, r := range rs {
		buf.WriteString(`{"datastream":`)
		buf.WriteString(strconv.Quote(r.Key))
		buf.WriteString(`,"time":`)
		buf.WriteString(strconv.FormatInt(r.Time.UnixMilli(), 10))
		buf.WriteString(`,"value":`)
		buf.WriteString(strconv.FormatFloat(r.Value, 'g', 6, 64))
		buf.WriteString("}\n")
	}
	return buf.Bytes()
}
