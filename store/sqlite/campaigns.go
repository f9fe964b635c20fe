package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

var _ store.Campaigns = (*DB)(nil)

// rowQuerier is what reads need, inside a transaction or not.
type rowQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const campaignColumns = `id, body, version, created_at, updated_at`

// CreateCampaign stores a new campaign; see store.Campaigns.
func (db *DB) CreateCampaign(ctx context.Context, c model.Campaign) (model.Campaign, error) {
	if err := validCampaign(c); err != nil {
		return model.Campaign{}, err
	}
	c.Version = 1
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		body, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("campaign %q: encode: %w", c.Name, err)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO campaigns
			(name, domain, start_at, end_at, body, created_by, created_at, updated_at, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Name, c.Domain, c.StartAt, c.EndAt, string(body), c.CreatedBy, c.CreatedAt, c.UpdatedAt, c.Version).Scan(&c.ID)
		return formatError(err, fmt.Sprintf("campaign %q", c.Name))
	})
	if err != nil {
		return model.Campaign{}, err
	}
	return c, nil
}

// UpdateCampaign replaces a campaign if nobody changed it meanwhile.
func (db *DB) UpdateCampaign(ctx context.Context, c model.Campaign) (model.Campaign, error) {
	if err := validCampaign(c); err != nil {
		return model.Campaign{}, err
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM campaigns WHERE id = ?`, c.ID).Scan(&version)
		if err != nil {
			return formatError(err, fmt.Sprintf("campaign %d", c.ID))
		}
		if version != c.Version {
			return model.Errorf(model.ECONFLICT, "campaign %d changed meanwhile (version %d, not %d): reload and retry", c.ID, version, c.Version)
		}
		c.Version++
		body, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("campaign %d: encode: %w", c.ID, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET name = ?, domain = ?, start_at = ?, end_at = ?,
			body = ?, updated_at = ?, version = ? WHERE id = ?`,
			c.Name, c.Domain, c.StartAt, c.EndAt, string(body), c.UpdatedAt, c.Version, c.ID)
		return formatError(err, fmt.Sprintf("campaign %d", c.ID))
	})
	if err != nil {
		return model.Campaign{}, err
	}
	return c, nil
}

func validCampaign(c model.Campaign) error {
	switch {
	case c.Name == "" || c.Domain == "" || c.CreatedBy == "":
		return model.Errorf(model.EINVALID, "campaign: name, domain and created_by are required")
	case c.EndAt <= c.StartAt:
		return model.Errorf(model.EINVALID, "campaign %q: end_at must be after start_at", c.Name)
	}
	return nil
}

// Campaign returns the campaign with the id, or ENOTFOUND.
func (db *DB) Campaign(ctx context.Context, id int64) (model.Campaign, error) {
	c, err := scanCampaign(db.reader.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	return c, formatError(err, fmt.Sprintf("campaign %d", id))
}

// ListCampaigns returns every campaign, newest first.
func (db *DB) ListCampaigns(ctx context.Context) ([]model.Campaign, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("query campaigns: %w", err)
	}
	return scanRows(rows, "campaigns", scanCampaign)
}

// scanCampaign decodes the body and lets the columns win.
func scanCampaign(s scanner) (model.Campaign, error) {
	var c model.Campaign
	var id, version, created, updated int64
	var body string
	if err := s.Scan(&id, &body, &version, &created, &updated); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("campaign %d body: %w", id, err)
	}
	c.ID, c.Version, c.CreatedAt, c.UpdatedAt = id, version, created, updated
	return c, nil
}

// generationCacheKiB is the page cache the writer connection gets while
// it generates tasks: the new rows land in five indexes at once, and
// with SQLite's default 2 MiB most index pages would be read back from
// the file for every few rows. A million tasks take about half the time
// with 64 MiB.
const generationCacheKiB = 64 << 10

// GenerateTasks creates the missing tasks of a campaign in one INSERT …
// SELECT inside SQLite. The scope's units and the asset types go into
// temporary tables keyed by unit and type, and the assets of the checked
// types are walked in id order through assets_type: that order appends
// to the unique (campaign, asset) index instead of scattering over it,
// and each asset costs one lookup of its unit in a small table.
func (db *DB) GenerateTasks(ctx context.Context, campaign int64, scope store.TaskScope) (int, error) {
	for typ, cl := range scope.Types {
		if cl.ID == "" {
			return 0, model.Errorf(model.EINVALID, "task scope: asset type %q has no checklist", typ)
		}
	}
	var created int64
	err := db.withWriterCache(ctx, generationCacheKiB, func() error {
		return db.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			created, err = generateTasks(ctx, tx, campaign, scope)
			return err
		})
	})
	return int(created), err
}

func generateTasks(ctx context.Context, tx *sql.Tx, campaign int64, scope store.TaskScope) (int64, error) {
	if err := campaignExists(ctx, tx, campaign); err != nil {
		return 0, err
	}
	if err := fillScopeTables(ctx, tx, scope); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO campaign_tasks (campaign_id, asset_id, asset_type, unit, district, dept, checklist, inspector)
		SELECT ?, a.id, a.type, a.unit, s.district, CASE WHEN t.dept <> '' THEN t.dept ELSE a.dept END,
			t.checklist, s.inspector
		FROM temp.task_types AS t
		CROSS JOIN assets AS a ON a.type = t.type
		CROSS JOIN temp.task_places AS s ON s.unit = a.unit
		WHERE true
		ON CONFLICT (campaign_id, asset_id) DO NOTHING`, campaign)
	if err != nil {
		return 0, fmt.Errorf("generate tasks of campaign %d: %w", campaign, err)
	}
	created, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("generate tasks of campaign %d: %w", campaign, err)
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE temp.task_places; DROP TABLE temp.task_types`); err != nil {
		return 0, fmt.Errorf("generate tasks of campaign %d: %w", campaign, err)
	}
	return created, nil
}

// fillScopeTables creates, inside the transaction (so a rollback removes
// them), the temporary tables GenerateTasks joins with.
func fillScopeTables(ctx context.Context, tx *sql.Tx, scope store.TaskScope) error {
	places := make(map[string][2]string, len(scope.Places))
	for unit, p := range scope.Places {
		places[unit] = [2]string{p.District, p.Inspector}
	}
	types := make(map[string][2]string, len(scope.Types))
	for typ, cl := range scope.Types {
		types[string(typ)] = [2]string{cl.ID, cl.Dept}
	}
	placesJSON, err := json.Marshal(places)
	if err != nil {
		return fmt.Errorf("task scope: %w", err)
	}
	typesJSON, err := json.Marshal(types)
	if err != nil {
		return fmt.Errorf("task scope: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		CREATE TEMP TABLE task_places (unit TEXT PRIMARY KEY, district TEXT NOT NULL, inspector TEXT NOT NULL) WITHOUT ROWID;
		CREATE TEMP TABLE task_types (type TEXT PRIMARY KEY, checklist TEXT NOT NULL, dept TEXT NOT NULL) WITHOUT ROWID;`)
	if err != nil {
		return fmt.Errorf("task scope tables: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO temp.task_places SELECT key, value ->> '$[0]', value ->> '$[1]' FROM json_each(?)`,
		string(placesJSON)); err != nil {
		return fmt.Errorf("task scope places: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO temp.task_types SELECT key, value ->> '$[0]', value ->> '$[1]' FROM json_each(?)`,
		string(typesJSON)); err != nil {
		return fmt.Errorf("task scope types: %w", err)
	}
	return nil
}

// withWriterCache runs fn with the writer connection's page cache raised
// to kib, and puts the previous size back afterwards, so that the commit
// at the end of fn runs with the larger cache too. The writer pool has a
// single connection, so a PRAGMA on the pool is a PRAGMA on the
// connection fn's transaction uses. Two overlapping calls can leave the
// larger size in place (the second reads the first's as "previous"):
// more memory, never a wrong result.
func (db *DB) withWriterCache(ctx context.Context, kib int, fn func() error) error {
	var previous int64
	if err := db.writer.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&previous); err != nil {
		return fmt.Errorf("read cache size: %w", err)
	}
	if _, err := db.writer.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, -kib)); err != nil {
		return fmt.Errorf("set cache size: %w", err)
	}
	defer func() {
		// Best effort: a failure leaves a larger cache, which is harmless.
		_, _ = db.writer.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, previous))
	}()
	return fn()
}

func campaignExists(ctx context.Context, q rowQuerier, id int64) error {
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = ?)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("campaign %d: %w", id, err)
	}
	if !exists {
		return notFound(fmt.Sprintf("campaign %d", id))
	}
	return nil
}

// AssignTasks gives the pending tasks in the units to inspector.
func (db *DB) AssignTasks(ctx context.Context, campaign int64, units []string, inspector string) (int, error) {
	list, err := json.Marshal(units)
	if err != nil {
		return 0, fmt.Errorf("assign tasks: %w", err)
	}
	var changed int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := campaignExists(ctx, tx, campaign); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE campaign_tasks SET inspector = ?
			WHERE campaign_id = ? AND inspected_at = 0 AND inspector <> ?
			AND unit IN (SELECT value FROM json_each(?))`, inspector, campaign, inspector, string(list))
		if err != nil {
			return fmt.Errorf("assign tasks of campaign %d: %w", campaign, err)
		}
		changed, err = res.RowsAffected()
		return err
	})
	return int(changed), err
}

const taskColumns = `id, campaign_id, asset_id, asset_type, unit, district, dept, checklist, inspector,
	inspected_at, inspected_by, hazards`

func scanTask(s scanner) (model.InspectionTask, error) {
	var t model.InspectionTask
	var typ string
	err := s.Scan(&t.ID, &t.Campaign, &t.Asset, &typ, &t.Unit, &t.District, &t.Dept, &t.Checklist, &t.Inspector,
		&t.InspectedAt, &t.InspectedBy, &t.Hazards)
	t.AssetType = model.AssetType(typ)
	return t, err
}

// Task returns the task with the id, or ENOTFOUND.
func (db *DB) Task(ctx context.Context, id int64) (model.InspectionTask, error) {
	t, err := scanTask(db.reader.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM campaign_tasks WHERE id = ?`, id))
	return t, formatError(err, fmt.Sprintf("inspection task %d", id))
}

// TaskOfAsset returns the campaign's task for the asset, or ENOTFOUND.
func (db *DB) TaskOfAsset(ctx context.Context, campaign int64, asset string) (model.InspectionTask, error) {
	t, err := scanTask(db.reader.QueryRowContext(ctx,
		`SELECT `+taskColumns+` FROM campaign_tasks WHERE campaign_id = ? AND asset_id = ?`, campaign, asset))
	return t, formatError(err, fmt.Sprintf("inspection task of asset %q in campaign %d", asset, campaign))
}

// Tasks lists a campaign's tasks in ID order, a page at a time.
func (db *DB) Tasks(ctx context.Context, f store.TaskFilter, p store.Page) ([]model.InspectionTask, string, error) {
	after, err := decodeIDCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	where, args := []string{"campaign_id = ?", "id > ?"}, []any{f.Campaign, after}
	if len(f.Units) > 0 {
		list, err := json.Marshal(f.Units)
		if err != nil {
			return nil, "", fmt.Errorf("list tasks: %w", err)
		}
		where, args = append(where, "unit IN (SELECT value FROM json_each(?))"), append(args, string(list))
	}
	if f.District != "" {
		where, args = append(where, "district = ?"), append(args, f.District)
	}
	if f.Inspector != "" {
		where, args = append(where, "inspector = ?"), append(args, f.Inspector)
	}
	if f.Pending {
		where = append(where, "inspected_at = 0")
	}
	if f.Done {
		where = append(where, "inspected_at > 0")
	}
	return queryPage(ctx, db.reader, "inspection tasks", `SELECT `+taskColumns+` FROM campaign_tasks WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args, pageSize(p),
		scanTask, func(t model.InspectionTask) string { return fmt.Sprint(t.ID) })
}

// ApplyInspections applies the inspections in one transaction, so a
// batch costs one fsync. Each inspection is refused before anything of
// it is written (its hazards are checked first, then marking its task
// inspected is the statement that can find it not pending), so a refused
// one leaves nothing behind without a savepoint; savepoints would copy
// every page a row touches into a statement journal. A failure after an
// inspection's first write is the database's, and ends the whole call
// with nothing applied.
func (db *DB) ApplyInspections(ctx context.Context, ins []store.Inspection) ([]error, error) {
	errs := make([]error, len(ins))
	err := db.withWriterCache(ctx, batchCacheKiB, func() error {
		return db.inTx(ctx, func(tx *sql.Tx) error {
			w := newStmtTx(tx)
			defer w.close()
			for i := range ins {
				var err error
				if errs[i], err = applyInspection(ctx, w, &ins[i]); err != nil {
					return err
				}
			}
			return nil
		})
	})
	for i := range ins {
		if err != nil || errs[i] != nil {
			forgetHazardIDs(ins[i].Hazards)
		}
	}
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// batchCacheKiB is the page cache of the writer while it applies a batch
// of inspections, whose tasks lie scattered over the task indexes.
const batchCacheKiB = 32 << 10

// forgetHazardIDs clears the IDs of hazards that were not stored after all.
func forgetHazardIDs(hs []model.Hazard) {
	for j := range hs {
		hs[j].ID, hs[j].Version = 0, 0
	}
}

// applyInspection writes one inspection. refused is why it was not
// applied, found before anything was written; err is a failure after
// writing began.
func applyInspection(ctx context.Context, w *stmtTx, in *store.Inspection) (refused, err error) {
	r := in.Result
	for _, h := range in.Hazards {
		if err := validHazard(h); err != nil {
			return err, nil
		}
	}
	res, err := w.ExecContext(ctx, `UPDATE campaign_tasks SET inspected_at = ?, inspected_by = ?, hazards = ?
		WHERE id = ? AND campaign_id = ? AND inspected_at = 0`, r.At, r.Inspector, len(in.Hazards), r.Task, r.Campaign)
	if err != nil {
		return nil, fmt.Errorf("inspection task %d: %w", r.Task, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, fmt.Errorf("inspection task %d: %w", r.Task, err)
	}
	if n == 0 {
		refused := taskNotPending(ctx, w, r.Task, r.Campaign)
		if model.ErrorCode(refused) == model.EINTERNAL {
			return nil, refused
		}
		return refused, nil
	}
	return nil, writeInspection(ctx, w, in)
}

// writeInspection stores the result and the hazards of an inspection
// whose task has just been marked inspected.
func writeInspection(ctx context.Context, w *stmtTx, in *store.Inspection) error {
	r := in.Result
	body, err := json.Marshal(struct {
		Items  []model.ItemResult `json:"items"`
		Photos []string           `json:"photos,omitempty"`
		Note   string             `json:"note,omitempty"`
	}{r.Items, r.Photos, r.Note})
	if err != nil {
		return fmt.Errorf("inspection task %d: encode: %w", r.Task, err)
	}
	lon, lat := nullLonLat(r.HasPoint, r.Lon, r.Lat)
	_, err = w.ExecContext(ctx, `INSERT INTO inspection_results
		(task_id, campaign_id, inspector, at, lon, lat, body, submitted_by, submitted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Task, r.Campaign, r.Inspector, r.At, lon, lat, string(body), r.SubmittedBy, r.SubmittedAt)
	if err != nil {
		return fmt.Errorf("inspection result of task %d: %w", r.Task, err)
	}
	for j := range in.Hazards {
		h := &in.Hazards[j]
		h.Task, h.Version = r.Task, 1
		ev := in.Event
		ev.To = h.State
		if err := insertHazard(ctx, w, h, ev); err != nil {
			return fmt.Errorf("inspection of task %d: %w", r.Task, err)
		}
	}
	return nil
}

// taskNotPending says why a task could not be marked inspected.
func taskNotPending(ctx context.Context, tx rowQuerier, id, campaign int64) error {
	var owner, at int64
	var by string
	err := tx.QueryRowContext(ctx, `SELECT campaign_id, inspected_at, inspected_by FROM campaign_tasks WHERE id = ?`, id).
		Scan(&owner, &at, &by)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound(fmt.Sprintf("inspection task %d", id))
	case err != nil:
		return fmt.Errorf("inspection task %d: %w", id, err)
	case owner != campaign:
		return model.Errorf(model.ENOTFOUND, "inspection task %d is not a task of campaign %d", id, campaign)
	}
	return model.Errorf(model.ECONFLICT, "inspection task %d was already inspected by %s at %s", id, by, rfc3339ms(at))
}

func nullLonLat(has bool, lon, lat float64) (sql.NullFloat64, sql.NullFloat64) {
	if !has {
		return sql.NullFloat64{}, sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: lon, Valid: true}, sql.NullFloat64{Float64: lat, Valid: true}
}

// InspectionResult returns the stored result of a task, or ENOTFOUND.
func (db *DB) InspectionResult(ctx context.Context, task int64) (model.InspectionResult, error) {
	var r model.InspectionResult
	var lon, lat sql.NullFloat64
	var body string
	err := db.reader.QueryRowContext(ctx, `SELECT task_id, campaign_id, inspector, at, lon, lat, body,
		submitted_by, submitted_at FROM inspection_results WHERE task_id = ?`, task).
		Scan(&r.Task, &r.Campaign, &r.Inspector, &r.At, &lon, &lat, &body, &r.SubmittedBy, &r.SubmittedAt)
	if err != nil {
		return r, formatError(err, fmt.Sprintf("inspection result of task %d", task))
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("inspection result of task %d: %w", task, err)
	}
	r.Lon, r.Lat, r.HasPoint = lon.Float64, lat.Float64, lon.Valid && lat.Valid
	return r, nil
}

const hazardColumns = `id, campaign_id, task_id, item, asset_id, asset_type, unit, district, dept, owner, category,
	severity, state, on_site, found_at, found_by, deadline, rectified_at, closed_at, overdue_at, reopens,
	created_at, updated_at, version, body`

// CreateHazard stores a new hazard with its first event.
func (db *DB) CreateHazard(ctx context.Context, h model.Hazard, ev model.HazardEvent) (model.Hazard, error) {
	if err := validHazard(h); err != nil {
		return h, err
	}
	h.Version = 1
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		w := newStmtTx(tx)
		defer w.close()
		return insertHazard(ctx, w, &h, ev)
	})
	if err != nil {
		h.ID, h.Version = 0, 0
	}
	return h, err
}

func insertHazard(ctx context.Context, w *stmtTx, h *model.Hazard, ev model.HazardEvent) error {
	if err := validHazard(*h); err != nil {
		return err
	}
	args, err := hazardArgs(*h)
	if err != nil {
		return err
	}
	err = w.QueryRowContext(ctx, `INSERT INTO hazards (`+hazardColumns+`)
		VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		args...).Scan(&h.ID)
	if err != nil {
		return formatError(err, fmt.Sprintf("hazard of asset %q", h.Asset))
	}
	return writeHazardParts(ctx, w, *h, ev)
}

// UpdateHazard replaces the hazard if nobody changed it meanwhile.
func (db *DB) UpdateHazard(ctx context.Context, h model.Hazard, ev model.HazardEvent) (model.Hazard, error) {
	if err := validHazard(h); err != nil {
		return h, err
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM hazards WHERE id = ?`, h.ID).Scan(&version)
		if err != nil {
			return formatError(err, fmt.Sprintf("hazard %d", h.ID))
		}
		if version != h.Version {
			return model.Errorf(model.ECONFLICT, "hazard %d changed meanwhile (version %d, not %d): reload and retry", h.ID, version, h.Version)
		}
		h.Version++
		w := newStmtTx(tx)
		defer w.close()
		return updateHazard(ctx, w, h, ev)
	})
	if err != nil {
		return model.Hazard{}, err
	}
	return h, nil
}

func updateHazard(ctx context.Context, w *stmtTx, h model.Hazard, ev model.HazardEvent) error {
	args, err := hazardArgs(h)
	if err != nil {
		return err
	}
	_, err = w.ExecContext(ctx, `UPDATE hazards SET campaign_id = ?, task_id = ?, item = ?, asset_id = ?,
		asset_type = ?, unit = ?, district = ?, dept = ?, owner = ?, category = ?, severity = ?, state = ?,
		on_site = ?, found_at = ?, found_by = ?, deadline = ?, rectified_at = ?, closed_at = ?, overdue_at = ?,
		reopens = ?, created_at = ?, updated_at = ?, version = ?, body = ? WHERE id = ?`, append(args, h.ID)...)
	if err != nil {
		return formatError(err, fmt.Sprintf("hazard %d", h.ID))
	}
	if _, err := w.ExecContext(ctx, `DELETE FROM hazard_milestones WHERE hazard_id = ?`, h.ID); err != nil {
		return fmt.Errorf("hazard %d milestones: %w", h.ID, err)
	}
	return writeHazardParts(ctx, w, h, ev)
}

func validHazard(h model.Hazard) error {
	switch {
	case h.Campaign == 0 || h.Asset == "" || h.Category == "" || h.FoundBy == "":
		return model.Errorf(model.EINVALID, "hazard: campaign, asset, category and found_by are required")
	case !h.Severity.Valid():
		return model.Errorf(model.EINVALID, "hazard of asset %q: severity %q is not major or general", h.Asset, h.Severity)
	case !h.State.Valid():
		return model.Errorf(model.EINVALID, "hazard of asset %q: state %q is unknown", h.Asset, h.State)
	}
	return nil
}

// hazardArgs are the values of hazardColumns after id. The body keeps
// what no column holds; milestones have their own rows, and the id is
// the row's, so neither goes into it.
func hazardArgs(h model.Hazard) ([]any, error) {
	doc := h
	doc.ID, doc.Milestones = 0, nil
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("hazard %d: encode: %w", h.ID, err)
	}
	return []any{h.Campaign, h.Task, h.Item, h.Asset, string(h.AssetType), h.Unit, h.District, h.Dept, h.Owner,
		h.Category, string(h.Severity), string(h.State), h.OnSite, h.FoundAt, h.FoundBy, h.Deadline,
		h.RectifiedAt, h.ClosedAt, h.OverdueAt, h.Reopens, h.CreatedAt, h.UpdatedAt, h.Version, string(body)}, nil
}

// writeHazardParts writes what the hazard row does not hold: the
// milestones and the event.
func writeHazardParts(ctx context.Context, w *stmtTx, h model.Hazard, ev model.HazardEvent) error {
	for _, m := range h.Milestones {
		evidence, err := json.Marshal(nonNil(m.Evidence))
		if err != nil {
			return fmt.Errorf("hazard %d milestone %d: %w", h.ID, m.Seq, err)
		}
		_, err = w.ExecContext(ctx, `INSERT INTO hazard_milestones
			(hazard_id, seq, title, due, done_at, done_by, evidence, note, overdue_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			h.ID, m.Seq, m.Title, m.Due, m.DoneAt, m.DoneBy, string(evidence), m.Note, m.OverdueAt)
		if err != nil {
			return formatError(err, fmt.Sprintf("hazard %d milestone %d", h.ID, m.Seq))
		}
	}
	return insertHazardEvent(ctx, w, h.ID, ev)
}

func insertHazardEvent(ctx context.Context, w *stmtTx, hazard int64, ev model.HazardEvent) error {
	evidence, err := json.Marshal(nonNil(ev.Evidence))
	if err != nil {
		return fmt.Errorf("hazard %d event: %w", hazard, err)
	}
	data := []byte("{}")
	if ev.Data != nil {
		if data, err = json.Marshal(ev.Data); err != nil {
			return fmt.Errorf("hazard %d event: %w", hazard, err)
		}
	}
	_, err = w.ExecContext(ctx, `INSERT INTO hazard_events (hazard_id, at, actor, action, from_state, to_state, note, evidence, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hazard, ev.At, ev.Actor, ev.Action, string(ev.From), string(ev.To), ev.Note, string(evidence), string(data))
	return formatError(err, fmt.Sprintf("hazard %d event", hazard))
}

// stmtTx runs statements in a transaction, preparing each distinct one
// once: a batch of ten thousand inspections repeats the same handful,
// and preparing is a good part of a statement's cost.
type stmtTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func newStmtTx(tx *sql.Tx) *stmtTx { return &stmtTx{tx: tx, stmts: map[string]*sql.Stmt{}} }

func (w *stmtTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

func (w *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (w *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext falls back to the transaction when preparing fails, so
// that the error reaches the caller through Scan.
func (w *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := w.stmt(ctx, query)
	if err != nil {
		return w.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (w *stmtTx) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// Hazard returns the hazard with the id, or ENOTFOUND.
func (db *DB) Hazard(ctx context.Context, id int64) (model.Hazard, error) {
	return readHazard(ctx, db.reader, id)
}

func readHazard(ctx context.Context, q rowQuerier, id int64) (model.Hazard, error) {
	h, err := scanHazard(q.QueryRowContext(ctx, `SELECT `+hazardColumns+` FROM hazards WHERE id = ?`, id))
	if err != nil {
		return model.Hazard{}, formatError(err, fmt.Sprintf("hazard %d", id))
	}
	hs := []model.Hazard{h}
	if err := loadMilestones(ctx, q, hs); err != nil {
		return model.Hazard{}, err
	}
	return hs[0], nil
}

// scanHazard decodes the body and lets the columns win, so that what
// listings filter on and what they show can never disagree.
func scanHazard(s scanner) (model.Hazard, error) {
	var h, cols model.Hazard
	var typ, severity, state, body string
	err := s.Scan(&cols.ID, &cols.Campaign, &cols.Task, &cols.Item, &cols.Asset, &typ, &cols.Unit, &cols.District,
		&cols.Dept, &cols.Owner, &cols.Category, &severity, &state, &cols.OnSite, &cols.FoundAt, &cols.FoundBy,
		&cols.Deadline, &cols.RectifiedAt, &cols.ClosedAt, &cols.OverdueAt, &cols.Reopens, &cols.CreatedAt,
		&cols.UpdatedAt, &cols.Version, &body)
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		return h, fmt.Errorf("hazard %d body: %w", cols.ID, err)
	}
	h.ID, h.Campaign, h.Task, h.Item, h.Asset, h.AssetType = cols.ID, cols.Campaign, cols.Task, cols.Item, cols.Asset, model.AssetType(typ)
	h.Unit, h.District, h.Dept, h.Owner, h.Category = cols.Unit, cols.District, cols.Dept, cols.Owner, cols.Category
	h.Severity, h.State, h.OnSite = model.HazardSeverity(severity), model.HazardState(state), cols.OnSite
	h.FoundAt, h.FoundBy, h.Deadline, h.RectifiedAt = cols.FoundAt, cols.FoundBy, cols.Deadline, cols.RectifiedAt
	h.ClosedAt, h.OverdueAt, h.Reopens = cols.ClosedAt, cols.OverdueAt, cols.Reopens
	h.CreatedAt, h.UpdatedAt, h.Version = cols.CreatedAt, cols.UpdatedAt, cols.Version
	return h, nil
}

// loadMilestones fills in the milestones of hs with one query.
func loadMilestones(ctx context.Context, q rowQuerier, hs []model.Hazard) error {
	if len(hs) == 0 {
		return nil
	}
	at := make(map[int64]int, len(hs))
	ids := make([]int64, len(hs))
	for i, h := range hs {
		at[h.ID], ids[i] = i, h.ID
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("milestones: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT hazard_id, seq, title, due, done_at, done_by, evidence, note, overdue_at
		FROM hazard_milestones WHERE hazard_id IN (SELECT value FROM json_each(?)) ORDER BY hazard_id, seq`, string(list))
	if err != nil {
		return fmt.Errorf("query milestones: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m model.Milestone
		var evidence string
		if err := rows.Scan(&id, &m.Seq, &m.Title, &m.Due, &m.DoneAt, &m.DoneBy, &evidence, &m.Note, &m.OverdueAt); err != nil {
			return fmt.Errorf("query milestones: %w", err)
		}
		if err := json.Unmarshal([]byte(evidence), &m.Evidence); err != nil {
			return fmt.Errorf("hazard %d milestone %d evidence: %w", id, m.Seq, err)
		}
		if len(m.Evidence) == 0 {
			m.Evidence = nil
		}
		hs[at[id]].Milestones = append(hs[at[id]].Milestones, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query milestones: %w", err)
	}
	return nil
}

// Hazards lists matching hazards, newest first, a page at a time.
func (db *DB) Hazards(ctx context.Context, f store.HazardFilter, p store.Page) ([]model.Hazard, string, error) {
	after, err := decodeIDCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	where, args := hazardWhere(f)
	if after > 0 {
		where, args = append(where, "id < ?"), append(args, after)
	}
	items, next, err := queryPage(ctx, db.reader, "hazards", `SELECT `+hazardColumns+` FROM hazards WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args, pageSize(p),
		scanHazard, func(h model.Hazard) string { return fmt.Sprint(h.ID) })
	if err != nil {
		return nil, "", err
	}
	return items, next, loadMilestones(ctx, db.reader, items)
}

func hazardWhere(f store.HazardFilter) ([]string, []any) {
	where, args := []string{"true"}, []any{}
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	if f.Campaign != 0 {
		add("campaign_id = ?", f.Campaign)
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, s := range f.States {
			states[i] = string(s)
		}
		list, _ := json.Marshal(states) // strings always encode
		add("state IN (SELECT value FROM json_each(?))", string(list))
	}
	if f.Severity != "" {
		add("severity = ?", string(f.Severity))
	}
	if f.District != "" {
		add("district = ?", f.District)
	}
	if f.Dept != "" {
		add("dept = ?", f.Dept)
	}
	if f.Unit != "" {
		add("unit = ?", f.Unit)
	}
	if f.Asset != "" {
		add("asset_id = ?", f.Asset)
	}
	if f.Task != 0 {
		add("task_id = ?", f.Task)
	}
	if f.Overdue {
		where = append(where, "overdue_at > 0", "state IN ('open', 'rectifying')")
	}
	return where, args
}

// HazardEvents returns a hazard's file, oldest first; ENOTFOUND for an
// unknown hazard.
func (db *DB) HazardEvents(ctx context.Context, id int64) ([]model.HazardEvent, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, hazard_id, at, actor, action, from_state, to_state, note,
		evidence, data FROM hazard_events WHERE hazard_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("query hazard %d events: %w", id, err)
	}
	events, err := scanRows(rows, fmt.Sprintf("hazard %d events", id), scanHazardEvent)
	if err == nil && len(events) == 0 {
		return nil, notFound(fmt.Sprintf("hazard %d", id))
	}
	return events, err
}

func scanHazardEvent(s scanner) (model.HazardEvent, error) {
	var ev model.HazardEvent
	var from, to, evidence, data string
	if err := s.Scan(&ev.ID, &ev.Hazard, &ev.At, &ev.Actor, &ev.Action, &from, &to, &ev.Note, &evidence, &data); err != nil {
		return ev, err
	}
	ev.From, ev.To = model.HazardState(from), model.HazardState(to)
	if err := json.Unmarshal([]byte(evidence), &ev.Evidence); err != nil {
		return ev, fmt.Errorf("event %d evidence: %w", ev.ID, err)
	}
	if len(ev.Evidence) == 0 {
		ev.Evidence = nil
	}
	if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
		return ev, fmt.Errorf("event %d data: %w", ev.ID, err)
	}
	if len(ev.Data) == 0 {
		ev.Data = nil
	}
	return ev, nil
}

// MarkOverdue marks and returns what has just become overdue; see
// store.Campaigns. The partial indexes hazards_due and
// hazard_milestones_due hold only what is still unmarked, so a scan
// reads what it returns and little else.
func (db *DB) MarkOverdue(ctx context.Context, now int64) ([]model.HazardOverdue, error) {
	var found []model.HazardOverdue
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		due, err := dueItems(ctx, tx, now)
		if err != nil {
			return err
		}
		w := newStmtTx(tx)
		defer w.close()
		for _, id := range sortedHazardIDs(due) {
			marked, err := markHazardOverdue(ctx, w, id, due[id], now)
			if err != nil {
				return err
			}
			found = append(found, marked...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// dueItems returns, per hazard, what is newly overdue: 0 for the
// deadline, a milestone's seq for a milestone.
func dueItems(ctx context.Context, tx *sql.Tx, now int64) (map[int64][]int, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT id, 0 FROM hazards
			WHERE deadline < ? AND state IN ('open', 'rectifying') AND overdue_at = 0
		UNION ALL
		SELECT m.hazard_id, m.seq FROM hazard_milestones AS m JOIN hazards AS h ON h.id = m.hazard_id
			WHERE m.due < ? AND m.done_at = 0 AND m.overdue_at = 0 AND h.state IN ('open', 'rectifying')`, now, now)
	if err != nil {
		return nil, fmt.Errorf("overdue scan: %w", err)
	}
	defer rows.Close()
	due := map[int64][]int{}
	for rows.Next() {
		var id int64
		var seq int
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("overdue scan: %w", err)
		}
		due[id] = append(due[id], seq)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("overdue scan: %w", err)
	}
	return due, nil
}

// rfc3339ms formats Unix milliseconds for messages.
func rfc3339ms(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

func sortedHazardIDs(m map[int64][]int) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func markHazardOverdue(ctx context.Context, w *stmtTx, id int64, seqs []int, now int64) ([]model.HazardOverdue, error) {
	h, err := readHazard(ctx, w, id)
	if err != nil {
		return nil, err
	}
	slices.Sort(seqs)
	var found []model.HazardOverdue
	for _, seq := range seqs {
		if seq == 0 {
			h.OverdueAt = now
			found = append(found, model.HazardOverdue{Milestone: 0, Due: h.Deadline, At: now})
			continue
		}
		for i := range h.Milestones {
			if h.Milestones[i].Seq == seq {
				h.Milestones[i].OverdueAt = now
				found = append(found, model.HazardOverdue{Milestone: seq, Due: h.Milestones[i].Due, At: now})
			}
		}
	}
	h.Version++
	h.UpdatedAt = now
	ev := model.HazardEvent{At: now, Actor: "system", Action: "overdue", From: h.State, To: h.State,
		Data: map[string]any{"milestones": seqs}}
	if err := updateHazard(ctx, w, h, ev); err != nil {
		return nil, err
	}
	for i := range found {
		found[i].Hazard = h
	}
	return found, nil
}

// OpenMajorByUnit counts the major hazards not closed, by unit.
func (db *DB) OpenMajorByUnit(ctx context.Context) (map[string]int, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT unit, count(*) FROM hazards
		WHERE severity = 'major' AND state <> 'closed' GROUP BY unit`)
	if err != nil {
		return nil, fmt.Errorf("count open major hazards: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var unit string
		var n int
		if err := rows.Scan(&unit, &n); err != nil {
			return nil, fmt.Errorf("count open major hazards: %w", err)
		}
		counts[unit] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count open major hazards: %w", err)
	}
	return counts, nil
}

// OpenHazardsOfAsset returns the asset's hazards not closed, oldest first.
func (db *DB) OpenHazardsOfAsset(ctx context.Context, asset string) ([]model.Hazard, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+hazardColumns+` FROM hazards
		WHERE asset_id = ? AND state <> 'closed' ORDER BY id`, asset)
	if err != nil {
		return nil, fmt.Errorf("open hazards of asset %q: %w", asset, err)
	}
	hs, err := scanRows(rows, "hazards", scanHazard)
	if err != nil {
		return nil, err
	}
	return hs, loadMilestones(ctx, db.reader, hs)
}

// CampaignStats counts a campaign's tasks and hazards by district or
// department; see store.Campaigns and docs/campaigns.md.
func (db *DB) CampaignStats(ctx context.Context, q store.StatsQuery) ([]model.CampaignReportRow, error) {
	var key string
	switch q.By {
	case "district":
		key = "district"
	case "dept":
		key = "dept"
	default:
		return nil, model.Errorf(model.EINVALID, "report: group by %q: want district or dept", q.By)
	}
	rows := map[string]*model.CampaignReportRow{}
	row := func(k string) *model.CampaignReportRow {
		if rows[k] == nil {
			rows[k] = &model.CampaignReportRow{Key: k}
		}
		return rows[k]
	}
	if err := db.taskStats(ctx, key, q, row); err != nil {
		return nil, err
	}
	if err := db.hazardStats(ctx, key, q, row); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]model.CampaignReportRow, len(keys))
	for i, k := range keys {
		out[i] = *rows[k]
	}
	return out, nil
}

// taskStats counts all tasks per key in one scan of the covering index
// (campaign_id, key, inspected_at), then the tasks inspected in the
// period per key by a range seek in the same index, which reads only the
// inspected entries.
func (db *DB) taskStats(ctx context.Context, key string, q store.StatsQuery, row func(string) *model.CampaignReportRow) error {
	rs, err := db.reader.QueryContext(ctx, `
		WITH totals AS (SELECT `+key+` AS k, count(*) AS n FROM campaign_tasks WHERE campaign_id = :campaign GROUP BY `+key+`)
		SELECT k, n, (SELECT count(*) FROM campaign_tasks
			WHERE campaign_id = :campaign AND `+key+` = totals.k AND inspected_at >= :from AND inspected_at < :to)
		FROM totals`,
		sql.Named("campaign", q.Campaign), sql.Named("from", max(q.From, 1)), sql.Named("to", q.To))
	if err != nil {
		return fmt.Errorf("campaign %d task stats: %w", q.Campaign, err)
	}
	defer rs.Close()
	for rs.Next() {
		var k string
		var tasks, inspected int64
		if err := rs.Scan(&k, &tasks, &inspected); err != nil {
			return fmt.Errorf("campaign %d task stats: %w", q.Campaign, err)
		}
		r := row(k)
		r.Tasks, r.Inspected = tasks, inspected
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("campaign %d task stats: %w", q.Campaign, err)
	}
	return nil
}

// hazardStats counts the hazards found in [From, To) as they stood at
// AsOf (inclusive): "closed" if closed_at is set and not after AsOf,
// "rectified" likewise with rectified_at.
func (db *DB) hazardStats(ctx context.Context, key string, q store.StatsQuery, row func(string) *model.CampaignReportRow) error {
	rs, err := db.reader.QueryContext(ctx, `
		WITH h AS (
			SELECT `+key+` AS k, severity = 'major' AS major, on_site, deadline, reopens,
				closed_at > 0 AND closed_at <= :asof AS closed,
				rectified_at > 0 AND rectified_at <= :asof AS rectified,
				rectified_at, found_at
			FROM hazards WHERE campaign_id = :campaign AND found_at >= :from AND found_at < :to)
		SELECT k, count(*), sum(major), sum(on_site), sum(closed), sum(closed AND major),
			sum(rectified AND NOT closed),
			sum(NOT rectified AND deadline < :asof),
			sum(major AND NOT closed AND found_at <= :since),
			sum(rectified AND rectified_at > deadline),
			sum(reopens > 0)
		FROM h GROUP BY k`,
		sql.Named("asof", q.AsOf), sql.Named("campaign", q.Campaign), sql.Named("from", q.From),
		sql.Named("to", q.To), sql.Named("since", q.MajorSince))
	if err != nil {
		return fmt.Errorf("campaign %d hazard stats: %w", q.Campaign, err)
	}
	defer rs.Close()
	for rs.Next() {
		var k string
		var c model.CampaignReportRow
		if err := rs.Scan(&k, &c.Found, &c.Major, &c.OnSite, &c.Rectified, &c.RectifiedMajor, &c.AwaitingVerify,
			&c.Overdue, &c.MajorOpenLong, &c.RectifiedLate, &c.Reopened); err != nil {
			return fmt.Errorf("campaign %d hazard stats: %w", q.Campaign, err)
		}
		r := row(k)
		c.Key, c.Tasks, c.Inspected = k, r.Tasks, r.Inspected
		*r = c
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("campaign %d hazard stats: %w", q.Campaign, err)
	}
	return nil
}
