package indicator

import (
	"errors"
	"fmt"
	"reflect"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// selectionType is the CEL type of every property variable: the streams
// of one property in the unit being evaluated, optionally narrowed to one
// asset type with .on("type").
var selectionType = types.NewOpaqueType("Selection")

// scopeType is the CEL type of the hidden variable through which ind()
// reaches the Scope of the current evaluation.
var scopeType = types.NewOpaqueType("Scope")

// selection is the runtime value of a property variable. It is bound to
// the Scope of one Eval call and resolved to a StreamSet only when a
// function reduces it.
type selection struct {
	scope     Scope
	property  string
	assetType string
}

var _ ref.Val = (*selection)(nil)

func (s *selection) streams() StreamSet { return s.scope.Streams(s.property, s.assetType) }

// ConvertToNative implements ref.Val; a selection has no native form.
func (s *selection) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("selection %s: no conversion to %v", s, typeDesc)
}

// ConvertToType implements ref.Val.
func (s *selection) ConvertToType(t ref.Type) ref.Val {
	if t.TypeName() == selectionType.TypeName() {
		return s
	}
	return types.NewErr("selection %s: no conversion to %s", s, t.TypeName())
}

// Equal implements ref.Val: selections are equal when they select the same
// streams.
func (s *selection) Equal(other ref.Val) ref.Val {
	o, ok := other.(*selection)
	return types.Bool(ok && o.property == s.property && o.assetType == s.assetType)
}

// Type implements ref.Val.
func (s *selection) Type() ref.Type { return selectionType }

// Value implements ref.Val.
func (s *selection) Value() any { return s }

func (s *selection) String() string {
	if s.assetType == "" {
		return s.property
	}
	return fmt.Sprintf("%s.on(%q)", s.property, s.assetType)
}

// scopeVal carries the Scope of one evaluation to ind().
type scopeVal struct{ scope Scope }

var _ ref.Val = scopeVal{}

func (v scopeVal) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, errors.New("scope: no native conversion")
}
func (v scopeVal) ConvertToType(t ref.Type) ref.Val { return types.NewErr("scope: no conversion") }
func (v scopeVal) Equal(other ref.Val) ref.Val      { return types.False }
func (v scopeVal) Type() ref.Type                   { return scopeType }
func (v scopeVal) Value() any                       { return v.scope }
