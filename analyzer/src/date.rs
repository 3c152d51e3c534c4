//! Calendar dates (`YYYY-MM-DD`) for evaluation dates, validity of decisions, contracts and waivers.

use std::fmt;

/// A proleptic Gregorian calendar date. Ordering is chronological.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// Why a string is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("expected a date as YYYY-MM-DD, found `{0}`")]
    Shape(String),
    #[error("`{0}` is not a day of the calendar")]
    NoSuchDay(String),
}

impl Date {
    /// Builds a date, checking that the day exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(DateError::Shape(text.to_string()));
        }
        let number = |range: std::ops::Range<usize>| -> i32 {
            bytes[range]
                .iter()
                .fold(0i32, |acc, b| acc * 10 + i32::from(b - b'0'))
        };
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        Date::new(year, month as u8, day as u8)
            .ok_or_else(|| DateError::NoSuchDay(text.to_string()))
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((seconds / 86_400) as i64)
    }

    /// Converts days since 1970-01-01 to a date (Howard Hinnant's civil_from_days).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Converts a TOML date (`2026-01-26`, unquoted) to a `Date`.
    pub fn from_toml(value: &toml::value::Datetime) -> Option<Date> {
        let date = value.date?;
        if value.time.is_some() {
            return None;
        }
        Date::new(i32::from(date.year), date.month, date.day)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            Date::parse("2031-12-27").map(|d| d.to_string()),
            Ok("2031-12-27".into())
        );
        assert!(matches!(
            Date::parse("2023-02-29"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(matches!(
            Date::parse("27/12/2031"),
            Err(DateError::Shape(_))
        ));
        assert!(matches!(Date::parse("2031-1-27"), Err(DateError::Shape(_))));
    }

    #[test]
    fn epoch_days_round_trip_known_dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_479).to_string(),
            "2026-01-26"
        );
        assert!(Date::parse("2022-12-27").ok() < Date::parse("2023-01-01").ok());
    }
}
