package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"cityvitals/account"
	"cityvitals/asset"
	"cityvitals/audit"
	"cityvitals/ingest"
	"cityvitals/inventory"
	"cityvitals/property"
	sqlitestore "cityvitals/store/sqlite"
)

// Core is the relational half of the platform: the SQLite store and the
// services that need nothing else. CLI commands that manage users, tokens,
// units and assets open only the Core, so they can run beside a serving
// process (SQLite allows that; the history store does not).
type Core struct {
	DB         *sqlitestore.DB
	Audit      *audit.Logger
	Accounts   *account.Service
	Registry   *ingest.Registry
	Inventory  *inventory.Service
	Properties *property.Catalog
	AssetTypes *asset.TypeCatalog
}

// OpenCore opens (creating) the data directory's relational store and
// loads the inventory.
func OpenCore(ctx context.Context, dataDir string) (*Core, error) {
	if dataDir == "" {
		return nil, fmt.Errorf("config: data directory is not set")
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := sqlitestore.Open(filepath.Join(dataDir, "cityvitals.db"))
	if err != nil {
		return nil, fmt.Errorf("open relational store: %w", err)
	}
	c := &Core{DB: db, Properties: property.Default(), AssetTypes: asset.DefaultTypes(), Registry: ingest.NewRegistry()}
	c.Audit = audit.NewLogger(db)
	c.Accounts = account.New(db, c.Audit)
	stores := inventory.Stores{Units: db, Assets: db, Datastreams: db}
	if c.Inventory, err = inventory.New(ctx, stores, c.Properties, c.Registry, c.Audit); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the relational store.
func (c *Core) Close() error { return c.DB.Close() }
