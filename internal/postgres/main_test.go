package postgres_test

import (
	"testing"

	"inframap/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
