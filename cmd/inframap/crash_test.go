package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"inframap/internal/postgres/pgtest"
)

// child is the server running as a process of its own.
type child struct {
	cmd  *exec.Cmd
	base string
}

func startChild(t *testing.T, env []string, args string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append(env, "INFRAMAP_TEST_CHILD="+args)...)
	out, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "serving on "); ok {
			c.base = strings.Fields(rest)[0]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if c.base == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the server did not start: %s", stderr.String())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return c
}

func (c *child) peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

func multipartPhoto(photo []byte, stage string) (*bytes.Buffer, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("stage", stage)
	w, _ := mw.CreateFormFile("photo", "p.jpg")
	w.Write(photo)
	mw.Close()
	return &body, mw.FormDataContentType()
}

func postPhoto(t *testing.T, base, path, tok string, photo []byte, key string) (int, map[string]any) {
	t.Helper()
	body, ctype := multipartPhoto(photo, "during")
	req, _ := http.NewRequest("POST", base+path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+tok)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// noisyJPEG is a photo-sized JPEG that does not compress away.
func noisyJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(7, 7))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	return b.Bytes()
}

// TestUploadsSurviveACrash runs the server as a process: a decompression
// bomb is refused from its header with the process's peak memory far below
// 200 MB; the server is killed in the middle of an upload; after a restart
// every committed photo has its files, nothing half-written has a row, and
// a retry with the key of a photo stored before the crash stores nothing.
func TestUploadsSurviveACrash(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.District)
	dir := t.TempDir()
	env := []string{"DATABASE_URL=" + url, "INFRAMAP_DATA_DIR=" + dir, "INFRAMAP_DEMO_PASSWORD=crash test password", "INFRAMAP_BCRYPT_COST=4",
		"INFRAMAP_LOG_LEVEL=warn"}
	c := startChild(t, env, "serve -demo -addr 127.0.0.1:0")
	var tok struct{ Token string }
	res, err := http.Post(c.base+"/api/v1/auth/tokens", "application/json", strings.NewReader(`{"email":"inspector@demo","password":"crash test password","name":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&tok)
	path := "/api/v1/tasks/1/photos"
	// The bomb: 30,000 × 30,000 pixels in 65 bytes.
	bomb, err := os.ReadFile(filepath.Join("..", "..", "internal", "photo", "testdata", "huge.png"))
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := postPhoto(t, c.base, path, tok.Token, bomb, ""); code != 422 {
		t.Errorf("the bomb: %d, want 422", code)
	}
	if peak := c.peakRSS(t); peak > 200<<20 {
		t.Errorf("peak RSS %d MB after the bomb, want under 200", peak>>20)
	} else {
		t.Logf("peak RSS after the bomb: %.1f MB", float64(peak)/(1<<20))
	}
	// Photos stored before the crash, one of them with a key.
	big := noisyJPEG(1600, 1200)
	var ids []float64
	for i := range 3 {
		photo := append(append([]byte{}, big...), byte(i))
		key := ""
		if i == 0 {
			key = "before-the-crash"
		}
		code, p := postPhoto(t, c.base, path, tok.Token, photo, key)
		if code != 201 {
			t.Fatalf("photo %d: %d %v", i, code, p)
		}
		ids = append(ids, p["id"].(float64))
	}
	// An upload in flight when the server dies: half the bytes sent, then
	// a kill.
	pr, pw := io.Pipe()
	body, ctype := multipartPhoto(append(append([]byte{}, big...), 99), "during")
	req, _ := http.NewRequest("POST", c.base+path, pr)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.ContentLength = int64(body.Len())
	done := make(chan error, 1)
	go func() {
		_, err := http.DefaultClient.Do(req)
		done <- err
	}()
	half := body.Bytes()[:body.Len()/2]
	pw.Write(half)
	time.Sleep(200 * time.Millisecond)
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
	pw.CloseWithError(io.ErrUnexpectedEOF)
	if err := <-done; err == nil {
		t.Error("the upload in flight was answered although the server died")
	}
	// After a restart: every row has its three files; the cut upload left
	// no row; a retry of a stored photo's key stores nothing new.
	c = startChild(t, env, "serve -addr 127.0.0.1:0")
	conn := pgtest.Conn(t, url)
	rows, err := conn.Query(t.Context(), `SELECT id, original_key, display_key, thumb_key FROM photos ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id int64
		var keys [3]string
		rows.Scan(&id, &keys[0], &keys[1], &keys[2])
		n++
		for _, k := range keys {
			if _, err := os.Stat(filepath.Join(dir, "photos", k)); err != nil {
				t.Errorf("photo %d: %s missing: %v", id, k, err)
			}
		}
	}
	rows.Close()
	if n != 3 {
		t.Errorf("%d photo rows after the crash, want the 3 committed before it", n)
	}
	code, p := postPhoto(t, c.base, path, tok.Token, append(append([]byte{}, big...), 0), "before-the-crash")
	if code != 201 || p["id"].(float64) != ids[0] {
		t.Errorf("retry after the restart: %d, id %v, want the first photo %v", code, p["id"], ids[0])
	}
	var count int
	conn.QueryRow(t.Context(), `SELECT count(*) FROM photos`).Scan(&count)
	if count != 3 {
		t.Errorf("%d photos after the retry, want 3", count)
	}
}

// TestGracefulShutdown: SIGTERM during an upload lets it finish and be
// answered before the process exits.
func TestGracefulShutdown(t *testing.T) {
	url := pgtest.NewURL(t, pgtest.District)
	dir := t.TempDir()
	env := []string{"DATABASE_URL=" + url, "INFRAMAP_DATA_DIR=" + dir, "INFRAMAP_DEMO_PASSWORD=drain test password", "INFRAMAP_BCRYPT_COST=4",
		"INFRAMAP_LOG_LEVEL=warn"}
	c := startChild(t, env, "serve -demo -addr 127.0.0.1:0")
	var tok struct{ Token string }
	res, err := http.Post(c.base+"/api/v1/auth/tokens", "application/json", strings.NewReader(`{"email":"inspector@demo","password":"drain test password","name":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&tok)
	body, ctype := multipartPhoto(noisyJPEG(800, 600), "after")
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", c.base+"/api/v1/tasks/2/photos", pr)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.ContentLength = int64(body.Len())
	type answer struct {
		code int
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{0, err}
			return
		}
		res.Body.Close()
		done <- answer{res.StatusCode, nil}
	}()
	all := body.Bytes()
	pw.Write(all[:len(all)/2])
	time.Sleep(200 * time.Millisecond)
	c.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	pw.Write(all[len(all)/2:])
	pw.Close()
	a := <-done
	if a.err != nil || a.code != 201 {
		t.Errorf("the upload in flight at SIGTERM: %d %v, want 201", a.code, a.err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the server exited with %v", err)
		}
	case <-time.After(35 * time.Second):
		t.Error("the server did not exit after draining")
	}
}
