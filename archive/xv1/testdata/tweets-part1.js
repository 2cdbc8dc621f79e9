window.YTD.tweets.part1 = [
  {
    "tweet" : {
      "id_str" : "2021253323805432363",
      "id" : "2021253323805432363",
      "created_at" : "Tue Feb 10 16:02:00 +0000 2026",
      "full_text" : "WATCH: @VP and President Aliyev sign the Charter on Strategic Partnership in Baku.",
      "lang" : "en",
      "favorite_count" : "7001",
      "retweet_count" : "950"
    }
  }
]
