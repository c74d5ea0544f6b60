//go:build allcomponents

// Dapr's sqlite name resolution (components-contrib) as the local stack's
// daprd links it: each sidecar registers itself and keeps its row fresh
// exactly as the stock component does (same database, same table, so
// sidecars of the stock daprd image, as docker-compose runs, share it), but
// an app id's live addresses are looked up at most once a second, not on
// every call.
//
// The stock component answers each service call with one SQL query,
// prepared anew every time (modernc's SQLite, parser and all): a third of
// the calling sidecar's CPU per proxied request under make bench. Here a
// call picks one of the addresses listed in the last second at random, so
// a replica that stops (its row deleted) or dies (its row no longer
// renewed) leaves the choice at most a second later than it would have,
// and a new one joins at most a second later. Where the stock component
// fails a call whose lookup fails (the file busy past its timeout), this
// one goes on with the last list for up to 30 s.
//
// (daprd's own address cache, for resolvers that list addresses, keeps a
// list 20 s and drops it only after a call to a stopped replica failed;
// this keeps the stock component's behaviour instead.)
//
// scripts/build-daprd.sh puts this file in place of daprd's own
// cmd/daprd/components/nameresolution_sqlite.go.

package components

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	authSqlite "github.com/dapr/components-contrib/common/authentication/sqlite"
	nr "github.com/dapr/components-contrib/nameresolution"
	"github.com/dapr/components-contrib/nameresolution/sqlite"
	nrLoader "github.com/dapr/dapr/pkg/components/nameresolution"
	"github.com/dapr/kit/logger"
	kitmd "github.com/dapr/kit/metadata"
)

func init() {
	nrLoader.DefaultRegistry.RegisterComponent(newListingSqlite, "sqlite")
}

// How long a looked-up list of addresses serves calls, and how long it
// may go on serving them while lookups fail.
const (
	listTTL  = time.Second
	staleMax = 30 * time.Second
)

// listingSqlite is the stock resolver (registration, renewal, clean-up)
// with a ResolveID that reads a list of the app id's addresses.
type listingSqlite struct {
	nr.Resolver
	logger  logger.Logger
	db      *sql.DB
	list    *sql.Stmt
	timeout time.Duration

	mu    sync.Mutex
	lists map[string]addressList // by app id
}

type addressList struct {
	addrs      []string
	at         time.Time
	refreshing bool // a call is looking the list up again
}

// The stock component's settings this one reads (the same keys; the others
// are the stock component's alone).
type listingMetadata struct {
	authSqlite.SqliteAuthMetadata `mapstructure:",squash"`

	TableName      string        `mapstructure:"tableName"`
	UpdateInterval time.Duration `mapstructure:"updateInterval"`
}

func newListingSqlite(log logger.Logger) nr.Resolver {
	return &listingSqlite{Resolver: sqlite.NewResolver(log), logger: log,
		lists: map[string]addressList{}}
}

func (r *listingSqlite) Init(ctx context.Context, md nr.Metadata) error {
	// The stock component first: it validates the settings, migrates the
	// database and registers this sidecar.
	if err := r.Resolver.Init(ctx, md); err != nil {
		return err
	}
	m := listingMetadata{TableName: "hosts", UpdateInterval: 5 * time.Second}
	m.SqliteAuthMetadata.Reset()
	if err := kitmd.DecodeMetadata(md.Configuration, &m); err != nil {
		return fmt.Errorf("failed to decode metadata: %w", err)
	}
	if err := m.SqliteAuthMetadata.Validate(); err != nil {
		return err
	}
	if !authSqlite.ValidIdentifier(m.TableName) {
		return fmt.Errorf("invalid identifier for table name: %s", m.TableName)
	}
	conn, err := m.GetConnectionString(r.logger, authSqlite.GetConnectionStringOpts{})
	if err != nil {
		return err
	}
	if r.db, err = sql.Open("sqlite", conn); err != nil {
		return fmt.Errorf("failed to create connection: %w", err)
	}
	r.db.SetMaxOpenConns(2)
	r.timeout = m.Timeout
	// A row is alive while its sidecar renews it (the stock ResolveID's test).
	//nolint:gosec // the table name is a validated identifier
	q := fmt.Sprintf(`SELECT address FROM %s
		WHERE app_id = ? AND unixepoch(CURRENT_TIMESTAMP) - last_update < %d`,
		m.TableName, int(m.UpdateInterval.Seconds()))
	if r.list, err = r.db.PrepareContext(ctx, q); err != nil {
		r.db.Close()
		return fmt.Errorf("failed to prepare the address query: %w", err)
	}
	return nil
}

// ResolveID picks one live address of the app id at random. One call at a
// time looks a stale list up again while the others go on with it; when
// the lookup fails (the file busy past its timeout), calls go on with the
// last list for up to staleMax rather than fail.
func (r *listingSqlite) ResolveID(ctx context.Context, req nr.ResolveRequest) (string, error) {
	r.mu.Lock()
	l, ok := r.lists[req.ID]
	refresh := !ok || (time.Since(l.at) >= listTTL && !l.refreshing)
	if refresh && ok {
		l.refreshing = true
		r.lists[req.ID] = l
	}
	r.mu.Unlock()
	if refresh {
		addrs, err := r.lookup(ctx, req.ID)
		r.mu.Lock()
		if err == nil {
			l = addressList{addrs: addrs, at: time.Now()}
			r.lists[req.ID] = l
		} else if ok {
			l.refreshing = false
			r.lists[req.ID] = l
		}
		r.mu.Unlock()
		if err != nil {
			if !ok || time.Since(l.at) >= staleMax {
				return "", err
			}
			if !errors.Is(err, context.Canceled) {
				r.logger.Warnf("Keeping the last addresses of %s: %v", req.ID, err)
			}
		}
	}
	if len(l.addrs) == 0 {
		return "", sqlite.ErrNoHost
	}
	return l.addrs[rand.IntN(len(l.addrs))], nil
}

// lookup lists every live address of the app id.
func (r *listingSqlite) lookup(ctx context.Context, appID string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	rows, err := r.list.QueryContext(ctx, appID)
	if err != nil {
		return nil, fmt.Errorf("failed to look up addresses: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var addr string
		if err := rows.Scan(&addr); err != nil {
			return nil, fmt.Errorf("failed to read an address: %w", err)
		}
		out = append(out, addr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to look up addresses: %w", err)
	}
	return out, nil
}

func (r *listingSqlite) Close() error {
	var errs []error
	if r.list != nil {
		errs = append(errs, r.list.Close())
	}
	if r.db != nil {
		errs = append(errs, r.db.Close())
	}
	errs = append(errs, r.Resolver.Close())
	return errors.Join(errs...)
}
