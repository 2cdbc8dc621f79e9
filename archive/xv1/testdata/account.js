window.YTD.account.part0 = [
  {
    "account" : {
      "email" : "press@example.gov",
      "createdVia" : "web",
      "username" : "VP",
      "accountId" : "1542228578",
      "createdAt" : "2013-06-28T15:15:41.000Z",
      "accountDisplayName" : "Vice President JD Vance"
    }
  }
]
