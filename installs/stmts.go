package installs

import "github.com/bluezone-vn/bluezone/store"

// chunkSizes are the row counts of the writer's multi-row SQLite
// statements, largest first; the last must be 1. 128 rows of 6 columns
// stay far below SQLite's limit of 32766 parameters.
var chunkSizes = [...]int{128, 32, 8, 1}

// nextChunk returns how many of n remaining rows the next statement takes.
func nextChunk(n int) int { return store.NextChunk(n, chunkSizes[:]) }
