package sqlite

import (
	"context"
	"fmt"
	"os"
)

// VacuumInto writes a consistent copy of the database to path (VACUUM
// INTO), as of one moment, while other connections and processes go on
// reading and writing, and syncs it to stable storage. path must not
// exist. The copy is compact (no free pages) and in rollback-journal
// mode; opening it with Open switches it to WAL.
func (db *DB) VacuumInto(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("vacuum into %s: the file exists", path)
	}
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("vacuum into %s: %w", path, friendly(err))
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("vacuum into: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("vacuum into: sync %s: %w", path, err)
	}
	return nil
}
