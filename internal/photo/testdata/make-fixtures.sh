#!/usr/bin/env bash
# Regenerates the image fixtures of internal/photo and the fuzz seed corpora.
# Every file this script writes is generated: change the script, not them.
# Needs Go, exiftool (Debian: libimage-exiftool-perl) and cwebp (Debian: webp).
# Run from anywhere: bash internal/photo/testdata/make-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")"
gen() { go run ./gen "$@"; }
et() { exiftool -q -overwrite_original "$@"; }

# A street-like picture with GPS at Changchun (Lüyuan District), taken
# 2024-06-15 10:30:00.25 at UTC+8.
gen photo 240 180 gps-ne.jpg
et -GPSVersionID=2.3.0.0 -GPSLatitude=43.88 -GPSLatitudeRef=N -GPSLongitude=125.27 -GPSLongitudeRef=E \
   -DateTimeOriginal='2024:06:15 10:30:00' -SubSecTimeOriginal=25 -OffsetTimeOriginal='+08:00' \
   -Make=inframap -Model=fixture gps-ne.jpg

# Southern and western hemispheres (Rio de Janeiro), with an offset that is
# not the district's, so that a reader which ignores the offset fails.
gen photo 240 180 gps-sw.jpg
et -GPSLatitude=22.9068 -GPSLatitudeRef=S -GPSLongitude=43.1729 -GPSLongitudeRef=W \
   -DateTimeOriginal='2023:12:01 08:00:00' -OffsetTimeOriginal='-03:00' gps-sw.jpg

# Stored 400x300 with the red marker top left; Orientation 6 (rotate 90° CW)
# shows it 300x400 with the marker top right.
gen photo 400 300 orient6.jpg
et -Orientation#=6 orient6.jpg

# No EXIF at all (image/jpeg writes none; -all= makes sure).
gen photo 240 180 noexif.jpg
et -all= noexif.jpg

# A taken-at time without offset: the district's zone applies.
gen photo 240 180 nooffset.jpg
et -DateTimeOriginal='2024:03:08 14:15:16' nooffset.jpg

# DateTimeOriginal claims 2^31-16 bytes: the photo must be accepted, without EXIF.
gen corrupt-exif gps-ne.jpg corrupt-exif.jpg

# Header intact, scan data cut: dimensions read, decoding fails.
head -c 4000 gps-ne.jpg > truncated.jpg

# 30000x30000 declared, a few bytes of pixels.
gen hugepng 30000 30000 huge.png

# A text file with a photo's name.
printf 'These are not the pixels you are looking for.\n' > text.jpg

# PNG with transparent bottom-right corner; WebP (lossy) of the same picture.
gen photo 320 240 photo.png -alpha
gen photo 320 240 webp-src.png
cwebp -quiet -q 70 webp-src.png -o photo.webp
rm webp-src.png
# EXIF lives in a PNG eXIf chunk and a WebP EXIF chunk (WebP becomes VP8X).
et -DateTimeOriginal='2024:05:01 09:00:00' -OffsetTimeOriginal='+08:00' photo.png photo.webp

# Seed corpora for go test -fuzz.
rm -f fuzz/FuzzProcess/seed-* fuzz/FuzzReadEXIF/seed-*  # found crashers stay
gen corpus fuzz/FuzzProcess gps-ne.jpg gps-sw.jpg orient6.jpg noexif.jpg nooffset.jpg \
  corrupt-exif.jpg truncated.jpg huge.png text.jpg photo.png photo.webp
gen corpus-exif fuzz/FuzzReadEXIF gps-ne.jpg gps-sw.jpg orient6.jpg nooffset.jpg corrupt-exif.jpg
ls -l *.jpg *.png *.webp
