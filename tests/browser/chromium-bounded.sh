#!/usr/bin/env bash
# Debian's Chromium for the browser tests, bounded in time: if the test
# runner dies without closing it, it still stops by itself.
exec timeout --kill-after=5 "${PW_CHROMIUM_TIMEOUT:-600}" "${PW_CHROMIUM:-/usr/bin/chromium}" "$@"
