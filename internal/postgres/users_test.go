package postgres_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"inframap/internal/maint"
	"inframap/internal/password"
	"inframap/internal/postgres"
	"inframap/internal/postgres/pgtest"
)

const bPassword = "b: correct horse battery"

// bHashes holds one bcrypt hasher and hash (cost 4) for the whole file.
var bHashes = sync.OnceValues(func() (*password.Hasher, string) {
	h := password.New(4)
	hash, err := h.Hash(context.Background(), bPassword)
	if err != nil {
		panic(err)
	}
	return h, hash
})

// bUser creates an account with bPassword.
func bUser(t testing.TB, db *postgres.DB, email string, role maint.Role) *maint.User {
	t.Helper()
	_, hash := bHashes()
	u, err := db.CreateUser(t.Context(), maint.Viewer{Email: "b-setup"}, "", maint.User{Email: email, Name: "b: " + email, Role: role}, hash)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

// bAuthCode is the error code of authenticating with secret ("" when it
// works).
func bAuthCode(t testing.TB, db *postgres.DB, secret string) maint.Code {
	t.Helper()
	_, err := db.Authenticate(t.Context(), secret)
	return maint.ErrorCode(err)
}

func bViewerOf(u *maint.User) maint.Viewer {
	return maint.Viewer{UserID: u.ID, Email: u.Email, Role: u.Role}
}

// TestUsersCreateAndLogin checks CreateUser (audited, e-mails unique
// whatever their case), UserLogin and the stored hash.
func TestUsersCreateAndLogin(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	h, hash := bHashes()
	actor := maint.Viewer{Email: "b-root"}
	u, err := db.CreateUser(t.Context(), actor, "192.0.2.1", maint.User{Email: "Ann@Example.org", Name: "Ann", Role: maint.RoleEngineer}, hash)
	if err != nil || u.ID == 0 || u.Email != "Ann@Example.org" || u.Role != maint.RoleEngineer || !u.Active || u.CreatedAt.IsZero() {
		t.Fatalf("CreateUser = %+v, %v; want an active engineer", u, err)
	}
	evs, _, err := db.AuditLog(t.Context(), maint.AuditFilter{Action: "user.created"})
	if err != nil || len(evs) != 1 || evs[0].IP != "192.0.2.1" || evs[0].Actor != "b-root" || bDeref(evs[0].SubjectID) != u.ID ||
		!strings.Contains(string(evs[0].Details), "Ann@Example.org") {
		t.Errorf("AuditLog(user.created) = %+v, %v; want one event for user %d from 192.0.2.1", evs, err, u.ID)
	}
	t.Run("duplicate e-mail", func(t *testing.T) {
		_, err := db.CreateUser(t.Context(), actor, "", maint.User{Email: "ann@example.ORG", Role: maint.RoleInspector}, hash)
		e := bWantCode(t, "CreateUser(same e-mail, other case)", err, maint.CodeConflict)
		if !slices.Contains(bFields(e), "email") {
			t.Errorf("CreateUser(duplicate): fields %v, want email", bFields(e))
		}
		if us, _ := db.Users(t.Context()); len(us) != 1 {
			t.Errorf("Users() = %d after a refused duplicate, want 1", len(us))
		}
	})
	t.Run("refused", func(t *testing.T) {
		for _, in := range []maint.User{{Email: "not an address", Role: maint.RoleEngineer}, {Email: "b@x", Role: "janitor"}} {
			_, err := db.CreateUser(t.Context(), actor, "", in, hash)
			bWantCode(t, "CreateUser("+in.Email+", "+string(in.Role)+")", err, maint.CodeInvalid)
		}
	})
	t.Run("login lookup", func(t *testing.T) {
		got, gotHash, err := db.UserLogin(t.Context(), "ANN@example.org")
		if err != nil || got.ID != u.ID || gotHash != hash {
			t.Fatalf("UserLogin(other case) = %+v, %q, %v; want user %d with its hash", got, gotHash, err, u.ID)
		}
		if ok, err := h.Verify(t.Context(), gotHash, bPassword); !ok || err != nil {
			t.Errorf("the stored hash does not verify the password: %v, %v", ok, err)
		}
		_, _, err = db.UserLogin(t.Context(), "nobody@example.org")
		bWantCode(t, "UserLogin(unknown)", err, maint.CodeNotFound)
	})
	t.Run("read back", func(t *testing.T) {
		got, err := db.User(t.Context(), u.ID)
		if err != nil || got.Email != u.Email || got.Name != "Ann" {
			t.Errorf("User(%d) = %+v, %v", u.ID, got, err)
		}
		_, err = db.User(t.Context(), 99_999_999)
		bWantCode(t, "User(99999999)", err, maint.CodeNotFound)
		if n, err := db.CountAdmins(t.Context()); n != 0 || err != nil {
			t.Errorf("CountAdmins() = %d, %v; want 0", n, err)
		}
		bUser(t, db, "b-admin@test", maint.RoleAdmin)
		if n, err := db.CountAdmins(t.Context()); n != 1 || err != nil {
			t.Errorf("CountAdmins() = %d, %v; want 1", n, err)
		}
	})
}

// TestUsersSessions checks Login, Authenticate and Logout: a fresh session
// every login, the previous one ended, expired ones refused and swept.
func TestUsersSessions(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	sql := pgtest.SQL(t, db)
	u := bUser(t, db, "b-eng@test", maint.RoleEngineer)
	token, expires, err := db.Login(t.Context(), u, "198.51.100.7", strings.Repeat("A", 400), "", time.Hour)
	if err != nil || !strings.HasPrefix(token, "ims_") || time.Until(expires) < 59*time.Minute || time.Until(expires) > 61*time.Minute {
		t.Fatalf("Login = %q, expires %v, %v; want an ims_ session for an hour", token, expires, err)
	}
	v, err := db.Authenticate(t.Context(), token)
	if err != nil || v != bViewerOf(u) {
		t.Errorf("Authenticate(session) = %+v, %v; want %+v", v, err, bViewerOf(u))
	}
	if n := bCount(t, sql, `SELECT count(*) FROM sessions WHERE user_id = $1 AND length(user_agent) = 300 AND ip = '198.51.100.7'`, u.ID); n != 1 {
		t.Errorf("the session row keeps the address and 300 characters of user agent: %d rows match", n)
	}
	if evs, _, _ := db.AuditLog(t.Context(), maint.AuditFilter{Action: "login.succeeded", ActorID: &u.ID}); len(evs) != 1 || evs[0].IP != "198.51.100.7" {
		t.Errorf("AuditLog(login.succeeded) = %+v; want one event from 198.51.100.7", evs)
	}

	t.Run("rotation", func(t *testing.T) {
		next, _, err := db.Login(t.Context(), u, "", "", token, time.Hour)
		if err != nil || next == token {
			t.Fatalf("Login(previous) = %q, %v; want a new session", next, err)
		}
		if c := bAuthCode(t, db, token); c != maint.CodeUnauthorized {
			t.Errorf("Authenticate(previous session) = %q, want unauthorized", c)
		}
		if c := bAuthCode(t, db, next); c != "" {
			t.Errorf("Authenticate(new session) = %q, want success", c)
		}
		token = next
	})
	t.Run("second device keeps its session", func(t *testing.T) {
		other, _, err := db.Login(t.Context(), u, "", "", "", time.Hour)
		if err != nil || bAuthCode(t, db, other) != "" || bAuthCode(t, db, token) != "" {
			t.Errorf("two logins without previous: both sessions should work (%v)", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		dead, _, err := db.Login(t.Context(), u, "", "", "", -time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if c := bAuthCode(t, db, dead); c != maint.CodeUnauthorized {
			t.Errorf("Authenticate(born expired) = %q, want unauthorized", c)
		}
		old, _, err := db.Login(t.Context(), u, "", "b-expiring", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sql.Exec(t.Context(), `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_agent = 'b-expiring'`); err != nil {
			t.Fatal(err)
		}
		if c := bAuthCode(t, db, old); c != maint.CodeUnauthorized {
			t.Errorf("Authenticate(expired) = %q, want unauthorized", c)
		}
		before := bCount(t, sql, `SELECT count(*) FROM sessions WHERE expires_at < now()`)
		if _, _, err := db.Login(t.Context(), u, "", "", "", time.Hour); err != nil {
			t.Fatal(err)
		}
		if after := bCount(t, sql, `SELECT count(*) FROM sessions WHERE expires_at < now()`); before != 1 || after != 0 {
			t.Errorf("expired sessions before and after a login: %d, %d; want 1, 0 (swept)", before, after)
		}
	})
	t.Run("logout", func(t *testing.T) {
		if err := db.Logout(t.Context(), bViewerOf(u), "203.0.113.5", token); err != nil {
			t.Fatal(err)
		}
		if c := bAuthCode(t, db, token); c != maint.CodeUnauthorized {
			t.Errorf("Authenticate(after logout) = %q, want unauthorized", c)
		}
		if evs, _, _ := db.AuditLog(t.Context(), maint.AuditFilter{Action: "logout.succeeded"}); len(evs) != 1 || bDeref(evs[0].SubjectID) != u.ID {
			t.Errorf("AuditLog(logout.succeeded) = %+v; want one for user %d", evs, u.ID)
		}
	})
	t.Run("bad credentials", func(t *testing.T) {
		for _, s := range []string{"", "ims_", "ims_nope", "imt_nope", "Bearer xyz", token + "x"} {
			if c := bAuthCode(t, db, s); c != maint.CodeUnauthorized {
				t.Errorf("Authenticate(%q) = %q, want unauthorized", s, c)
			}
		}
	})
}

// TestUsersTokens checks bearer tokens: issued once, listed, used, revoked by
// their owner or an admin only.
func TestUsersTokens(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	ann := bUser(t, db, "b-ann@test", maint.RoleEngineer)
	bob := bUser(t, db, "b-bob@test", maint.RoleInspector)
	admin := bUser(t, db, "b-root@test", maint.RoleAdmin)
	tok, secret, err := db.CreateToken(t.Context(), ann, "192.0.2.9", "b: script")
	if err != nil || !strings.HasPrefix(secret, "imt_") || tok.Prefix != secret[:10] || tok.UserID != ann.ID || tok.Name != "b: script" {
		t.Fatalf("CreateToken = %+v, %q, %v; want an imt_ secret and its first 10 characters as prefix", tok, secret, err)
	}
	_, bobSecret, err := db.CreateToken(t.Context(), bob, "", "b: bob's")
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.Authenticate(t.Context(), secret)
	if err != nil || v != bViewerOf(ann) {
		t.Errorf("Authenticate(token) = %+v, %v; want %+v", v, err, bViewerOf(ann))
	}
	list := func(user int64) []maint.Token {
		t.Helper()
		ts, err := db.Tokens(t.Context(), user)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	if ts := list(ann.ID); len(ts) != 1 || ts[0].ID != tok.ID || ts[0].LastUsedAt == nil || ts[0].RevokedAt != nil {
		t.Errorf("Tokens(ann) = %+v; want her one token, used, not revoked", ts)
	}
	if ts := list(0); len(ts) != 2 {
		t.Errorf("Tokens(all) = %d, want 2", len(ts))
	}
	if evs, _, _ := db.AuditLog(t.Context(), maint.AuditFilter{Action: "token.created", ActorID: &ann.ID}); len(evs) != 1 || evs[0].IP != "192.0.2.9" {
		t.Errorf("AuditLog(token.created by ann) = %+v; want one from 192.0.2.9", evs)
	}

	t.Run("someone else's", func(t *testing.T) {
		err := db.RevokeToken(t.Context(), bViewerOf(bob), "", tok.ID)
		bWantCode(t, "RevokeToken(by another user)", err, maint.CodeNotFound)
		if c := bAuthCode(t, db, secret); c != "" {
			t.Errorf("Authenticate(token) after a refused revocation = %q, want success", c)
		}
	})
	t.Run("by its owner", func(t *testing.T) {
		if err := db.RevokeToken(t.Context(), bViewerOf(ann), "", tok.ID); err != nil {
			t.Fatal(err)
		}
		if c := bAuthCode(t, db, secret); c != maint.CodeUnauthorized {
			t.Errorf("Authenticate(revoked) = %q, want unauthorized", c)
		}
		first := list(ann.ID)[0].RevokedAt
		if first == nil {
			t.Fatal("Tokens(ann): revoked token has no RevokedAt")
		}
		if err := db.RevokeToken(t.Context(), bViewerOf(ann), "", tok.ID); err != nil {
			t.Errorf("RevokeToken(again) = %v", err)
		}
		if again := list(ann.ID)[0].RevokedAt; again == nil || !again.Equal(*first) {
			t.Errorf("RevokeToken(again) moved revoked_at from %v to %v", first, again)
		}
	})
	t.Run("by an admin", func(t *testing.T) {
		bobTok := list(bob.ID)[0]
		if err := db.RevokeToken(t.Context(), bViewerOf(admin), "", bobTok.ID); err != nil {
			t.Fatal(err)
		}
		if c := bAuthCode(t, db, bobSecret); c != maint.CodeUnauthorized {
			t.Errorf("Authenticate(revoked by admin) = %q, want unauthorized", c)
		}
		if evs, _, _ := db.AuditLog(t.Context(), maint.AuditFilter{Action: "token.revoked"}); len(evs) != 3 {
			t.Errorf("AuditLog(token.revoked) = %d events, want 3", len(evs))
		}
	})
	t.Run("unknown", func(t *testing.T) {
		bWantCode(t, "RevokeToken(99999999)", db.RevokeToken(t.Context(), bViewerOf(admin), "", 99_999_999), maint.CodeNotFound)
	})
}

// TestUsersUpdate checks UpdateUser: audited changes, and deactivation or a
// password reset ending sessions and tokens in the same step.
func TestUsersUpdate(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	admin := bViewerOf(bUser(t, db, "b-root@test", maint.RoleAdmin))
	signIn := func(u *maint.User) (session, token string) {
		t.Helper()
		s, _, err := db.Login(t.Context(), u, "", "", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, tk, err := db.CreateToken(t.Context(), u, "", "b: t")
		if err != nil {
			t.Fatal(err)
		}
		return s, tk
	}
	cases := []struct {
		name  string
		p     maint.UserPatch
		ends  bool
		check func(*maint.User) bool
	}{
		{"rename", maint.UserPatch{Name: maint.Opt[string]{Set: true, V: "b: New Name"}}, false, func(u *maint.User) bool { return u.Name == "b: New Name" }},
		{"new role", maint.UserPatch{Role: maint.Opt[maint.Role]{Set: true, V: maint.RoleInspector}}, false, func(u *maint.User) bool { return u.Role == maint.RoleInspector }},
		{"deactivate", maint.UserPatch{Active: maint.Opt[bool]{Set: true, V: false}}, true, func(u *maint.User) bool { return !u.Active }},
		{"reset password", maint.UserPatch{PasswordHash: maint.Opt[string]{Set: true, V: "b: new hash"}}, true, func(u *maint.User) bool { return u.Active }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := bUser(t, db, "b-user"+string(rune('a'+i))+"@test", maint.RoleEngineer)
			session, token := signIn(u)
			got, err := db.UpdateUser(t.Context(), admin, "192.0.2.44", u.ID, c.p)
			if err != nil || !c.check(got) || got.ID != u.ID {
				t.Fatalf("UpdateUser(%s) = %+v, %v", c.name, got, err)
			}
			want := maint.Code("")
			if c.ends {
				want = maint.CodeUnauthorized
			}
			if sc, tc := bAuthCode(t, db, session), bAuthCode(t, db, token); sc != want || tc != want {
				t.Errorf("UpdateUser(%s): session %q, token %q; want %q for both", c.name, sc, tc, want)
			}
			if ts, _ := db.Tokens(t.Context(), u.ID); len(ts) != 1 || (ts[0].RevokedAt != nil) != c.ends {
				t.Errorf("UpdateUser(%s): token revoked %v, want %v", c.name, ts[0].RevokedAt != nil, c.ends)
			}
			if c.name == "new role" {
				if v, _ := db.Authenticate(t.Context(), session); v.Role != maint.RoleInspector {
					t.Errorf("Authenticate after the role change: role %q, want inspector", v.Role)
				}
			}
			if c.name == "reset password" {
				if _, hash, _ := db.UserLogin(t.Context(), u.Email); hash != "b: new hash" {
					t.Errorf("UserLogin after a reset: hash %q, want the new one", hash)
				}
			}
			evs, _, err := db.AuditLog(t.Context(), maint.AuditFilter{Action: "user.updated"})
			if err != nil || len(evs) == 0 {
				t.Fatalf("AuditLog(user.updated): %v", err)
			}
			e := evs[len(evs)-1]
			var d struct{ Changes map[string]any }
			json.Unmarshal(e.Details, &d)
			if bDeref(e.SubjectID) != u.ID || e.IP != "192.0.2.44" || e.Actor != admin.Email || len(d.Changes) != 1 {
				t.Errorf("audit of UpdateUser(%s) = %+v (%s); want one change to user %d by the admin", c.name, e, e.Details, u.ID)
			}
		})
	}
	t.Run("reactivated account needs a new login", func(t *testing.T) {
		u := bUser(t, db, "b-back@test", maint.RoleEngineer)
		session, _ := signIn(u)
		for _, active := range []bool{false, true} {
			if _, err := db.UpdateUser(t.Context(), admin, "", u.ID, maint.UserPatch{Active: maint.Opt[bool]{Set: true, V: active}}); err != nil {
				t.Fatal(err)
			}
		}
		if c := bAuthCode(t, db, session); c != maint.CodeUnauthorized {
			t.Errorf("Authenticate(session from before the deactivation) = %q, want unauthorized", c)
		}
		fresh, _ := signIn(u)
		if c := bAuthCode(t, db, fresh); c != "" {
			t.Errorf("Authenticate(new session after reactivation) = %q, want success", c)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		_, err := db.UpdateUser(t.Context(), admin, "", 99_999_999, maint.UserPatch{Name: maint.Opt[string]{Set: true, V: "x"}})
		bWantCode(t, "UpdateUser(99999999)", err, maint.CodeNotFound)
	})
}

// TestUsersFailedLogins checks the counts of failed logins per account and
// per address since a time.
func TestUsersFailedLogins(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	fail := func(email, ip string) {
		t.Helper()
		if err := db.Audit(t.Context(), maint.Viewer{Email: email}, ip, "login.failed", "user", nil, map[string]string{"email": email}); err != nil {
			t.Fatal(err)
		}
	}
	fail("ann@test", "10.0.0.1")
	fail("ann@test", "10.0.0.2")
	if err := db.Audit(t.Context(), maint.Viewer{Email: "ann@test"}, "10.0.0.1", "login.succeeded", "user", nil, map[string]string{"email": "ann@test"}); err != nil {
		t.Fatal(err)
	}
	fail("bob@test", "10.0.0.1")
	fail("ann@test", "10.0.0.3")
	evs, _, err := db.AuditLog(t.Context(), maint.AuditFilter{Action: "login.failed"})
	if err != nil || len(evs) != 4 {
		t.Fatalf("AuditLog(login.failed) = %d, %v", len(evs), err)
	}
	cases := []struct {
		email, ip     string
		since         time.Time
		byEmail, byIP int
	}{
		{"ann@test", "10.0.0.1", evs[0].At, 3, 2},
		{"bob@test", "10.0.0.2", evs[0].At, 1, 1},
		{"ann@test", "10.0.0.1", evs[2].At, 1, 1},
		{"ann@test", "10.0.0.9", evs[3].At, 1, 0},
		{"nobody@test", "10.0.0.1", evs[0].At, 0, 2},
		{"ann@test", "10.0.0.1", evs[3].At.Add(time.Millisecond), 0, 0},
	}
	for _, c := range cases {
		e, i, err := db.FailedLogins(t.Context(), c.email, c.ip, c.since)
		if err != nil || e != c.byEmail || i != c.byIP {
			t.Errorf("FailedLogins(%s, %s, since %v) = %d, %d, %v; want %d, %d", c.email, c.ip, c.since, e, i, err, c.byEmail, c.byIP)
		}
	}
}

// TestUsersCrews checks SaveCrew and Crews: active crews first, by name, and
// an audit row only when something changed.
func TestUsersCrews(t *testing.T) {
	db := pgtest.NewDB(t, pgtest.Empty)
	admin := bViewerOf(bUser(t, db, "b-root@test", maint.RoleAdmin))
	audited := func() int {
		evs, _, err := db.AuditLog(t.Context(), maint.AuditFilter{Action: "crew.saved"})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	steps := []struct {
		crew    maint.Crew
		audited int
		want    []maint.Crew
	}{
		{maint.Crew{Name: "b: crew 2", Active: true}, 1, []maint.Crew{{Name: "b: crew 2", Active: true}}},
		{maint.Crew{Name: "b: crew 1", Active: true}, 2, []maint.Crew{{Name: "b: crew 1", Active: true}, {Name: "b: crew 2", Active: true}}},
		{maint.Crew{Name: "b: crew 1", Active: true}, 2, []maint.Crew{{Name: "b: crew 1", Active: true}, {Name: "b: crew 2", Active: true}}},
		{maint.Crew{Name: "b: crew 1", Active: false}, 3, []maint.Crew{{Name: "b: crew 2", Active: true}, {Name: "b: crew 1", Active: false}}},
		{maint.Crew{Name: "b: crew 3", Active: false}, 4, []maint.Crew{{Name: "b: crew 2", Active: true}, {Name: "b: crew 1", Active: false}, {Name: "b: crew 3", Active: false}}},
	}
	for i, s := range steps {
		if err := db.SaveCrew(t.Context(), admin, "", s.crew); err != nil {
			t.Fatalf("step %d: SaveCrew(%+v): %v", i, s.crew, err)
		}
		got, err := db.Crews(t.Context())
		if err != nil || !slices.Equal(got, s.want) {
			t.Errorf("step %d: Crews() = %v, %v; want %v", i, got, err, s.want)
		}
		if n := audited(); n != s.audited {
			t.Errorf("step %d: %d crew.saved events, want %d", i, n, s.audited)
		}
	}
	err := db.SaveCrew(t.Context(), admin, "", maint.Crew{Name: "", Active: true})
	bWantCode(t, "SaveCrew(no name)", err, maint.CodeInvalid)
}
