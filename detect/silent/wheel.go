package silent

// wheel is a deadline-ordered queue of stream slots with one bucket per
// event-time second: pushing is an append, and popping the due buckets
// touches only streams whose deadline has come. A min-heap of bucket keys
// lets event time jump (a replay starting a year later) without walking
// the empty seconds in between.
type wheel struct {
	buckets map[int64][]int32 // bucket second → slots
	keys    []int64           // min-heap of the keys of buckets
	spare   [][]int32         // emptied buckets, reused to spare allocation
}

func newWheel() wheel {
	return wheel{buckets: map[int64][]int32{}}
}

// bucketOf returns the bucket second of a deadline in Unix ms (floor, so
// that negative times sort correctly too).
func bucketOf(deadline int64) int64 {
	sec := deadline / 1000
	if deadline%1000 < 0 {
		sec--
	}
	return sec
}

// push queues slot under bucket.
func (w *wheel) push(bucket int64, slot int32) {
	entries, ok := w.buckets[bucket]
	if !ok {
		w.heapPush(bucket)
		if n := len(w.spare); n > 0 {
			entries, w.spare = w.spare[n-1], w.spare[:n-1]
		}
	}
	w.buckets[bucket] = append(entries, slot)
}

// popBefore removes and returns the earliest bucket if it may hold a
// deadline before now; ok is false when none does.
func (w *wheel) popBefore(now int64) (bucket int64, slots []int32, ok bool) {
	if len(w.keys) == 0 || w.keys[0] > bucketOf(now-1) {
		return 0, nil, false
	}
	bucket = w.heapPop()
	slots = w.buckets[bucket]
	delete(w.buckets, bucket)
	return bucket, slots, true
}

// maxSpare bounds the emptied buckets kept for reuse.
const maxSpare = 16

// recycle hands back a bucket popBefore returned once it has been read.
func (w *wheel) recycle(slots []int32) {
	if len(w.spare) < maxSpare {
		w.spare = append(w.spare, slots[:0])
	}
}

func (w *wheel) heapPush(key int64) {
	w.keys = append(w.keys, key)
	for i := len(w.keys) - 1; i > 0; {
		parent := (i - 1) / 2
		if w.keys[parent] <= w.keys[i] {
			break
		}
		w.keys[parent], w.keys[i] = w.keys[i], w.keys[parent]
		i = parent
	}
}

func (w *wheel) heapPop() int64 {
	top := w.keys[0]
	last := len(w.keys) - 1
	w.keys[0] = w.keys[last]
	w.keys = w.keys[:last]
	for i := 0; ; {
		least, left, right := i, 2*i+1, 2*i+2
		if left < last && w.keys[left] < w.keys[least] {
			least = left
		}
		if right < last && w.keys[right] < w.keys[least] {
			least = right
		}
		if least == i {
			return top
		}
		w.keys[i], w.keys[least] = w.keys[least], w.keys[i]
		i = least
	}
}
