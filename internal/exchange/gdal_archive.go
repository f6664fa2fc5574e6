package exchange

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"inframap/internal/maint"
)

// ArchiveLimits bound what an uploaded zip may unpack to. They are judged
// from the archive's central directory before anything is written, and
// again as each entry is copied (a directory may lie about sizes).
type ArchiveLimits struct {
	// MaxEntries is the most files and folders an archive may hold
	// (default 10,000: a file geodatabase has a few per table).
	MaxEntries int
	// MaxBytes is the most bytes its files may unpack to (default 2 GiB).
	MaxBytes int64
}

func (l ArchiveLimits) withDefaults() ArchiveLimits {
	if l.MaxEntries == 0 {
		l.MaxEntries = 10000
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = 2 << 30
	}
	return l
}

// archiveError is the problem of an archive refused before unpacking.
func archiveError(format string, args ...any) error {
	return maint.NewImportError(maint.CodeInvalid,
		[]maint.ImportProblem{maint.RowRef{}.Problem("", "", fmt.Sprintf(format, args...))}, 1, "nothing was unpacked")
}

// CheckArchive judges a zip archive before anything is unpacked: every
// entry's name stays inside the archive's folder (no absolute paths, no
// "..", no links), there are at most MaxEntries entries, and their sizes
// sum to at most MaxBytes.
func CheckArchive(zr *zip.Reader, lim ArchiveLimits) error {
	lim = lim.withDefaults()
	if len(zr.File) > lim.MaxEntries {
		return archiveError("the archive has %d entries; at most %d are accepted", len(zr.File), lim.MaxEntries)
	}
	var total uint64
	for _, f := range zr.File {
		if _, err := entryPath(f.Name); err != nil {
			return err
		}
		if f.Mode()&os.ModeSymlink != 0 {
			return archiveError("the archive entry %q is a symbolic link; links are not unpacked", f.Name)
		}
		total += f.UncompressedSize64
		if total > uint64(lim.MaxBytes) {
			return archiveError("the archive unpacks to more than %d MB; at most %d MB are accepted", lim.MaxBytes>>20, lim.MaxBytes>>20)
		}
	}
	return nil
}

// entryPath is an entry's name as a relative, clean, slash-separated path,
// or a problem when it would land outside the folder it is unpacked in.
func entryPath(name string) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	clean := path.Clean(n)
	if n == "" || path.IsAbs(n) || clean == ".." || strings.HasPrefix(clean, "../") ||
		filepath.VolumeName(n) != "" || strings.Contains(n, ":") {
		return "", archiveError("the archive entry %q lies outside the archive's folder; nothing was unpacked", name)
	}
	return clean, nil
}

// checkArchiveFile judges the zip archive at path (CheckArchive).
func checkArchiveFile(path string, lim ArchiveLimits) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return archiveError("the file is not a readable zip archive: %v", err)
	}
	defer zr.Close()
	return CheckArchive(&zr.Reader, lim)
}

// Unpack checks a zip archive (CheckArchive) and unpacks it into dir,
// counting the bytes as they are written so that an entry larger than its
// directory says is cut off at the limit.
func Unpack(zipPath, dir string, lim ArchiveLimits) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return archiveError("the file is not a readable zip archive: %v", err)
	}
	defer zr.Close()
	if err := CheckArchive(&zr.Reader, lim); err != nil {
		return err
	}
	lim = lim.withDefaults()
	left := lim.MaxBytes
	for _, f := range zr.File {
		rel, _ := entryPath(f.Name)
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if f.FileInfo().IsDir() || strings.HasSuffix(f.Name, "/") {
			if err := os.MkdirAll(dst, 0o700); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		n, err := unpackEntry(f, dst, left)
		if err != nil {
			return err
		}
		left -= n
	}
	return nil
}

func unpackEntry(f *zip.File, dst string, left int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, archiveError("the archive entry %q cannot be read: %v", f.Name, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, archiveError("the archive entry %q cannot be unpacked (twice in the archive?): %v", f.Name, err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, left+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, archiveError("the archive entry %q cannot be read: %v", f.Name, err)
	}
	if n > left {
		return n, archiveError("the archive unpacks to more bytes than its directory says and than the limit allows")
	}
	return n, nil
}
