// Package dashboard serves the operations-centre web dashboard (the built
// single-page app of web/dist, embedded in the binary) as an http.Handler:
// correct content types, long-lived caching for content-hashed assets, no
// caching for index.html, and a fallback to index.html for any other GET
// so deep links load the app. It never serves /api/: the API server
// mounts this handler beside its own routes.
package dashboard

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"cityvitals/web"
)

// Cache policies: Vite names files under assets/ by their content hash, so
// they never change; index.html names the current hashes and must be
// revalidated on every load.
const (
	immutable   = "public, max-age=31536000, immutable"
	revalidate  = "no-cache"
	assetPrefix = "assets/"
)

// contentSecurityPolicy keeps the dashboard from loading anything
// off-site: it uses no CDN, tiles or web fonts, so the policy can be
// strict. Inline styles stay allowed for ECharts' tooltips.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"

// Handler serves files. Build it with New (the embedded build) or NewFS.
type Handler struct {
	files   fs.FS
	index   []byte
	modTime time.Time
}

// New serves the dashboard embedded in the binary.
func New() (*Handler, error) { return NewFS(web.Dist()) }

// NewFS serves the dashboard from files, which must hold index.html.
func NewFS(files fs.FS) (*Handler, error) {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: read index.html (was `npm run build` run in web/?): %w", err)
	}
	return &Handler{files: files, index: index, modTime: time.Now()}, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || name == "index.html" {
		h.serveIndex(w, r)
		return
	}
	if h.serveFile(w, r, name) {
		return
	}
	// A missing asset is a real 404: answering index.html for a script
	// URL would make the browser run HTML as JavaScript.
	if strings.HasPrefix(name+"/", assetPrefix) || path.Ext(name) != "" {
		http.NotFound(w, r)
		return
	}
	h.serveIndex(w, r)
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", revalidate)
	http.ServeContent(w, r, "index.html", h.modTime, bytes.NewReader(h.index))
}

// serveFile answers with the named file and reports whether it existed.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	f, err := h.files.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		return false
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		data, err := io.ReadAll(f)
		if err != nil {
			http.Error(w, "read "+name, http.StatusInternalServerError)
			return true
		}
		content = bytes.NewReader(data)
	}
	w.Header().Set("Content-Type", contentType(name))
	if strings.HasPrefix(name, assetPrefix) {
		w.Header().Set("Cache-Control", immutable)
	} else {
		w.Header().Set("Cache-Control", revalidate)
	}
	http.ServeContent(w, r, name, h.modTime, content)
	return true
}

// contentType fixes the types the system MIME table may lack or get wrong
// (a minimal container has no /etc/mime.types).
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".woff2":
		return "font/woff2"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}
