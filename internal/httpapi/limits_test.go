package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"inframap/internal/httpapi"
	"inframap/internal/postgres/pgtest"
	"inframap/web"
)

// TestLimitsHoldAcrossCopies: two copies of the service on one database
// (as behind a load balancer) share their limits: an address gets the
// report burst once in total, not once per copy, even when its reports
// reach both at the same moment; failed sign-ins count over both copies too.
func TestLimitsHoldAcrossCopies(t *testing.T) {
	const burst = 4
	cfg := httpapi.Config{BcryptCost: 4, ResidentReportBurst: burst, ResidentReportEvery: time.Hour}
	e := newEnvConfig(t, pgtest.District, cfg)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	copy2 := httptest.NewServer(httpapi.NewServer(cfg, e.db, web.FS(), log))
	t.Cleanup(copy2.Close)
	copies := []string{e.srv.URL, copy2.URL}

	post := func(base string, i int) *http.Response {
		form := url.Values{"service_code": {"pothole"}, "lat": {"43.88165"}, "long": {"125.2500"}, "description": {"坑洞编号" + strconv.Itoa(i)}}
		res, err := http.PostForm(base+"/open311/v2/requests.json", form)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	// Twice the burst at once, half through each copy.
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range 2 * burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := post(copies[i%2], i)
			mu.Lock()
			codes[res.StatusCode]++
			if res.StatusCode == 429 && res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[201] != burst || codes[429] != burst {
		t.Fatalf("answers %v: the limit of %d reports per address must hold over both copies together", codes, burst)
	}
	for _, base := range copies {
		if res := post(base, 99); res.StatusCode != 429 {
			t.Errorf("%s after the burst: %d", base, res.StatusCode)
		}
	}
	if n := e.count(`SELECT count(*) FROM tasks WHERE description LIKE '坑洞编号%'`); n != burst {
		t.Errorf("%d reports stored, want %d", n, burst)
	}

	// Failed sign-ins: the account is throttled after five, wherever they land.
	e.staff()
	login := func(base string) int {
		b, _ := json.Marshal(map[string]string{"email": "engineer@test", "password": "wrong password"})
		res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for i := range 5 {
		if code := login(copies[i%2]); code != 401 {
			t.Fatalf("failed sign-in %d: %d", i+1, code)
		}
	}
	for _, base := range copies {
		if code := login(base); code != 429 {
			t.Errorf("%s after five failures over both copies: %d, want 429", base, code)
		}
	}
}
