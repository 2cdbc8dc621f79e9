package browser

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func TestClassify(t *testing.T) {
	post := "Vice President JD Vance @VP We signed the strategic partnership charter today. A good day for both our countries. 3:04 PM · Feb 10, 2026 1.2M Views"
	bar := " Don’t miss what’s happening People on X are the first to know. Log in Sign up"
	tests := []struct {
		name     string
		status   int
		url      string
		text     string
		uniform  bool
		want     string
		wantWhy  string
		checkWhy bool
	}{
		{"post", 200, "https://x.com/VP/status/1", post, false, VerdictOK, "", true},
		{"post with the logged-out bar", 200, "https://x.com/VP/status/1", post + bar, false, VerdictOK, "", true},
		{"login page", 200, "https://x.com/i/flow/login", "Sign in to X Next", false, VerdictLoginWall, "redirected to /i/flow/login", true},
		{"login modal", 200, "https://x.com/VP/status/1", "Sign in to X Sign in with Apple or Next Forgot password?", false, VerdictLoginWall, `page says "sign in to x"`, true},
		{"only the bar", 200, "https://x.com/VP/status/1", bar, false, VerdictLoginWall, "", false},
		{"log in prompt", 200, "https://example.com/", "Log in", false, VerdictLoginWall, "", false},
		{"deleted", 200, "https://x.com/VP/status/1", "Hmm...this page doesn’t exist. Try searching for something else." + bar, false, VerdictNotFound, "", false},
		{"deleted, ellipsis", 200, "https://x.com/VP/status/1", "Hmm…this page doesn't exist.", false, VerdictNotFound, "", false},
		{"unavailable", 200, "https://x.com/VP/status/1", "This post is unavailable. Learn more", false, VerdictNotFound, "", false},
		{"was deleted", 200, "https://x.com/VP/status/1", "This post was deleted by the post author. Learn more", false, VerdictNotFound, "", false},
		{"sorry", 200, "https://x.com/nobody", "Sorry, that page doesn’t exist!", false, VerdictNotFound, "", false},
		{"404", 404, "https://x.com/x", "whatever", false, VerdictNotFound, "HTTP 404", true},
		{"410", 410, "https://x.com/x", "", true, VerdictNotFound, "HTTP 410", true},
		{"500", 500, "https://x.com/x", "", false, VerdictErrorPage, "HTTP 500", true},
		{"429", 429, "https://x.com/x", "", false, VerdictErrorPage, "HTTP 429 (rate limited)", true},
		{"went wrong", 200, "https://x.com/VP/status/1", "Something went wrong. Try reloading. Retry", false, VerdictErrorPage, "", false},
		{"rate limit", 200, "https://x.com/VP/status/1", "Rate limit exceeded", false, VerdictErrorPage, "", false},
		{"blank", 200, "https://x.com/VP/status/1", " \n ", true, VerdictBlank, "", false},
		{"images only", 200, "https://x.com/VP/photo/1", "", false, VerdictOK, "no text", true},
		{"other 4xx with text", 403, "https://example.com/", "Forbidden", false, VerdictErrorPage, "HTTP 403", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Classify(tt.status, tt.url, tt.text, tt.uniform)
			if got != tt.want || (tt.checkWhy && why != tt.wantWhy) {
				t.Errorf("Classify = %s (%s), want %s (%s)", got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestUniformPNG(t *testing.T) {
	tests := []struct {
		name string
		img  func() image.Image
		want bool
	}{
		{"white", func() image.Image { return fill(1280, 900, nil) }, true},
		{"white with a speck", func() image.Image {
			return fill(1280, 900, func(img *image.RGBA) { img.Set(640, 450, color.Black) })
		}, true},
		{"text-like stripes", func() image.Image {
			return fill(1280, 900, func(img *image.RGBA) {
				for y := 100; y < 800; y += 20 {
					for x := 100; x < 1180; x++ {
						for dy := range 8 {
							img.Set(x, y+dy, color.Black)
						}
					}
				}
			})
		}, false},
		{"tiny", func() image.Image { return fill(1, 1, nil) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := png.Encode(&b, tt.img()); err != nil {
				t.Fatal(err)
			}
			got, err := uniformPNG(b.Bytes())
			if err != nil || got != tt.want {
				t.Errorf("uniformPNG = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := uniformPNG([]byte("not a png")); err == nil {
		t.Error("uniformPNG(garbage) succeeded")
	}
}

func fill(w, h int, draw func(*image.RGBA)) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	if draw != nil {
		draw(img)
	}
	return img
}

func TestParseHeadersText(t *testing.T) {
	text := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Folded: one\r\n two\r\n\r\n"
	got := parseHeadersText(text)
	want := []Header{{"Content-Type", "text/html"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"X-Folded", "one two"}}
	if len(got) != len(want) {
		t.Fatalf("parseHeadersText = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("header %d = %v, want %v", i, got[i], want[i])
		}
	}
}
