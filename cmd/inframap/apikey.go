package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// cmdAPIKey issues an Open311 api_key for a partner system:
// `inframap apikey add -name "12345 hotline"`. The key is printed once.
func cmdAPIKey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("apikey: say add")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	fs := newFlags("apikey add", &cfg, getenv, stderr)
	var name string
	fs.StringVar(&name, "name", "", "the partner system the key is for")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if name = strings.TrimSpace(name); name == "" {
		return errors.New("apikey add: -name is required")
	}
	db, _, closeDB, err := database(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	key, err := db.CreateAPIKey(ctx, cliActor, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "api_key for %s (shown once): %s\n", name, key)
	return nil
}
