package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"inframap/internal/maint"
	"inframap/internal/password"
	"inframap/internal/postgres"
)

// The command line acts as this viewer in the audit trail.
var cliActor = maint.Viewer{Email: "inframap-cli"}

// cmdUser manages accounts: `user add --email … --role … [--name …]` reads
// the password from standard input (a prompt on a terminal), never a flag;
// `user list` lists the accounts.
func cmdUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("user: say add or list")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("user "+args[0], &cfg, getenv, stderr)
	var email, role, name string
	switch args[0] {
	case "add":
		fs.StringVar(&email, "email", "", "e-mail address (the login)")
		fs.StringVar(&role, "role", "", "admin, engineer or inspector")
		fs.StringVar(&name, "name", "", "display name")
	case "list":
	default:
		return fmt.Errorf("user: unknown action %q (add or list)", args[0])
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	if args[0] == "list" {
		users, err := db.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tE-MAIL\tROLE\tACTIVE\tNAME")
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%s\n", u.ID, u.Email, u.Role, u.Active, u.Name)
		}
		return tw.Flush()
	}
	email, err = maint.NormalizeEmail("email", email)
	if err != nil {
		return errors.New("user add: --email is required and must be an e-mail address")
	}
	if !maint.Role(role).Valid() {
		return fmt.Errorf("user add: --role must be one of %v", maint.Roles)
	}
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	if err := maint.CheckPassword("password", pw); err != nil {
		e, _ := maint.AsError(err)
		return fmt.Errorf("user add: %s", e.Message)
	}
	hash, err := password.New(cfg.bcryptCost).Hash(ctx, pw)
	if err != nil {
		return err
	}
	u, err := db.CreateUser(ctx, cliActor, "", maint.User{Email: email, Name: name, Role: maint.Role(role)}, hash)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s (%s), id %d\n", u.Email, u.Role, u.ID)
	return nil
}

// readPassword prompts twice on a terminal, or reads one line from a pipe.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("user add: give the password on standard input (e.g. from a password manager), or run it in a terminal to be prompted")
	}
	return line, nil
}

// demoUsers are the accounts of the demo, one per role.
var demoUsers = []struct {
	email       string
	role        maint.Role
	name        string
	subdistrict string // an inspector's round (docs/inspections.md)
}{
	{"admin@demo", maint.RoleAdmin, "管理员 Admin", ""},
	{"engineer@demo", maint.RoleEngineer, "工程师 Engineer", ""},
	{"inspector@demo", maint.RoleInspector, "巡查员 Inspector", "正阳街道"},
	{"chuncheng.inspector@demo", maint.RoleInspector, "巡查员 春城", "春城街道"},
	{"puyang.inspector@demo", maint.RoleInspector, "巡查员 普阳", "普阳街道"},
	{"linyuan.inspector@demo", maint.RoleInspector, "巡查员 林园", "林园街道"},
	{"tongxin.inspector@demo", maint.RoleInspector, "巡查员 同心", "同心街道"},
	{"qingnianlu.inspector@demo", maint.RoleInspector, "巡查员 青年路", "青年路街道"},
	{"tiexi.inspector@demo", maint.RoleInspector, "巡查员 铁西", "铁西街道"},
	{"yingbin.inspector@demo", maint.RoleInspector, "巡查员 迎宾", "迎宾街道"},
	{"zili.inspector@demo", maint.RoleInspector, "巡查员 自立", "自立街道"},
	{"chengxi.inspector@demo", maint.RoleInspector, "巡查员 城西", "城西镇"},
	{"hexin.inspector@demo", maint.RoleInspector, "巡查员 合心", "合心镇"},
	{"xixin.inspector@demo", maint.RoleInspector, "巡查员 西新", "西新镇"},
}

// ensureDemoUsers creates the demo accounts that are missing. Their password
// is INFRAMAP_DEMO_PASSWORD, or a random one printed once.
func ensureDemoUsers(ctx context.Context, db *postgres.DB, cfg config, stdout io.Writer) error {
	pw := cfg.demoPassword
	generated := false
	hasher := password.New(cfg.bcryptCost)
	// One hash for the demo's one password: the accounts are many.
	hash := ""
	for _, d := range demoUsers {
		if _, _, err := db.UserLogin(ctx, d.email); err == nil {
			continue
		} else if maint.ErrorCode(err) != maint.CodeNotFound {
			return err
		}
		if pw == "" {
			pw = rand.Text()[:16]
			generated = true
		}
		if hash == "" {
			var err error
			if hash, err = hasher.Hash(ctx, pw); err != nil {
				return err
			}
		}
		if _, err := db.CreateUser(ctx, cliActor, "", maint.User{Email: d.email, Name: d.name, Role: d.role}, hash); err != nil {
			if maint.ErrorCode(err) == maint.CodeConflict {
				continue // another copy starting at the same moment made it
			}
			return err
		}
	}
	for _, d := range demoUsers {
		if d.subdistrict != "" {
			if err := db.SetSubdistrictIfNone(ctx, d.email, d.subdistrict); err != nil {
				return err
			}
		}
	}
	if generated {
		fmt.Fprintf(stdout, "demo accounts admin@demo, engineer@demo, inspector@demo (and <sub-district>.inspector@demo) have the password %s (shown once; set INFRAMAP_DEMO_PASSWORD to choose it)\n", pw)
	}
	return nil
}
