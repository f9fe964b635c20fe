// Package web holds the dashboard's front-end sources (built with npm and
// Vite) and exposes the built assets, web/dist, to Go. It lives here
// because //go:embed cannot reach outside its package's directory; package
// dashboard serves these files.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built dashboard: index.html at the root, hashed
// assets under assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only on an invalid path, and "dist" is a constant.
		panic(err)
	}
	return sub
}
