package httpapi_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"inframap/internal/maint"
	"inframap/internal/notify"
	"inframap/internal/postgres/pgtest"
)

// browserKeys is what a browser's PushManager makes: a P-256 key pair and a
// 16-byte auth secret (RFC 8291 §2).
type browserKeys struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newBrowserKeys(t *testing.T) browserKeys {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return browserKeys{priv, auth}
}

func (k browserKeys) p256dh() string {
	return base64.RawURLEncoding.EncodeToString(k.priv.PublicKey().Bytes())
}

// decrypt opens an aes128gcm push message (RFC 8188 framing, RFC 8291
// keys) as a browser does.
func (k browserKeys) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, idlen := body[:16], int(body[20])
	rs := binary.BigEndian.Uint32(body[16:20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("bad header")
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, err
	}
	secret, err := k.priv.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	prkKey, _ := hkdf.Extract(sha256.New, secret, k.auth)
	info := append(append([]byte("WebPush: info\x00"), k.priv.PublicKey().Bytes()...), asPub.Bytes()...)
	ikm, err := hkdf.Expand(sha256.New, prkKey, string(info), 32)
	if err != nil {
		return nil, err
	}
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, body[21+idlen:], nil)
	if err != nil {
		return nil, err
	}
	// One record: the content, then the delimiter 2, then padding zeros.
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}

// pushService is a push service for the test: it checks the VAPID
// authorization, keeps each message's body, and answers 410 for endpoints
// that are gone.
type pushService struct {
	mu   sync.Mutex
	got  map[string][][]byte // endpoint path → bodies
	auth []string
	gone map[string]bool
}

func (p *pushService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone[r.URL.Path] {
		w.WriteHeader(http.StatusGone)
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		http.Error(w, "bad headers", 400)
		return
	}
	p.got[r.URL.Path] = append(p.got[r.URL.Path], b)
	p.auth = append(p.auth, r.Header.Get("Authorization"))
	w.WriteHeader(http.StatusCreated)
}

func (p *pushService) bodies(path string) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.got[path]...)
}

// TestPushPayloadDecrypts: a browser subscribes to a case by web push; a
// change reaches the test push service signed by the service's VAPID key,
// and the payload decrypts with the subscription's keys to the case's
// news in the browser's language; a push service saying the subscription
// is gone (410) ends it.
func TestPushPayloadDecrypts(t *testing.T) {
	e := newEnv(t, pgtest.District)
	tok := e.staff()
	ps := &pushService{got: map[string][][]byte{}, gone: map[string]bool{"/gone": true}}
	srv := httptest.NewTLSServer(ps)
	defer srv.Close()

	var key struct {
		PublicKey string `json:"public_key"`
	}
	if res := e.do("GET", "/api/v1/push/key", "", nil, nil, &key); res.StatusCode != 200 || key.PublicKey == "" {
		t.Fatalf("push key: %d %+v", res.StatusCode, key)
	}
	pub, priv, err := e.db.VAPIDKeys(t.Context(), notify.NewVAPIDKeys)
	if err != nil || pub != key.PublicKey {
		t.Fatalf("the key is not the one kept: %v", err)
	}
	e.startSubscriberDispatch(nil, &notify.Pusher{Public: pub, Private: priv, Subject: "mailto:ops@lvyuan.example", Client: srv.Client()})

	var rep reportOut
	if res := e.postMultipart("/api/v1/reports", map[string]string{"service_code": "manhole_missing", "lat": "43.8800", "lon": "125.2700",
		"description": "井盖没了"}, nil, nil, &rep); res.StatusCode != 201 {
		t.Fatal(res.StatusCode)
	}
	browser, other := newBrowserKeys(t), newBrowserKeys(t)
	sub := func(path string, k browserKeys, lang string) maint.Subscription {
		var s maint.Subscription
		res := e.do("POST", "/api/v1/subscriptions", "", map[string]any{"channel": "push", "ref": rep.Ref, "lang": lang,
			"push": map[string]any{"endpoint": srv.URL + path, "keys": map[string]string{"p256dh": k.p256dh(), "auth": base64.RawURLEncoding.EncodeToString(k.auth)}}}, nil, &s)
		if res.StatusCode != 201 || s.Token == "" || s.ConfirmedAt == nil {
			t.Fatalf("push subscribe: %d %+v", res.StatusCode, s)
		}
		return s
	}
	sub("/browser", browser, "en")
	gone := sub("/gone", other, "zh")
	// Bad keys are refused.
	if res := e.do("POST", "/api/v1/subscriptions", "", map[string]any{"channel": "push", "ref": rep.Ref,
		"push": map[string]any{"endpoint": "http://push.example/x", "keys": map[string]string{"p256dh": "x", "auth": "y"}}}, nil, nil); res.StatusCode != 400 {
		t.Errorf("a push subscription to http: %d", res.StatusCode)
	}
	if res := e.move(tok[maint.RoleEngineer], e.taskID(rep.Ref), maint.StatusFiled, nil); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	e.settle()

	bodies := ps.bodies("/browser")
	if len(bodies) != 1 {
		t.Fatalf("%d pushes to the browser, want 1", len(bodies))
	}
	plain, err := browser.decrypt(bodies[0])
	if err != nil {
		t.Fatalf("the payload does not decrypt with the subscription's keys: %v", err)
	}
	var msg notify.Push
	if err := json.Unmarshal(plain, &msg); err != nil {
		t.Fatalf("payload %q: %v", plain, err)
	}
	if !strings.Contains(msg.Title, rep.Ref) || !strings.Contains(msg.Body, "Filed") || !strings.HasSuffix(msg.URL, "follow="+rep.Ref) || msg.ID == "" {
		t.Errorf("push payload %+v", msg)
	}
	if _, err := other.decrypt(bodies[0]); err == nil {
		t.Error("another browser's keys open the payload")
	}
	// The VAPID signature: an ES256 JWT for the push service's origin,
	// signed by the key the browser subscribed with.
	ps.mu.Lock()
	authz := ps.auth[0]
	ps.mu.Unlock()
	var jwtPart, kPart string
	for _, f := range strings.Split(strings.TrimPrefix(authz, "vapid "), ",") {
		f = strings.TrimSpace(f)
		if v, ok := strings.CutPrefix(f, "t="); ok {
			jwtPart = v
		}
		if v, ok := strings.CutPrefix(f, "k="); ok {
			kPart = v
		}
	}
	if kPart != pub {
		t.Errorf("Authorization k = %q, want the public key", kPart)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(pub)
	x, y := elliptic.Unmarshal(elliptic.P256(), raw)
	if x == nil {
		t.Fatal("the public key is not a P-256 point")
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(jwtPart, claims, func(*jwt.Token) (any, error) {
		return &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: new(big.Int).Set(y)}, nil
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(srv.URL)); err != nil {
		t.Errorf("VAPID JWT %q: %v", jwtPart, err)
	}
	if exp, _ := claims.GetExpirationTime(); exp == nil || exp.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("VAPID exp %v: at most a day", exp)
	}

	// A member of staff's phone: the unit's notices by push as well.
	const crew = "绿园区市政养护一队"
	var inspectorID int64
	e.sql.QueryRow(t.Context(), `SELECT id FROM users WHERE email = 'inspector@test'`).Scan(&inspectorID)
	e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", inspectorID), tok[maint.RoleAdmin], map[string]any{"crew": crew}, nil, nil)
	phone := newBrowserKeys(t)
	device := map[string]any{"lang": "en", "push": map[string]any{"endpoint": srv.URL + "/phone",
		"keys": map[string]string{"p256dh": phone.p256dh(), "auth": base64.RawURLEncoding.EncodeToString(phone.auth)}}}
	if res := e.do("POST", "/api/v1/notices/push", "", device, nil, nil); res.StatusCode != 401 {
		t.Errorf("a device without signing in: %d", res.StatusCode)
	}
	var dev maint.Subscription
	if res := e.do("POST", "/api/v1/notices/push", tok[maint.RoleInspector], device, nil, &dev); res.StatusCode != 201 || dev.Source != "staff" || dev.Token == "" {
		t.Fatalf("staff device: %d %+v", res.StatusCode, dev)
	}
	// The same device again: still one.
	e.do("POST", "/api/v1/notices/push", tok[maint.RoleInspector], device, nil, nil)
	if n := e.count(`SELECT count(*) FROM subscriptions WHERE source = 'staff'`); n != 1 {
		t.Errorf("%d staff devices, want 1", n)
	}
	id := e.taskID(rep.Ref)
	if res := e.move(tok[maint.RoleEngineer], id, maint.StatusDispatched, map[string]any{"assignee": crew}); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	e.settle()
	got := ps.bodies("/phone")
	if len(got) != 1 {
		t.Fatalf("%d pushes to the phone, want 1", len(got))
	}
	plain, err = phone.decrypt(got[0])
	if err != nil {
		t.Fatal(err)
	}
	var notice notify.Push
	json.Unmarshal(plain, &notice)
	if notice.Title != "Dispatched to your unit: "+rep.Ref || notice.URL != fmt.Sprintf("%s/field?view=task&task=%d", e.srv.URL, id) {
		t.Errorf("the phone's notice: %+v", notice)
	}

	// The push service said 410 for the other: that subscription is over.
	var s maint.Subscription
	e.do("GET", "/api/v1/subscriptions/"+gone.Token, "", nil, nil, &s)
	if s.Unsubscribed == nil || e.count(`SELECT count(*) FROM subscriptions WHERE unsubscribed_via = 'gone'`) != 1 {
		t.Errorf("a gone push subscription is still on: %+v", s)
	}
}
