//! The clock managed keys read (Unix seconds), and budget periods in UTC (docs/reference/keys.md §5): the current
//! day, week (from Monday) or calendar month, as Unix seconds, and the date a period ends as people read it. Civil-date arithmetic after Howard Hinnant's
//! `days_from_civil` / `civil_from_days`, so no date library is needed for three boundaries.

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `[start, end)` of the period (`day`, `week`, `month`) holding `now` (Unix seconds).
pub(crate) fn bounds(period: &str, now: i64) -> (i64, i64) {
    let day = now.div_euclid(86_400);
    match period {
        "day" => (day * 86_400, (day + 1) * 86_400),
        "week" => {
            // 1970-01-01 was a Thursday: Monday is 3 days before.
            let monday = day - (day + 3).rem_euclid(7);
            (monday * 86_400, (monday + 7) * 86_400)
        }
        _ => {
            let (year, month, _) = civil_from_days(day);
            let start = days_from_civil(year, month, 1);
            let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
            (start * 86_400, days_from_civil(next_year, next_month, 1) * 86_400)
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds.
pub(crate) fn rfc3339(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let rest = seconds.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_and_end_where_a_calendar_says() {
        // 2026-12-01T15:30:00Z, a Tuesday.
        let now = 1_796_139_000;
        assert_eq!(rfc3339(now), "2026-12-01T15:30:00Z");
        let show = |(start, end): (i64, i64)| (rfc3339(start), rfc3339(end));
        assert_eq!(show(bounds("day", now)), ("2026-12-01T00:00:00Z".into(), "2026-12-02T00:00:00Z".into()));
        assert_eq!(show(bounds("week", now)), ("2026-11-30T00:00:00Z".into(), "2026-12-07T00:00:00Z".into()));
        assert_eq!(show(bounds("month", now)), ("2026-12-01T00:00:00Z".into(), "2027-01-01T00:00:00Z".into()));
        // February of a leap year, and the epoch.
        let leap = days_from_civil(2028, 2, 29) * 86_400 + 1;
        assert_eq!(show(bounds("month", leap)), ("2028-02-01T00:00:00Z".into(), "2028-03-01T00:00:00Z".into()));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(show(bounds("week", 0)), ("1969-12-29T00:00:00Z".into(), "1970-01-05T00:00:00Z".into()));
    }
}
