// Package web holds the front end: the public map, the engineers' console
// and the inspectors' field page, served from this embedded tree. Leaflet and
// its plugins are vendored under public/vendor by `make web`; the browser
// tests live beside them.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:public
var files embed.FS

// FS returns the files the service serves.
func FS() fs.FS {
	sub, err := fs.Sub(files, "public")
	if err != nil {
		panic(err)
	}
	return sub
}
