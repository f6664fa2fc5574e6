package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"inframap/internal/blob"
	"inframap/internal/postgres/pgtest"
	"inframap/internal/s3test"
)

// TestPhotosInS3 keeps the photos in a real S3 server (SeaweedFS's weed,
// over HTTP): an upload is stored and read back as display and thumbnail;
// with the store down an upload fails cleanly (503, nothing written) and
// its retry with the same Idempotency-Key succeeds once the store is back;
// gc removes an orphan and keeps the photos; a backup carries the photos
// out of the bucket and a restore puts them into another, where the
// restored service shows them.
func TestPhotosInS3(t *testing.T) {
	srv := s3test.Start(t)
	srv.Env(t)
	bucket := srv.Bucket("photos")
	dir := t.TempDir()
	url := pgtest.NewURL(t, pgtest.District)
	env := map[string]string{"DATABASE_URL": url, "INFRAMAP_BCRYPT_COST": "4", "INFRAMAP_BLOB_URL": bucket,
		"INFRAMAP_DEMO_PASSWORD": "s3 test password", "INFRAMAP_LOG_LEVEL": "warn"}
	getenv := func(k string) string { return env[k] }
	base, stop := serve(t, env, "-demo", "-data-dir", filepath.Join(dir, "data"))
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	var tok struct{ Token string }
	res, err := http.Post(base+"/api/v1/auth/tokens", "application/json", strings.NewReader(`{"email":"inspector@demo","password":"s3 test password","name":"t"}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("token: %v %v", err, res.Status)
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	photo, err := os.ReadFile(filepath.Join("..", "..", "internal", "photo", "testdata", "gps-ne.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/tasks/1/photos"
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	count := func() int {
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM photos WHERE task_id = 1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()

	// Stored in the bucket and read back through the service.
	code, out := postPhoto(t, base, path, tok.Token, photo, "s3-first")
	if code != 201 {
		t.Fatalf("upload: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	display := get(t, base+"/api/v1/photos/"+strconv.FormatInt(id, 10)+"/display", tok.Token)
	thumb := get(t, base+"/api/v1/photos/"+strconv.FormatInt(id, 10)+"/thumb", tok.Token)
	if len(display) < 1000 || len(thumb) < 100 || !bytes.HasPrefix(display, []byte{0xff, 0xd8}) {
		t.Fatalf("read back: display %d bytes, thumb %d bytes", len(display), len(thumb))
	}
	b, err := blob.Open(t.Context(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	keys := func() []string {
		var ks []string
		for o, err := range b.List(t.Context(), "") {
			if err != nil {
				t.Fatal(err)
			}
			ks = append(ks, o.Key)
		}
		return ks
	}
	if n := len(keys()); n != 3 {
		t.Fatalf("the bucket holds %d objects after one photo, want 3 (original, display, thumbnail): %v", n, keys())
	}

	// The store goes away: the upload fails cleanly, nothing is written.
	srv.Stop()
	second := append(bytes.Clone(photo[:len(photo)-2]), 0x00, 0xff, 0xd9) // another photo: other bytes, still a JPEG
	code, out = postPhoto(t, base, path, tok.Token, second, "s3-outage")
	if code != 503 {
		t.Fatalf("upload with the store down: %d %v, want 503", code, out)
	}
	if n := count(); n != before+1 {
		t.Fatalf("%d photos after the failed upload, want %d", n, before+1)
	}
	// It comes back: the same request, same key, is stored once.
	srv.Restart()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, out = postPhoto(t, base, path, tok.Token, second, "s3-outage")
		if code == 201 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second) // the store settles after its restart
	}
	if code != 201 {
		t.Fatalf("retry once the store is back: %d %v", code, out)
	}
	if code, _ = postPhoto(t, base, path, tok.Token, second, "s3-outage"); code != 201 || count() != before+2 {
		t.Fatalf("a replay stored again: %d, %d photos", code, count())
	}

	// gc: an orphan goes, the photos stay.
	if err := b.Put(t.Context(), "photos/00/orphan/original.jpg", bytes.NewReader(photo), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	var gcOut strings.Builder
	if err := run(context.Background(), []string{"inframap", "gc", "-grace", "0s"}, getenv, nil, &gcOut, io.Discard); err != nil {
		t.Fatalf("gc: %v", err)
	}
	if !strings.Contains(gcOut.String(), "1 orphans removed") {
		t.Errorf("gc said %q", gcOut.String())
	}
	if ks := keys(); len(ks) != 6 || strings.Contains(strings.Join(ks, " "), "orphan") {
		t.Errorf("after gc the bucket holds %v", ks)
	}

	// Backup out of the bucket, restore into another.
	stop()
	stop = nil
	var bout strings.Builder
	if err := run(context.Background(), []string{"inframap", "backup", "-o", filepath.Join(dir, "backup")}, getenv, nil, &bout, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if !strings.Contains(bout.String(), "6 photo files") {
		t.Errorf("backup said %q", bout.String())
	}
	dst := pgtest.NewURL(t, pgtest.Bare)
	env2 := map[string]string{"DATABASE_URL": dst, "INFRAMAP_BCRYPT_COST": "4", "INFRAMAP_BLOB_URL": srv.Bucket("restored"), "INFRAMAP_LOG_LEVEL": "warn"}
	var rout strings.Builder
	if err := run(context.Background(), []string{"inframap", "restore", "-from", filepath.Join(dir, "backup")}, func(k string) string { return env2[k] }, nil, &rout, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(rout.String(), "6 photo files match") {
		t.Errorf("restore said %q", rout.String())
	}
	base2, stop2 := serve(t, env2, "-data-dir", filepath.Join(dir, "data2"))
	defer stop2()
	res, err = http.Post(base2+"/api/v1/auth/tokens", "application/json", strings.NewReader(`{"email":"inspector@demo","password":"s3 test password","name":"t"}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("token after restore: %v %v", err, res.Status)
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if again := get(t, base2+"/api/v1/photos/"+strconv.FormatInt(id, 10)+"/display", tok.Token); !bytes.Equal(again, display) {
		t.Errorf("the restored service shows %d bytes for the photo, the first %d", len(again), len(display))
	}
}

// get fetches u with a bearer token and returns the body of a 200.
func get(t *testing.T, u, tok string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
	}
	return b
}
