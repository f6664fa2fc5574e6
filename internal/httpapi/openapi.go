package httpapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"inframap/internal/geojson"
	"inframap/internal/httpx"
	"net/http"
	"strconv"
	"sync"

	"go.yaml.in/yaml/v3"
)

// The API descriptions are written by hand as YAML (openapi/*.yaml) and
// served as JSON, converted once with the document's order kept.
//
//go:embed openapi/*.yaml
var openapiFiles embed.FS

// OpenAPI returns the description of /api/v1 (OpenAPI 3.1) and of /ogc
// (OpenAPI 3.0) as JSON, for tests and tools.
func OpenAPI() (api, ogc []byte, err error) {
	d := openapiDocs()
	return d.api, d.ogc, d.err
}

var openapiDocs = sync.OnceValue(func() (d struct {
	api, ogc []byte
	err      error
}) {
	d.api, d.err = yamlFileAsJSON("openapi/api.yaml")
	if d.err == nil {
		d.ogc, d.err = yamlFileAsJSON("openapi/ogc.yaml")
	}
	return d
})

func yamlFileAsJSON(name string) ([]byte, error) {
	src, err := openapiFiles.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b, err := appendYAMLAsJSON(nil, &doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", " "); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return append(buf.Bytes(), '\n'), nil
}

// appendYAMLAsJSON appends a YAML node as JSON, keeping mapping order.
func appendYAMLAsJSON(b []byte, n *yaml.Node) ([]byte, error) {
	var err error
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: want one document", n.Line)
		}
		return appendYAMLAsJSON(b, n.Content[0])
	case yaml.AliasNode:
		return appendYAMLAsJSON(b, n.Alias)
	case yaml.MappingNode:
		b = append(b, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			b = geojson.AppendString(b, n.Content[i].Value)
			b = append(b, ':')
			if b, err = appendYAMLAsJSON(b, n.Content[i+1]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case yaml.SequenceNode:
		b = append(b, '[')
		for i, c := range n.Content {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendYAMLAsJSON(b, c); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return append(b, "null"...), nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
			j, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
			return append(b, j...), nil
		}
		return geojson.AppendString(b, n.Value), nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// serveOpenAPI serves one of the descriptions.
func serveOpenAPI(ogc bool, contentType string) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpx.ReadParams(r, "f")
		if err == nil {
			err = p.Format("json")
		}
		if err != nil {
			return err
		}
		api, ogcDoc, err := OpenAPI()
		if err != nil {
			return err
		}
		body := api
		if ogc {
			body = ogcDoc
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("Cache-Control", "public, max-age=300")
		if r.Method != http.MethodHead {
			w.Write(body)
		}
		return nil
	})
}
