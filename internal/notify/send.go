package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/wneessen/go-mail"

	"inframap/internal/maint"
	"inframap/internal/outbox"
)

// MailConfig is where mail goes: an SMTP server given as a URL,
// smtp://user:pass@host:587 (STARTTLS when the server offers it),
// smtps://… (TLS from the start) or smtp+plain://host:25 (no TLS, for a
// relay on the same host or a test), and the From address.
type MailConfig struct {
	URL  string
	From string
}

// Mailer sends e-mail over one SMTP connection kept open between messages
// and opened again when it has dropped.
type Mailer struct {
	from   string
	host   string
	client *mail.Client
	mu     sync.Mutex
	open   bool
}

// NewMailer checks c and makes a Mailer; it connects on the first message.
func NewMailer(c MailConfig) (*Mailer, error) {
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("mail: INFRAMAP_SMTP_URL %q is not smtp://host:port", c.URL)
	}
	opts := []mail.Option{mail.WithTimeout(15 * time.Second)}
	switch u.Scheme {
	case "smtp":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "smtps":
		opts = append(opts, mail.WithSSL())
	case "smtp+plain":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("mail: INFRAMAP_SMTP_URL scheme %q is not smtp, smtps or smtp+plain", u.Scheme)
	}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("mail: bad port in %q", c.URL)
		}
		opts = append(opts, mail.WithPort(port))
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(u.User.Username()), mail.WithPassword(pw))
	}
	client, err := mail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	from := c.From
	if from == "" {
		from = "inframap@" + u.Hostname()
	}
	return &Mailer{from: from, host: u.Hostname(), client: client}, nil
}

// Send sends one message. Its Message-ID is made from the delivery's id, so
// a receiver can drop a repeat; the List-Unsubscribe headers point to the
// one-click endpoint.
func (m *Mailer) Send(ctx context.Context, deliveryID, to string, w Words, l Links) error {
	msg := mail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return fmt.Errorf("mail: from %q: %w", m.from, err)
	}
	if err := msg.To(to); err != nil {
		return permanent{fmt.Errorf("mail: to: %w", err)}
	}
	msg.Subject(w.Subject)
	msg.SetMessageIDWithValue(deliveryID + "@inframap")
	msg.SetGenHeader("Inframap-Delivery", deliveryID)
	msg.SetDate()
	if l.Unsubscribe != "" {
		// RFC 8058 asks for https; a service run on plain http (on a
		// workstation, in tests) still says the same.
		if err := msg.SetListUnsubscribeOneClick(l.Unsubscribe); err != nil {
			msg.SetListUnsubscribe(l.Unsubscribe)
			msg.SetListUnsubscribePost()
		}
	}
	msg.SetBodyString(mail.TypeTextPlain, w.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, w.HTML)

	m.mu.Lock()
	defer m.mu.Unlock()
	for try := 0; ; try++ {
		if !m.open {
			if err := m.client.DialWithContext(ctx); err != nil {
				return fmt.Errorf("mail: connect: %w", err)
			}
			m.open = true
		}
		err := m.client.Send(msg)
		if err == nil {
			return nil
		}
		var se *mail.SendError
		if errors.As(err, &se) && se.Reason == mail.ErrSMTPRcptTo && !se.IsTemp() {
			// The server refuses the address for good.
			return permanent{fmt.Errorf("mail: %w", err)}
		}
		// A connection the server closed while idle: open a new one once.
		m.client.Close()
		m.open = false
		if try > 0 {
			return fmt.Errorf("mail: %w", err)
		}
	}
}

// Close ends the connection.
func (m *Mailer) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.open {
		m.client.Close()
		m.open = false
	}
}

// permanent marks an error that sending again cannot mend.
type permanent struct{ error }

// Pusher sends web push messages signed with the service's VAPID keys.
type Pusher struct {
	Public, Private string
	Subject         string        // mailto: or https: contact for push services
	Client          *http.Client  // nil: a client with a 15 s timeout
	TTL             time.Duration // how long a push service keeps an undelivered message; a day if 0
}

// ErrGone is a push subscription the push service no longer knows (404,
// 410): the browser has dropped it.
var ErrGone = errors.New("push: subscription gone")

// Push is the JSON a push message carries; the page's service worker shows it.
type Push struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	Tag   string `json:"tag"`
}

// Send encrypts p for the subscription (RFC 8291, aes128gcm) and posts it
// to its push service.
func (p *Pusher) Send(ctx context.Context, endpoint, p256dh, auth string, msg Push) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	ttl := p.TTL
	if ttl == 0 {
		ttl = 24 * time.Hour
	}
	res, err := webpush.SendNotificationWithContext(ctx, body, &webpush.Subscription{Endpoint: endpoint,
		Keys: webpush.Keys{P256dh: p256dh, Auth: auth}}, &webpush.Options{
		HTTPClient: client, Subscriber: p.Subject, TTL: int(ttl.Seconds()), Urgency: webpush.UrgencyNormal,
		VAPIDPublicKey: p.Public, VAPIDPrivateKey: p.Private, Topic: topic(msg.Tag)})
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		return ErrGone
	case res.StatusCode >= 300:
		return fmt.Errorf("push: the push service answered %s", res.Status)
	}
	return nil
}

// topic makes a Topic header (RFC 8030 §5.4: up to 32 URL-safe base64
// characters) so a push service keeps only the newest pending message of a case.
func topic(tag string) string {
	var b strings.Builder
	for _, r := range tag {
		if b.Len() == 32 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Store is what the Sender reads and writes.
type Store interface {
	Message(ctx context.Context, d outbox.Delivery) (*maint.Message, error)
	Unsubscribe(ctx context.Context, token, via string) (*maint.Subscription, error)
}

// Sender delivers the outbox's e-mail and push deliveries.
type Sender struct {
	Store     Store
	PublicURL string  // links in messages
	Mail      *Mailer // nil: e-mail is not configured; e-mail deliveries wait
	Push      *Pusher // nil: push is not configured
}

// ErrNotConfigured is a channel without its server: the delivery waits
// (and retries) until the service is configured.
var ErrNotConfigured = errors.New("notify: channel not configured")

// Send delivers d; a subscription ended meanwhile is not sent to.
func (s *Sender) Send(ctx context.Context, d outbox.Delivery) error {
	m, err := s.Store.Message(ctx, d)
	if err != nil || m == nil {
		return err
	}
	l := LinksFor(strings.TrimRight(s.PublicURL, "/"), m)
	if m.Kind == "staff" {
		l = StaffLinks(strings.TrimRight(s.PublicURL, "/"), m)
	}
	w, err := Render(m, l)
	if err != nil {
		return err
	}
	switch d.Channel {
	case "email":
		if s.Mail == nil {
			return fmt.Errorf("e-mail: %w (set INFRAMAP_SMTP_URL)", ErrNotConfigured)
		}
		if m.Kind == "confirm" {
			l.Unsubscribe = ""
		}
		err = s.Mail.Send(ctx, d.ID, m.Address, w, l)
		var p permanent
		if errors.As(err, &p) && m.Kind != "staff" {
			_, err = s.Store.Unsubscribe(ctx, m.Token, "gone")
		}
		return err
	case "push":
		if s.Push == nil {
			return fmt.Errorf("push: %w", ErrNotConfigured)
		}
		target := l.Case
		if target == "" {
			target = l.Map
		}
		tag := m.Ref
		if m.Kind == "notice" && len(m.Items) > 0 {
			// Staff open the case on the field page, which they subscribed from.
			target = strings.TrimRight(s.PublicURL, "/") + "/field?view=task&task=" + strconv.FormatInt(m.Items[0].TaskID, 10)
			tag = m.Items[0].Ref
		}
		err = s.Push.Send(ctx, m.Address, m.P256dh, m.Auth, Push{ID: d.ID, Title: w.PushTitle, Body: w.PushBody,
			URL: target, Tag: tag})
		if errors.Is(err, ErrGone) {
			_, err = s.Store.Unsubscribe(ctx, m.Token, "gone")
		}
		return err
	}
	return fmt.Errorf("notify: no channel %q", d.Channel)
}

// NewVAPIDKeys makes a VAPID key pair (base64url: the public key as an
// uncompressed P-256 point, the private key's scalar).
func NewVAPIDKeys() (public, private string, err error) {
	private, public, err = webpush.GenerateVAPIDKeys()
	return public, private, err
}
