package compat

// This file exports what a runtime needs to follow the resolution rules
// exactly as Resolve checks them (runtime/internal/resolve compiles transcoding
// plans with it): the field, union-branch and promotion matching, and
// field defaults as JSON (Field.DefaultJSON, in internal/avroschema).

// WriterField returns the field of writer record w that reader field rf
// reads: the same name, else a writer field named by one of rf's aliases;
// nil when there is none (rf then takes its default).
func WriterField(w *Type, rf *Field) *Field { return writerField(w, rf) }

// UnionBranch returns the index of the branch of a reader union that a
// writer type (not itself a union) resolves to: the same named type by
// full name, then by unqualified name or reader alias, then the same
// unnamed kind, then a promotion target; -1 when none does.
func UnionBranch(w *Type, readerBranches []*Type) int {
	b := unionBranch(w, readerBranches)
	for i, rb := range readerBranches {
		if rb == b && b != nil {
			return i
		}
	}
	return -1
}

// Promotable reports whether a writer value of kind w is read as kind r
// by promotion (int→long/float/double, long→float/double, float→double,
// string↔bytes).
func Promotable(w, r Kind) bool { return promotable(w, r) }

// NameMatches reports whether reader named type r reads writer named type
// w: the same unqualified name, or a reader alias equal to w's full name.
func NameMatches(w, r *Type) bool { return nameMatches(w, r) }
