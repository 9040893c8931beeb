//! Timestamps: RFC 3339 date-times with an offset, as EPCIS writes them, checked and
//! brought to the UTC millisecond form the event hash uses (`2005-04-03T20:33:31.116Z`).

use crate::error::{EpcisError, ErrorCode, err};

/// A time as milliseconds since 1970-01-01T00:00:00Z, after checking its form.
pub fn parse_time_ms(s: &str) -> Result<i64, EpcisError> {
    let bad = || {
        EpcisError::new(
            ErrorCode::BadTime,
            format!(
                "'{}' is not a date-time with an offset (2005-04-03T20:33:31.116-06:00)",
                clip(s)
            ),
        )
    };
    let b = s.trim().as_bytes();
    if b.len() < 20 {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, EpcisError> {
        let part = b.get(r).ok_or_else(bad)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(part.iter().fold(0i64, |a, d| a * 10 + i64::from(d - b'0')))
    };
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return Err(bad());
    }
    let mut i = 19;
    // Fractional seconds: the first six digits count (microseconds, as a reader with
    // microsecond precision takes them), then rounded half to even to milliseconds.
    let mut micros: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
        let digits = &b[start..i];
        for k in 0..6 {
            micros = micros * 10 + digits.get(k).map_or(0, |d| i64::from(d - b'0'));
        }
    }
    let offset_min = match b.get(i..) {
        Some([b'Z' | b'z']) => 0,
        Some([sign @ (b'+' | b'-'), ..]) if b.len() == i + 6 && b[i + 3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let m = oh * 60 + om;
            if *sign == b'-' { -m } else { m }
        }
        _ => return Err(bad()),
    };
    let mut ms = micros / 1000;
    let rest = micros % 1000;
    if rest > 500 || (rest == 500 && ms % 2 == 1) {
        ms += 1;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec.min(59) - offset_min * 60;
    Ok(secs * 1000 + ms)
}

/// The UTC millisecond form of a time: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn normalize_time(s: &str) -> Result<String, EpcisError> {
    Ok(format_ms(parse_time_ms(s)?))
}

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_ms(t: i64) -> String {
    let days = t.div_euclid(86_400_000);
    let rem = t.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Checks an `eventTimeZoneOffset`: `±HH:MM` (or `Z`).
pub fn check_offset(s: &str) -> Result<(), EpcisError> {
    let b = s.as_bytes();
    let ok = s == "Z"
        || (b.len() == 6
            && matches!(b[0], b'+' | b'-')
            && b[3] == b':'
            && [1, 2, 4, 5].iter().all(|&i| b[i].is_ascii_digit())
            && (b[1] - b'0') * 10 + (b[2] - b'0') <= 23
            && (b[4] - b'0') * 10 + (b[5] - b'0') <= 59);
    if ok {
        Ok(())
    } else {
        err(
            ErrorCode::BadTime,
            format!("'{}' is not a time zone offset (+01:00)", clip(s)),
        )
    }
}

fn clip(s: &str) -> &str {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil calendar algorithms (public domain).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_utc_milliseconds() {
        for (input, want) in [
            ("2005-04-03T20:33:31.116-06:00", "2005-04-04T02:33:31.116Z"),
            ("2019-10-21T11:00:30+01:00", "2019-10-21T10:00:30.000Z"),
            ("2020-01-01T00:00:00.1Z", "2020-01-01T00:00:00.100Z"),
            ("2020-02-29T23:59:59.9996+00:00", "2020-03-01T00:00:00.000Z"),
            ("2020-01-01T00:00:00.0005Z", "2020-01-01T00:00:00.000Z"),
            ("2020-01-01T00:00:00.0015Z", "2020-01-01T00:00:00.002Z"),
            ("1999-12-31T23:30:00.000-01:00", "2000-01-01T00:30:00.000Z"),
        ] {
            assert_eq!(normalize_time(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn malformed_times_are_refused() {
        for bad in [
            "",
            "2005-04-03",
            "2005-04-03T20:33:31",
            "2005-13-03T20:33:31Z",
            "2005-02-30T20:33:31Z",
            "2005-04-03T20:33:31.Z",
            "2005-04-03T20:33:31+1:00",
            "2005-04-03T20:33:31+01:00x",
            "２005-04-03T20:33:31Z",
        ] {
            assert_eq!(
                normalize_time(bad).map_err(|e| e.code()),
                Err("EPCIS_BAD_TIME"),
                "{bad}"
            );
        }
        assert!(check_offset("+01:00").is_ok());
        assert!(check_offset("-06:30").is_ok());
        assert!(check_offset("+1:00").is_err());
        assert!(check_offset("+24:00").is_err());
    }
}
