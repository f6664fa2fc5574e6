package photo

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"
)

// sniffLen is how many leading bytes sniff needs.
const sniffLen = 12

// sniff names the media type from the file's magic bytes, or "" for
// anything but JPEG, PNG and WebP. The decoders are called by type below
// rather than through image.Decode, so a format that another package
// registers (GIF, BMP, TIFF) is never accepted by accident.
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}

// decodeConfig reads the dimensions from the header alone.
func decodeConfig(mediaType string, r io.Reader) (image.Config, error) {
	switch mediaType {
	case "image/jpeg":
		return jpeg.DecodeConfig(r)
	case "image/png":
		return png.DecodeConfig(r)
	case "image/webp":
		return webp.DecodeConfig(r)
	}
	return image.Config{}, fmt.Errorf("decode config: unknown media type %q", mediaType)
}

// decode decodes the whole picture. Callers check the header's size first:
// the decoders allocate what the header asks for.
func decode(mediaType string, r io.Reader) (image.Image, error) {
	switch mediaType {
	case "image/jpeg":
		return jpeg.Decode(r)
	case "image/png":
		return png.Decode(r)
	case "image/webp":
		return webp.Decode(r)
	}
	return nil, fmt.Errorf("decode: unknown media type %q", mediaType)
}
