//! RFC 3339 timestamps to milliseconds since the epoch, `mm:ss` countdown text, when the clock must
//! tick next, and the calm cadence at which the countdown is spoken to screen readers; pure, no clock.

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`; `None` for anything else.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded: String = frac[..digits]
            .chars()
            .chain("000".chars())
            .take(3)
            .collect();
        millis = padded.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let h: i64 = rest.get(1..3)?.parse().ok()?;
            let m: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (h * 60 + m)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    Some(secs * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `mm:ss`, or `h:mm:ss` from an hour up.
pub fn countdown(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// What a screen reader hears of `secs` left: the mark at or below it, so the spoken text never says
/// more time than is left, and changes (and is announced) only every 3 minutes above 5 minutes
/// (at 14, 11, 8 and 5 minutes…), every minute under 5, at 30 s, and once under 30 s (mark 0:
/// "about to expire").
pub fn spoken_mark(secs: u64) -> u64 {
    if secs >= 300 {
        300 + (secs - 300) / 180 * 180
    } else if secs >= 60 {
        secs / 60 * 60
    } else if secs >= 30 {
        30
    } else {
        0
    }
}

/// Milliseconds from `now_ms` until the shown whole second (`remaining_secs`, rounded up) next
/// changes: the clock ticks on the expiry's second boundaries, not every second from mount, so a
/// second is never shown for longer than a second. Without an expiry, or past it, every second.
pub fn next_tick_ms(expires_at_ms: Option<i64>, now_ms: i64) -> u32 {
    match expires_at_ms {
        Some(exp) if exp > now_ms => ((exp - now_ms - 1) % 1000 + 1) as u32,
        _ => 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_offsets_and_fractions() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2023-11-14T22:13:20Z"),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2023-11-14T22:13:20.5Z"),
            Some(1_700_000_000_500)
        );
        assert_eq!(
            parse_rfc3339_ms("2023-11-15T06:13:20+08:00"),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2023-11-14T17:13:20-05:00"),
            Some(1_700_000_000_000)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for bad in [
            "",
            "2023-11-14",
            "2023-11-14T22:13:20",
            "2023-13-14T22:13:20Z",
            "2023-11-14T22:13:20+0800",
            "yesterday at noon!!",
            "2023-11-14T22:13:20.Z",
            "२०२३-11-14T22:13:20Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn countdown_text() {
        assert_eq!(countdown(0), "00:00");
        assert_eq!(countdown(65), "01:05");
        assert_eq!(countdown(900), "15:00");
        assert_eq!(countdown(3661), "1:01:01");
    }

    #[test]
    fn the_spoken_countdown_never_says_more_than_is_left() {
        // Announced (the text changes) at these seconds left, from a 15-minute code.
        let changes: Vec<u64> = (0..=900u64)
            .rev()
            .filter(|&s| s == 900 || spoken_mark(s) != spoken_mark(s + 1))
            .collect();
        assert_eq!(
            changes,
            vec![900, 839, 659, 479, 299, 239, 179, 119, 59, 29],
            "announced at these seconds left"
        );
        for secs in 0..=3600u64 {
            assert!(
                spoken_mark(secs) <= secs,
                "{secs} s left: says {}",
                spoken_mark(secs)
            );
        }
        assert_eq!(spoken_mark(899), 840, "at 14:59, 14 minutes, never 17");
        assert_eq!(spoken_mark(900), 840);
        assert_eq!(spoken_mark(840), 840);
        assert_eq!(spoken_mark(839), 660);
        assert_eq!(spoken_mark(300), 300);
        assert_eq!(spoken_mark(299), 240);
        assert_eq!(spoken_mark(60), 60);
        assert_eq!(spoken_mark(59), 30);
        assert_eq!(spoken_mark(29), 0);
    }

    #[test]
    fn the_clock_ticks_on_the_expirys_second_boundaries() {
        let exp = 1_700_000_300_000;
        // 300.4 s left shows 301; it must show 300 in 0.4 s, not in a second.
        assert_eq!(next_tick_ms(Some(exp), exp - 300_400), 400);
        assert_eq!(next_tick_ms(Some(exp), exp - 300_000), 1000);
        assert_eq!(next_tick_ms(Some(exp), exp - 299_999), 999);
        assert_eq!(next_tick_ms(Some(exp), exp - 1), 1);
        assert_eq!(next_tick_ms(Some(exp), exp), 1000);
        assert_eq!(next_tick_ms(Some(exp), exp + 5_000), 1000);
        assert_eq!(next_tick_ms(None, exp), 1000);
        // Whatever the phase, the tick lands where the rounded-up second changes.
        for behind in 1..5_000i64 {
            let now = exp - behind;
            let at = now + i64::from(next_tick_ms(Some(exp), now));
            let shown = |t: i64| {
                (exp - t).max(0).div_euclid(1000) + i64::from((exp - t).max(0) % 1000 != 0)
            };
            assert_ne!(shown(at), shown(now), "{behind}");
            assert_eq!(
                shown(at - 1),
                shown(now),
                "{behind}: no change before the tick"
            );
        }
    }
}
