window.YTD.tweet.part0 = [ {
  "retweeted" : false,
  "source" : "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>",
  "entities" : {
    "hashtags" : [ ],
    "symbols" : [ ],
    "user_mentions" : [ ],
    "urls" : [ ]
  },
  "display_text_range" : [ "0", "43" ],
  "favorite_count" : "15022",
  "id_str" : "2021294472721088263",
  "truncated" : false,
  "retweet_count" : "2210",
  "id" : "2021294472721088263",
  "created_at" : "Tue Feb 10 18:45:30 +0000 2026",
  "favorited" : false,
  "full_text" : "Wheels up from Baku. Thank you, Azerbaijan.",
  "lang" : "en"
}, {
  "retweeted" : false,
  "source" : "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>",
  "entities" : {
    "hashtags" : [ ],
    "symbols" : [ ],
    "user_mentions" : [ ],
    "urls" : [ ]
  },
  "display_text_range" : [ "0", "75" ],
  "favorite_count" : "20113",
  "id_str" : "2021208780296952363",
  "truncated" : false,
  "retweet_count" : "3120",
  "id" : "2021208780296952363",
  "created_at" : "Tue Feb 10 13:05:00 +0000 2026",
  "favorited" : false,
  "full_text" : "Landed in Baku. Grateful for the warm welcome from our Azerbaijani friends.",
  "lang" : "en"
} ]
