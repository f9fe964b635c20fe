package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"cityvitals/dashboard"
)

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, method, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

var testFiles = fstest.MapFS{
	"index.html":            {Data: []byte(`<!doctype html><script type="module" src="/assets/main-abc.js"></script>`)},
	"assets/main-abc.js":    {Data: []byte(`console.log("app")`)},
	"assets/main-abc.css":   {Data: []byte(`body{}`)},
	"bench.html":            {Data: []byte(`<!doctype html>bench`)},
	"assets/icon-abc.svg":   {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"assets/sub/nested.txt": {Data: []byte(`hello`)},
}

func TestHandlerServesFilesWithTypesAndCaching(t *testing.T) {
	h, err := dashboard.NewFS(testFiles)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	tests := []struct {
		path, status, contentType, cache, body string
	}{
		{"/", "200", "text/html; charset=utf-8", "no-cache", "<!doctype html><script"},
		{"/index.html", "200", "text/html; charset=utf-8", "no-cache", "<!doctype html><script"},
		{"/assets/main-abc.js", "200", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", `console.log("app")`},
		{"/assets/main-abc.css", "200", "text/css; charset=utf-8", "public, max-age=31536000, immutable", "body{}"},
		{"/assets/icon-abc.svg", "200", "image/svg+xml", "public, max-age=31536000, immutable", "<svg"},
		{"/bench.html", "200", "text/html; charset=utf-8", "no-cache", "<!doctype html>bench"},
		// SPA fallback: deep links without a file extension load the app.
		{"/unit/310101", "200", "text/html; charset=utf-8", "no-cache", "<!doctype html><script"},
		{"/incident/42/", "200", "text/html; charset=utf-8", "no-cache", "<!doctype html><script"},
		// Missing assets are real 404s, never index.html run as a script.
		{"/assets/gone-123.js", "404", "text/plain; charset=utf-8", "", "404 page not found"},
		{"/favicon.ico", "404", "text/plain; charset=utf-8", "", "404 page not found"},
		{"/assets/", "404", "text/plain; charset=utf-8", "", "404 page not found"},
		// Traversal is cleaned to a path inside the build: the app, not the file.
		{"/../../etc/passwd", "200", "text/html; charset=utf-8", "no-cache", "<!doctype html><script"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, http.MethodGet, srv.URL+tc.path, nil)
			if got := resp.Status[:3]; got != tc.status {
				t.Fatalf("status %s, want %s (body %.80q)", resp.Status, tc.status, body)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			if !strings.HasPrefix(body, tc.body) {
				t.Errorf("body %.80q, want it to start with %q", body, tc.body)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q: off-site loads not forbidden", csp)
			}
		})
	}
}

func TestHandlerRevalidatesAndRefusesWrites(t *testing.T) {
	h, err := dashboard.NewFS(testFiles)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	first, _ := get(t, http.MethodGet, srv.URL+"/assets/main-abc.js", nil)
	lastMod := first.Header.Get("Last-Modified")
	if lastMod == "" {
		t.Fatal("no Last-Modified on an asset")
	}
	again, body := get(t, http.MethodGet, srv.URL+"/assets/main-abc.js", map[string]string{"If-Modified-Since": lastMod})
	if again.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("conditional GET: %s with %d bytes, want 304 and no body", again.Status, len(body))
	}
	head, body := get(t, http.MethodHead, srv.URL+"/unit/310101", nil)
	if head.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD: %s with %d bytes, want 200 and no body", head.Status, len(body))
	}
	post, _ := get(t, http.MethodPost, srv.URL+"/", nil)
	if post.StatusCode != http.StatusMethodNotAllowed || post.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %s Allow %q, want 405 with Allow: GET, HEAD", post.Status, post.Header.Get("Allow"))
	}
}

func TestNewFSNeedsIndex(t *testing.T) {
	_, err := dashboard.NewFS(fstest.MapFS{"assets/a.js": {Data: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), "index.html") {
		t.Fatalf("NewFS without index.html: %v, want an error naming index.html", err)
	}
}

// TestEmbeddedBuildIsComplete checks the committed web/dist: index.html
// loads scripts and styles that the handler serves from the binary.
func TestEmbeddedBuildIsComplete(t *testing.T) {
	h, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	_, index := get(t, http.MethodGet, srv.URL+"/", nil)
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d assets, want the script and the stylesheet:\n%s", len(refs), index)
	}
	for _, ref := range refs {
		resp, body := get(t, http.MethodGet, srv.URL+ref[1], nil)
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("%s: %s, %d bytes", ref[1], resp.Status, len(body))
		}
		if resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", ref[1], resp.Header.Get("Cache-Control"))
		}
	}
}
