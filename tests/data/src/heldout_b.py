# Held-out split, part B (added before any run of the stages on the held-out
# split). Same fields as heldout.py.
ITEMS = [
# --- saas
("saas", "en", "Comments I write on mobile never show up on the desktop app.", "neutral", "medium", "bug", "sync", "h-saas-comments-sync", None, None),
("saas", "en", "Anything I comment from my phone is missing when I open the task on my laptop.", "neutral", "medium", "bug", "sync", "h-saas-comments-sync", None, None),
("saas", "de", "Kommentare vom Handy tauchen in der Desktop-App nie auf.", "neutral", "medium", "bug", "sync", "h-saas-comments-sync", None, None),
("saas", "en", "Comments from the desktop app show up twice on mobile.", "neutral", "medium", "bug", "sync", None, "h-saas-comments-sync", "twice vs missing"),
("saas", "en", "Honestly the best planning tool we've used. The team adopted it in a day.", "positive", "low", "praise", "general", None, None, None),
("saas", "en", "Is there a way to archive a project without deleting it?", "neutral", "low", "question", "projects", None, None, None),
("saas", "en", "thx for adding the gantt view!!! exactly what we needed", "positive", "low", "praise", "general", None, None, "chat spelling"),
("saas", "en", "I was never asked before my plan renewed, and now 1,200 euros are gone from our account. I want it refunded.", "negative", "high", "billing", "billing", None, None, "renewal disputed"),
# --- shop
("shop", "en", "The tracking link in my confirmation email gives a 404.", "neutral", "medium", "bug", "delivery", "h-shop-tracking-404", None, None),
("shop", "en", "Clicking 'track my parcel' in the email just opens a page not found error.", "neutral", "medium", "bug", "delivery", "h-shop-tracking-404", None, None),
("shop", "es", "El enlace de seguimiento del correo da error 404.", "neutral", "medium", "bug", "delivery", "h-shop-tracking-404", None, None),
("shop", "en", "The tracking page works but shows a parcel that isn't mine.", "neutral", "critical", "bug", "security", None, "h-shop-tracking-404", "another customer's data, not a 404"),
("shop", "en", "Lovely jacket, fits perfectly and arrived a day early. Thank you!", "positive", "low", "praise", "delivery", None, None, None),
("shop", "en", "Do you ship to Switzerland, and are there customs fees?", "neutral", "low", "question", "delivery", None, None, None),
("shop", "de", "Die Schuhe sind super bequem, ich bestelle sicher wieder.", "positive", "low", "praise", "general", None, None, None),
("shop", "en", "NOT impressed. Third time my order arrives with missing items.", "negative", "high", "complaint", "delivery", None, None, "caps, missing items"),
# --- game
("game", "en", "The daily reward resets before I can claim it, the timer is off by an hour.", "neutral", "medium", "bug", "general", "h-game-daily-reset", None, None),
("game", "en", "Daily login bonus disappears an hour early, I can never collect it after work.", "negative", "medium", "bug", "general", "h-game-daily-reset", None, None),
("game", "es", "La recompensa diaria se reinicia una hora antes y no puedo recogerla.", "neutral", "medium", "bug", "general", "h-game-daily-reset", None, None),
("game", "en", "Please add a way to gift items to friends.", "neutral", "low", "feature_request", "general", "h-game-gifting", None, None),
("game", "en", "Would be cool if we could send gifts to our friends in the game.", "neutral", "low", "feature_request", "general", "h-game-gifting", None, "polite request"),
("game", "en", "Please add a way to trade items with friends.", "neutral", "low", "feature_request", "general", None, "h-game-gifting", "trade vs gift"),
("game", "en", "Best mobile game I've played this year, the new season is so much fun 😍", "positive", "low", "praise", "general", None, None, "emoji"),
("game", "en", "How do I move my progress from Android to iPhone?", "neutral", "low", "question", "sync", None, None, None),
# --- devtool
("devtool", "en", "The CLI ignores the proxy settings in HTTPS_PROXY, so it can't reach the registry behind our corporate proxy.", "neutral", "high", "bug", "general", "h-dev-proxy", None, None),
("devtool", "en", "Behind a corporate proxy the CLI fails, it doesn't respect HTTPS_PROXY at all.", "negative", "high", "bug", "general", "h-dev-proxy", None, None),
("devtool", "en", "The docs for the proxy settings say HTTP_PROXY but only HTTPS_PROXY is read.", "neutral", "medium", "bug", "docs", None, "h-dev-proxy", "wrong docs vs ignored setting"),
("devtool", "en", "Really solid SDK, the typed errors saved us a lot of time. Keep it up.", "positive", "low", "praise", "general", None, None, None),
("devtool", "en", "Any plans to support ARM64 runners?", "neutral", "low", "feature_request", "general", None, None, "any plans"),
("devtool", "en", "Can I use one API key for both staging and production?", "neutral", "low", "question", "general", None, None, None),
("devtool", "de", "Die Fehlermeldungen der CLI sind endlich verständlich, danke!", "positive", "low", "praise", "general", None, None, None),
# --- bank
("bank", "en", "Push notifications for card payments stopped working after the update.", "neutral", "medium", "bug", "notifications", "h-bank-push", None, None),
("bank", "en", "I no longer get a notification when my card is used, since the last update.", "neutral", "medium", "bug", "notifications", "h-bank-push", None, None),
("bank", "de", "Seit dem Update bekomme ich keine Push-Benachrichtigungen mehr bei Kartenzahlungen.", "neutral", "medium", "bug", "notifications", "h-bank-push", None, None),
("bank", "en", "I get every push notification twice since the update.", "neutral", "low", "bug", "notifications", None, "h-bank-push", "twice vs none"),
("bank", "en", "Opening an account took five minutes, really impressed with the app.", "positive", "low", "praise", "general", None, None, None),
("bank", "en", "What is the daily limit for instant transfers?", "neutral", "low", "question", "payments", None, None, None),
("bank", "es", "¿Cómo cambio el PIN de mi tarjeta desde la app?", "neutral", "low", "question", "general", None, None, None),
]
