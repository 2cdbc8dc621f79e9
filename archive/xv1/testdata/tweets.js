window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "2021228157981432363",
            "2021228704637652017"
          ],
          "editableUntil" : "2026-02-10T15:22:00.000Z",
          "editsRemaining" : "4",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "display_text_range" : [
        "0",
        "115"
      ],
      "favorite_count" : "9120",
      "id_str" : "2021228157981432363",
      "truncated" : false,
      "retweet_count" : "1204",
      "id" : "2021228157981432363",
      "created_at" : "Tue Feb 10 14:22:00 +0000 2026",
      "favorited" : false,
      "full_text" : "Productive meeting with President Aliyev at the Presidential Palace. The United States values partners who deliver.",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "edit" : {
          "initialTweetId" : "2021228157981432363",
          "editControlInitial" : {
            "editTweetIds" : [
              "2021228157981432363",
              "2021228704637652017"
            ],
            "editableUntil" : "2026-02-10T15:22:00.000Z",
            "editsRemaining" : "4",
            "isEditEligible" : true
          }
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "display_text_range" : [
        "0",
        "127"
      ],
      "favorite_count" : "11873",
      "id_str" : "2021228704637652017",
      "truncated" : false,
      "retweet_count" : "1530",
      "id" : "2021228704637652017",
      "created_at" : "Tue Feb 10 14:24:10 +0000 2026",
      "favorited" : false,
      "full_text" : "Productive meeting with President Aliyev &amp; his team at the Presidential Palace. The United States &lt;3 partners who deliver.",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "2021247787324152363"
          ],
          "editableUntil" : "2026-02-10T16:40:00.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ],
        "media" : [
          {
            "expanded_url" : "https://x.com/VP/status/2021247787324152363/video/1",
            "indices" : [
              "209",
              "232"
            ],
            "url" : "https://t.co/Vd9Pr2sKwE",
            "media_url" : "http://pbs.twimg.com/amplify_video_thumb/2021252484428726274/img/Charter0210.jpg",
            "id_str" : "2021252484428726274",
            "id" : "2021252484428726274",
            "media_url_https" : "https://pbs.twimg.com/amplify_video_thumb/2021252484428726274/img/Charter0210.jpg",
            "sizes" : {
              "large" : { "w" : "1920", "h" : "1080", "resize" : "fit" }
            },
            "type" : "photo",
            "display_url" : "pic.x.com/Vd9Pr2sKwE"
          }
        ]
      },
      "extended_entities" : {
        "media" : [
          {
            "expanded_url" : "https://x.com/VP/status/2021247787324152363/video/1",
            "indices" : [
              "209",
              "232"
            ],
            "url" : "https://t.co/Vd9Pr2sKwE",
            "media_url" : "http://pbs.twimg.com/amplify_video_thumb/2021252484428726274/img/Charter0210.jpg",
            "id_str" : "2021252484428726274",
            "video_info" : {
              "aspect_ratio" : [
                "16",
                "9"
              ],
              "duration_millis" : "48048",
              "variants" : [
                {
                  "bitrate" : "2176000",
                  "content_type" : "video/mp4",
                  "url" : "https://video.twimg.com/amplify_video/2021252484428726274/vid/avc1/1280x720/c3.mp4?tag=16"
                },
                {
                  "content_type" : "application/x-mpegURL",
                  "url" : "https://video.twimg.com/amplify_video/2021252484428726274/pl/master.m3u8?tag=16"
                },
                {
                  "bitrate" : "10368000",
                  "content_type" : "video/mp4",
                  "url" : "https://video.twimg.com/amplify_video/2021252484428726274/vid/avc1/1920x1080/d4.mp4?tag=16"
                }
              ]
            },
            "id" : "2021252484428726274",
            "media_url_https" : "https://pbs.twimg.com/amplify_video_thumb/2021252484428726274/img/Charter0210.jpg",
            "type" : "video",
            "display_url" : "pic.x.com/Vd9Pr2sKwE"
          }
        ]
      },
      "display_text_range" : [
        "0",
        "208"
      ],
      "favorite_count" : "22470",
      "id_str" : "2021247787324152363",
      "truncated" : false,
      "retweet_count" : "4210",
      "id" : "2021247787324152363",
      "possibly_sensitive" : false,
      "created_at" : "Tue Feb 10 15:40:00 +0000 2026",
      "favorited" : false,
      "full_text" : "Today in Baku, President Aliyev and I signed the Charter on Strategic Partnership between the United States and Azerbaijan. Energy, trade, security, and the Middle Corridor: a new chapter for our two nations. https://t.co/Vd9Pr2sKwE",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "2021256001123532800"
          ],
          "editableUntil" : "2026-02-10T17:12:38.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : false
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [
          {
            "name" : "VP Press Secretary",
            "screen_name" : "VPPressSec",
            "indices" : [
              "0",
              "11"
            ],
            "id_str" : "1880674038224457728",
            "id" : "1880674038224457728"
          }
        ],
        "urls" : [ ]
      },
      "display_text_range" : [
        "12",
        "61"
      ],
      "favorite_count" : "640",
      "in_reply_to_status_id_str" : "2021253323805432363",
      "id_str" : "2021256001123532800",
      "in_reply_to_user_id" : "1880674038224457728",
      "truncated" : false,
      "retweet_count" : "88",
      "id" : "2021256001123532800",
      "in_reply_to_status_id" : "2021253323805432363",
      "created_at" : "Tue Feb 10 16:12:38 +0000 2026",
      "favorited" : false,
      "full_text" : "@VPPressSec A good day for America &amp; for Azerbaijan.",
      "lang" : "en",
      "in_reply_to_screen_name" : "VPPressSec",
      "in_reply_to_user_id_str" : "1880674038224457728"
    }
  }
]
