package devdb

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Finding PostgreSQL and PostGIS on the machine, and the user the server
// runs as when inframap runs as root.

// findBinaries returns the directory of the newest installed PostgreSQL
// server binaries.
func findBinaries() (string, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	dirs = append(matches, dirs...)
	for _, d := range dirs {
		if isExec(filepath.Join(d, "postgres")) && isExec(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server not found (no initdb/postgres binaries); install it with: %s", InstallHint)
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// checkPostGIS looks for PostGIS's extension control file in the share
// directory of the server found.
func checkPostGIS(bin string) error {
	share := ""
	if out, err := exec.Command(filepath.Join(bin, "pg_config"), "--sharedir").Output(); err == nil {
		share = strings.TrimSpace(string(out))
	} else if v := versionOf(bin); v > 0 {
		share = fmt.Sprintf("/usr/share/postgresql/%d", v)
	}
	if share == "" {
		return nil // unknown layout: the first migration's CREATE EXTENSION will say
	}
	if _, err := os.Stat(filepath.Join(share, "extension", "postgis.control")); err != nil {
		return fmt.Errorf("PostGIS is not installed for the PostgreSQL in %s; install it with: %s", bin, InstallHint)
	}
	return nil
}

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user to run the database server (it comes with the PostgreSQL packages: %s)", InstallHint)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// traversable reports whether the user of cred can reach dir (or where dir
// would be created): every existing ancestor must grant it search permission.
func traversable(dir string, cred *syscall.Credential) bool {
	for p := dir; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err == nil {
			sys := st.Sys().(*syscall.Stat_t)
			mode := st.Mode().Perm()
			ok := mode&0o001 != 0 ||
				(sys.Uid == cred.Uid && mode&0o100 != 0) ||
				(sys.Gid == cred.Gid && mode&0o010 != 0)
			if !ok && sys.Uid != cred.Uid {
				return false
			}
		}
		if p == "/" || p == "." {
			return true
		}
	}
}
