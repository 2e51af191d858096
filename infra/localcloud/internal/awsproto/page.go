package awsproto

import (
	"cmp"
	"sort"
)

// Page cuts one page out of items, which are sorted by key: the items
// after the key *after (from the first when after is nil), at most limit
// of them (all when limit <= 0). more reports whether items remain past
// the page; the caller turns the key of the page's last item into its
// NextToken. Keying pages by the last item, not by an offset, keeps a
// listing stable while items come and go between pages.
func Page[T any, K cmp.Ordered](items []T, key func(T) K, after *K, limit int) (page []T, more bool) {
	start := 0
	if after != nil {
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > *after })
	}
	end := len(items)
	if limit > 0 && start+limit < end {
		end = start + limit
	}
	return items[start:end], end < len(items)
}
