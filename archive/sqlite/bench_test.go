package sqlite

import (
	"context"
	"testing"
)

func BenchmarkWritePosts(b *testing.B) {
	posts := genPosts(100_000, 1)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		db := openTest(b)
		w := db.NewPostWriter()
		b.StartTimer()
		const batch = 5000
		for i := 0; i < len(posts); i += batch {
			items := make([]Item, 0, batch)
			for _, p := range posts[i:min(i+batch, len(posts))] {
				items = append(items, Item{Post: p})
			}
			if _, err := w.Write(ctx, items); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(posts)*b.N)/b.Elapsed().Seconds(), "posts/s")
}
