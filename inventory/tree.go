package inventory

import (
	"context"
	"fmt"

	"cityvitals/geo"
	"cityvitals/model"
)

// tree is an immutable snapshot of the unit tree.
type tree struct {
	index    *geo.Index
	children map[string][]string // parent code ("" = roots) → child codes
	parent   map[string]string
}

func newTree(units []model.Unit) (*tree, error) {
	idx, err := geo.NewIndex(units)
	if err != nil {
		return nil, fmt.Errorf("build spatial index: %w", err)
	}
	t := &tree{index: idx, children: map[string][]string{}, parent: map[string]string{}}
	for _, u := range units {
		t.children[u.Parent] = append(t.children[u.Parent], u.Code)
		t.parent[u.Code] = u.Parent
	}
	return t, nil
}

// ancestors returns the path from the root down to code, inclusive. A
// cycle cannot occur (parents are checked on import) but the walk is
// bounded anyway.
func (t *tree) ancestors(code string) []string {
	var path []string
	for c := code; c != "" && len(path) <= len(model.UnitLevels)*4; c = t.parent[c] {
		if _, ok := t.parent[c]; !ok {
			break
		}
		path = append(path, c)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// subtree returns code and every unit below it.
func (t *tree) subtree(code string) []string {
	out := []string{code}
	for i := 0; i < len(out); i++ {
		out = append(out, t.children[out[i]]...)
	}
	return out
}

func (s *Service) reloadTree(ctx context.Context) error {
	units, err := s.stores.Units.AllUnits(ctx)
	if err != nil {
		return fmt.Errorf("load units: %w", err)
	}
	t, err := newTree(units)
	if err != nil {
		return err
	}
	s.tree.Store(t)
	return nil
}
