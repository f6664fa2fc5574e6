package exchange

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
	geomkml "github.com/twpayne/go-geom/encoding/kml"
	"github.com/twpayne/go-kml/v3"

	"inframap/internal/maint"
)

// kmlWriter writes a KML 2.2 document with a Folder per kind and a Placemark
// per asset: its name, its English name as the description, and every other
// field and attribute as ExtendedData (values encoded as CSV cells are).
// Elements are built with go-kml and encoded one Placemark at a time, so the
// document streams; encoding/xml escapes all text.
type kmlWriter struct {
	enc    *xml.Encoder
	keys   []string
	folder maint.Kind
}

func newKMLWriter(w io.Writer) *kmlWriter { return &kmlWriter{enc: xml.NewEncoder(w)} }

var (
	kmlRoot     = xml.StartElement{Name: xml.Name{Space: kml.Namespace, Local: "kml"}}
	kmlDocument = xml.StartElement{Name: xml.Name{Local: "Document"}}
	kmlFolder   = xml.StartElement{Name: xml.Name{Local: "Folder"}}
)

func (k *kmlWriter) Begin(keys []string) error {
	if err := checkKeys(keys); err != nil {
		return err
	}
	k.keys = keys
	if err := k.enc.EncodeToken(xml.ProcInst{Target: "xml", Inst: []byte(`version="1.0" encoding="UTF-8"`)}); err != nil {
		return err
	}
	for _, t := range []xml.Token{xml.CharData("\n"), kmlRoot, kmlDocument} {
		if err := k.enc.EncodeToken(t); err != nil {
			return err
		}
	}
	return k.enc.Encode(kml.Name("绿园区市政设施 Lüyuan District municipal assets"))
}

func (k *kmlWriter) Write(e *maint.ExportedAsset) error {
	a := &e.Asset
	if a.Kind != k.folder {
		if k.folder != "" {
			if err := k.enc.EncodeToken(kmlFolder.End()); err != nil {
				return err
			}
		}
		k.folder = a.Kind
		if err := k.enc.EncodeToken(kmlFolder); err != nil {
			return err
		}
		if err := k.enc.Encode(kml.Name(a.Kind.Name() + " " + a.Kind.NameEn())); err != nil {
			return err
		}
	}
	g, err := ewkb.Unmarshal(a.Geometry)
	if err != nil {
		return fmt.Errorf("asset %s: geometry: %w", a.Code, err)
	}
	roundCoords(g)
	ge, err := geomkml.Encode(g)
	if err != nil {
		return fmt.Errorf("asset %s: geometry: %w", a.Code, err)
	}
	attrs, err := attrCells(a.Attrs)
	if err != nil {
		return fmt.Errorf("asset %s: %w", a.Code, err)
	}
	data := []kml.Element{
		kml.Data("code", kml.Value(a.Code)),
		kml.Data("kind", kml.Value(string(a.Kind))),
		kml.Data("name_en", kml.Value(a.NameEn)),
		kml.Data("parent_code", kml.Value(e.ParentCode)),
		kml.Data("subdistrict", kml.Value(a.Subdistrict)),
		kml.Data("status", kml.Value(statusText(a.Status))),
		kml.Data("status_at", kml.Value(formatTime(a.StatusAt))),
	}
	for _, key := range k.keys {
		if v, ok := attrs[key]; ok {
			data = append(data, kml.Data(key, kml.Value(v)))
		}
	}
	pm := kml.Placemark(kml.Name(a.Name), kml.Description(a.NameEn), kml.ExtendedData(data...), ge)
	if err := k.enc.EncodeToken(xml.CharData("\n")); err != nil {
		return err
	}
	return k.enc.Encode(pm)
}

func (k *kmlWriter) End() error {
	var end []xml.Token
	if k.folder != "" {
		end = append(end, kmlFolder.End())
	}
	end = append(end, kmlDocument.End(), kmlRoot.End(), xml.CharData("\n"))
	for _, t := range end {
		if err := k.enc.EncodeToken(t); err != nil {
			return err
		}
	}
	return k.enc.Flush()
}

// roundCoords rounds coordinates to seven decimals of a degree (about a
// centimetre), as the GeoJSON and WKT exports give them.
func roundCoords(g geom.T) {
	flat := g.FlatCoords()
	for i := range flat {
		flat[i] = math.Round(flat[i]*1e7) / 1e7
	}
}
